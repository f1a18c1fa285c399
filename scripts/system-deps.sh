#!/usr/bin/env bash
# Check the Debian packages Heron needs; install them when root, else print the command.
# Usage: scripts/system-deps.sh run|test
set -euo pipefail

RUN_PKGS=(
  libportaudio2                       # sounddevice (microphone, speaker)
  libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon-x11-0
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-randr0
  libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1   # PySide6 tray on X11
  build-essential cmake               # llama-cpp-python compiles at install time
  xclip xdg-utils                     # clipboard and opening URLs/apps (X11)
  xdotool                             # click_on_screen (X11)
  libpulse0                           # volume: pulsectl talks to PulseAudio/PipeWire
  espeak-ng                           # spoken replies in languages with no bundled voice
)
TEST_PKGS=(
  pulseaudio pulseaudio-utils libasound2-plugins   # a real (virtual) audio server
  xvfb trayer                                      # a real display and tray host
  openbox dbus-daemon fonts-dejavu-core            # vision: a window manager (EWMH), a
                                                   # private D-Bus, the test screens' font
  espeak-ng sox alsa-utils                         # test voices and sounds
  chromium                                         # companion: the PWA under Playwright
  mpv mpv-mpris                                    # media: a real MPRIS player
  util-linux mount passwd                          # the hostile-worker suite as a normal
                                                   # user: unshare, runuser, mount, useradd
)

want=("${RUN_PKGS[@]}")
# Debian's own python3 needs python3-venv for `python3 -m venv`.
python3 -c 'import ensurepip, venv' 2>/dev/null || want+=(python3-venv)
[ "${1:-run}" = "test" ] && want+=("${TEST_PKGS[@]}")

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system-deps: not a Debian-based system; install the equivalents of: ${want[*]}" >&2
  exit 0
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ]; then
  echo "system-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Heron needs these Debian packages. Install them with:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
