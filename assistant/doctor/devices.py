"""The doctor's device rows: microphone and speaker (PortAudio), the display and its
system tray, the screen and camera tools.

Qt is only touched in a short subprocess so this module (and the CLI) stay Qt-free.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from assistant.doctor.check import Check, CheckStatus

NO_DEVICE_NOTE = "Heron still works without it: `heron ask \"text\"`, `heron listen FILE.wav`"
TRAY_TIMEOUT_S = 10.0


def check_audio() -> Check:
    try:
        import sounddevice as sd
    except OSError as err:  # no libportaudio2
        return Check("audio", CheckStatus.WARN, f"PortAudio cannot be loaded ({err}); no "
                     f"microphone or speaker. {NO_DEVICE_NOTE}",
                     "sudo apt-get install libportaudio2")
    try:
        devices = list(sd.query_devices())
        default_in, default_out = (int(i) for i in sd.default.device)
    except Exception as err:  # PortAudio reports host errors as its own exception types
        return Check("audio", CheckStatus.WARN,
                     f"PortAudio could not list devices: {err}. {NO_DEVICE_NOTE}",
                     "start your sound server (PipeWire or PulseAudio) and retry")
    inputs = [d["name"] for d in devices if d.get("max_input_channels", 0) > 0]
    outputs = [d["name"] for d in devices if d.get("max_output_channels", 0) > 0]

    def name(index: int) -> str | None:
        return devices[index]["name"] if 0 <= index < len(devices) else None

    data = {"portaudio": sd.get_portaudio_version()[1], "inputs": inputs, "outputs": outputs,
            "default_input": name(default_in), "default_output": name(default_out)}
    missing = [what for what, found in (("microphone", inputs), ("speaker", outputs))
               if not found]
    summary = (f"{len(inputs)} input(s), {len(outputs)} output(s); default input "
               f"{data['default_input'] or 'none'}, "
               f"default output {data['default_output'] or 'none'}")
    if missing:
        return Check("audio", CheckStatus.WARN,
                     f"no {' and no '.join(missing)} found ({summary}). {NO_DEVICE_NOTE}",
                     "plug in a device, or start PipeWire/PulseAudio (`pulseaudio --start`)",
                     data)
    return Check("audio", CheckStatus.OK, summary, data=data)


_TRAY_PROBE = (
    "import sys\n"
    "from PySide6.QtWidgets import QApplication, QSystemTrayIcon\n"
    "app = QApplication(sys.argv[:1])\n"
    "print(app.platformName(), QSystemTrayIcon.isSystemTrayAvailable())\n"
)


def check_display(env: dict[str, str] | None = None) -> Check:
    env = dict(os.environ if env is None else env)
    shown = {k: env[k] for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM") if env.get(k)}
    headless = "use `heron run --headless`, `heron ask` or `heron listen FILE.wav`"
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return Check("display", CheckStatus.WARN, f"no DISPLAY or WAYLAND_DISPLAY: the tray "
                     f"app cannot start; {headless}", "run Heron inside your desktop session",
                     shown)
    try:
        proc = subprocess.run([sys.executable, "-c", _TRAY_PROBE], env=env, text=True,
                              capture_output=True, timeout=TRAY_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return Check("display", CheckStatus.WARN, f"Qt did not start within {TRAY_TIMEOUT_S:.0f} s",
                     "check the display is reachable (`xdpyinfo` / your compositor)", shown)
    words = proc.stdout.split()
    if proc.returncode != 0 or len(words) != 2:
        return Check("display", CheckStatus.WARN, f"Qt cannot open the display: "
                     f"{_qt_failure(proc.stderr)}; {headless}", _qt_fix(proc.stderr), shown)
    shown |= {"qt_platform": words[0], "tray": words[1] == "True"}
    if words[1] != "True":
        return Check("display", CheckStatus.WARN, f"display found (Qt {words[0]}) but no "
                     "system tray: Heron's icon will not show; the window and voice still work",
                     "enable a tray host (GNOME: the AppIndicator extension; or run `trayer`)",
                     shown)
    return Check("display", CheckStatus.OK, f"Qt {words[0]} with a system tray", data=shown)


def check_vision() -> Check:
    """Screen and camera tools: xdotool for click_on_screen, cameras (OCR models are
    in the model checks)."""
    from vision.camera import list_cameras

    cams = [c.name for c in list_cameras()]
    data = {"xdotool": shutil.which("xdotool") or "", "cameras": cams}
    cam = f"{len(cams)} camera(s)" if cams else "no camera (camera tools read video files)"
    if not data["xdotool"]:
        return Check("screen & camera", CheckStatus.WARN, f"xdotool missing: click_on_screen "
                     f"cannot click; {cam}", "sudo apt-get install xdotool", data)
    return Check("screen & camera", CheckStatus.OK, f"xdotool for clicks; {cam}", data=data)


def _qt_failure(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for key in ("could not connect to display", "Could not load the Qt platform plugin",
                "ModuleNotFoundError", "ImportError"):
        for ln in lines:
            if key in ln:
                return ln.removeprefix("qt.qpa.xcb: ").removeprefix("qt.qpa.plugin: ")[:200]
    return (lines or ["Qt exited without output"])[-1][:200]


def _qt_fix(stderr: str) -> str:
    if "could not connect to display" in stderr:
        return "check that your X server / compositor is running and DISPLAY is right"
    if "No module named" in stderr:
        return "re-run scripts/install.sh (PySide6 is missing)"
    return ("sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 "
            "libxkbcommon-x11-0")
