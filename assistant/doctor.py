"""`heron doctor` checks: each returns data (a Check); printing lives in the CLI.

Qt is only touched in a short subprocess so this module (and the CLI) stay Qt-free.
"""

from __future__ import annotations

import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from assistant.config import ConfigError, load_config
from assistant.paths import HeronPaths
from models.catalog import CATALOG, ModelSpec
from models.store import ModelStore

log = logging.getLogger(__name__)

OK, INFO, WARN, FAIL = "ok", "info", "warn", "fail"
_SEVERITY = {OK: "", INFO: "info", WARN: "warning", FAIL: "error"}
MIN_FREE_BYTES = 1 << 30
GPU_INSTALL = "HERON_GPU=1 scripts/install.sh  (or: .venv/bin/pip install -e '.[gpu]')"
ORT_KEEP_GPU = (".venv/bin/pip uninstall -y onnxruntime && "
                ".venv/bin/pip install --force-reinstall --no-deps onnxruntime-gpu")
CT2_GPU_WHEELS = ("nvidia-cuda-runtime-cu12", "nvidia-cublas-cu12", "nvidia-cudnn-cu12")
NO_DEVICE_NOTE = "Heron still works without it: `heron ask \"text\"`, `heron listen FILE.wav`"
TRAY_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | info | warn | fail (fail = something essential is missing)
    detail: str
    fix: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        return _SEVERITY[self.status]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "severity": self.severity}


@dataclass(frozen=True)
class DoctorReport:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.status != FAIL for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [c.to_dict() for c in self.checks]}


def run_doctor(paths: HeronPaths, store: ModelStore, verify: bool = False,
               progress_for: Callable[[str], Any] | None = None) -> DoctorReport:
    """Run every check. `verify` hashes model files (slow); otherwise sizes only."""
    checks = [check_python()]
    config_check, prefer_gpu = check_config(paths)
    checks += [config_check, *check_dirs(paths), check_disk(paths.data_dir)]
    checks += [check_audio(), check_display(), check_vision()]
    checks += [check_onnxruntime(prefer_gpu), check_ctranslate2()]
    checks += [check_sandbox(), check_secrets(paths), _desktop(paths), _languages(paths)]
    checks += check_models(store, verify, progress_for)
    return DoctorReport(tuple(checks))


def _desktop(paths: HeronPaths) -> Check:
    from assistant.config import ConfigError, load_config
    from assistant.doctor_desktop import check_desktop

    try:
        config = load_config(paths.config_file)
    except ConfigError:
        from assistant.config import HeronConfig

        config = HeronConfig()  # the config check already reports the broken file
    return check_desktop(paths, config)


def _languages(paths: HeronPaths) -> Check:
    from assistant.doctor_language import check_languages

    try:
        config = load_config(paths.config_file)
    except ConfigError:
        from assistant.config import HeronConfig

        config = HeronConfig()  # the config check already reports the broken file
    return check_languages(config)


# -- security --------------------------------------------------------------------------
def check_sandbox() -> Check:
    """What the third-party worker sandbox really enforces (assistant/doctor_sandbox.py)."""
    from assistant.doctor_sandbox import check_sandbox as probe

    return probe()


def check_secrets(paths: HeronPaths) -> Check:
    from assistant.secrets import SecretStore

    backend = SecretStore(paths.data_dir).backend
    if backend.startswith("keyring"):
        return Check("secrets", OK, f"secrets in the OS {backend}", data={"backend": backend})
    return Check("secrets", INFO, f"no OS keyring: secrets in a {backend}",
                 "install and unlock a keyring (e.g. gnome-keyring) to keep the audit key "
                 "and API keys there", {"backend": backend})


# -- system ----------------------------------------------------------------------------
def check_python() -> Check:
    ver = platform.python_version()
    data = {"python": ver, "os": platform.platform(), "executable": sys.executable}
    return Check("python", OK, f"Python {ver} on {platform.platform()}", data=data)


def check_config(paths: HeronPaths) -> tuple[Check, bool]:
    """Config validity, and the prefer_gpu setting (default when unreadable)."""
    path = paths.config_file
    try:
        config = load_config(path)
    except ConfigError as err:
        return Check("config", FAIL, err.message, err.hint, {"path": str(path),
                                                              "code": err.code}), True
    where = f"{path}" if path.is_file() else f"{path} absent, using defaults"
    return Check("config", OK, f"valid ({where})", data={"path": str(path)}), \
        config.runtime.prefer_gpu


def _writable(directory: Path) -> str:
    """'' when `directory` can be created and written, else why not."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".doctor-"):
            pass
    except OSError as err:
        return err.strerror or str(err)
    return ""


def check_dirs(paths: HeronPaths) -> list[Check]:
    out = []
    for name, directory, status in (("data dir", paths.data_dir, FAIL),
                                    ("cache dir", paths.cache_dir, WARN)):
        why = _writable(directory)
        if why:
            out.append(Check(name, status, f"{directory} is not writable: {why}",
                             f"mkdir -p '{directory}' && chmod u+rwx '{directory}' "
                             "(or set HERON_HOME to a writable folder)", {"path": str(directory)}))
        else:
            out.append(Check(name, OK, f"{directory} is writable", data={"path": str(directory)}))
    return out


def check_disk(directory: Path) -> Check:
    probe = directory
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError as err:
        return Check("disk", WARN, f"cannot read free space of {probe}: {err.strerror}")
    detail = f"{free / 1e9:.1f} GB free in {probe}"
    if free < MIN_FREE_BYTES:
        return Check("disk", WARN, detail + " (less than 1 GB: assembling models may fail)",
                     f"free some space on the disk holding {probe}", {"free_bytes": free})
    return Check("disk", OK, detail, data={"free_bytes": free})


# -- devices -----------------------------------------------------------------------------
def check_audio() -> Check:
    try:
        import sounddevice as sd
    except OSError as err:  # no libportaudio2
        return Check("audio", WARN, f"PortAudio cannot be loaded ({err}); no microphone or "
                     f"speaker. {NO_DEVICE_NOTE}", "sudo apt-get install libportaudio2")
    try:
        devices = list(sd.query_devices())
        default_in, default_out = (int(i) for i in sd.default.device)
    except Exception as err:  # PortAudio reports host errors as its own exception types
        return Check("audio", WARN, f"PortAudio could not list devices: {err}. {NO_DEVICE_NOTE}",
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
        return Check("audio", WARN, f"no {' and no '.join(missing)} found ({summary}). "
                     f"{NO_DEVICE_NOTE}",
                     "plug in a device, or start PipeWire/PulseAudio (`pulseaudio --start`)",
                     data)
    return Check("audio", OK, summary, data=data)


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
        return Check("display", WARN, f"no DISPLAY or WAYLAND_DISPLAY: the tray app cannot "
                     f"start; {headless}", "run Heron inside your desktop session", shown)
    try:
        proc = subprocess.run([sys.executable, "-c", _TRAY_PROBE], env=env, text=True,
                              capture_output=True, timeout=TRAY_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return Check("display", WARN, f"Qt did not start within {TRAY_TIMEOUT_S:.0f} s",
                     "check the display is reachable (`xdpyinfo` / your compositor)", shown)
    words = proc.stdout.split()
    if proc.returncode != 0 or len(words) != 2:
        return Check("display", WARN, f"Qt cannot open the display: "
                     f"{_qt_failure(proc.stderr)}; {headless}", _qt_fix(proc.stderr), shown)
    shown |= {"qt_platform": words[0], "tray": words[1] == "True"}
    if words[1] != "True":
        return Check("display", WARN, f"display found (Qt {words[0]}) but no system tray: "
                     "Heron's icon will not show; the window and voice still work",
                     "enable a tray host (GNOME: the AppIndicator extension; or run `trayer`)",
                     shown)
    return Check("display", OK, f"Qt {words[0]} with a system tray", data=shown)


def check_vision() -> Check:
    """Screen and camera tools: xdotool for click_on_screen, cameras (OCR models are
    in the model checks)."""
    from vision.camera import list_cameras

    cams = [c.name for c in list_cameras()]
    data = {"xdotool": shutil.which("xdotool") or "", "cameras": cams}
    cam = f"{len(cams)} camera(s)" if cams else "no camera (camera tools read video files)"
    if not data["xdotool"]:
        return Check("screen & camera", WARN, f"xdotool missing: click_on_screen cannot "
                     f"click; {cam}", "sudo apt-get install xdotool", data)
    return Check("screen & camera", OK, f"xdotool for clicks; {cam}", data=data)


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


# -- inference runtimes ---------------------------------------------------------------------
def check_onnxruntime(prefer_gpu: bool = True) -> Check:
    from models.onnx import available_providers, choose_providers

    try:
        import onnxruntime as ort

        available = available_providers()
    except ImportError as err:
        return Check("onnxruntime", FAIL, f"onnxruntime cannot be imported: {err}",
                     "re-run scripts/install.sh")
    choice = choose_providers(available, prefer_gpu)
    data = {"version": ort.__version__, "available": available,
            "providers": list(choice.providers), "uses_gpu": choice.uses_gpu,
            "reason": choice.reason}
    detail = f"onnxruntime {ort.__version__}, providers {', '.join(choice.providers)}"
    if _installed("onnxruntime") and _installed("onnxruntime-gpu"):
        return Check("onnxruntime", WARN, f"{detail} — both onnxruntime and onnxruntime-gpu "
                     "are installed and overwrite one module", ORT_KEEP_GPU, data)
    if choice.uses_gpu:
        return Check("onnxruntime", OK, detail, data=data)
    fix = "" if not prefer_gpu else GPU_INSTALL
    return Check("onnxruntime", INFO, f"{detail} — {choice.reason}", fix, data)


def _nvidia_driver() -> str:
    """The NVIDIA driver version, '' when no driver is loaded."""
    try:
        text = Path("/proc/driver/nvidia/version").read_text(encoding="utf-8")
    except OSError:
        return "present" if shutil.which("nvidia-smi") else ""
    return text.split("Kernel Module", 1)[-1].split()[0] if "Kernel Module" in text else "present"


def _installed(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return ""


def check_ctranslate2() -> Check:
    try:
        import ctranslate2
    except ImportError as err:
        return Check("ctranslate2", FAIL, f"ctranslate2 (faster-whisper) cannot be imported: "
                     f"{err}", "re-run scripts/install.sh")
    try:
        count = ctranslate2.get_cuda_device_count()
    except Exception as err:  # raised when the CUDA runtime itself is broken
        log.debug("get_cuda_device_count failed: %s", err)
        count = 0
    data: dict[str, Any] = {
        "version": ctranslate2.__version__, "cuda_devices": count,
        "cpu_compute_types": sorted(ctranslate2.get_supported_compute_types("cpu")),
    }
    if count:
        try:
            data["cuda_compute_types"] = sorted(ctranslate2.get_supported_compute_types("cuda"))
        except RuntimeError as err:
            return Check("ctranslate2", WARN, f"{count} CUDA device(s) but CUDA fails: {err}",
                         GPU_INSTALL, data)
        return Check("ctranslate2", OK, f"ctranslate2 {ctranslate2.__version__}: {count} CUDA "
                     f"device(s), compute types {', '.join(data['cuda_compute_types'])}",
                     data=data)
    driver = _nvidia_driver()
    missing = [w for w in CT2_GPU_WHEELS if not _installed(w)]
    data |= {"nvidia_driver": driver, "missing_wheels": missing}
    if not driver:
        why = "no NVIDIA driver found (a GPU needs the NVIDIA driver, then the '.[gpu]' extra)"
        fix = f"install the NVIDIA driver, then {GPU_INSTALL}"
    elif missing:
        why = (f"NVIDIA driver {driver} found, but the CUDA 12 runtime / cuDNN 9 wheels are "
               f"missing: {', '.join(missing)}")
        fix = GPU_INSTALL
    else:
        why = f"NVIDIA driver {driver} and CUDA wheels present, but CUDA reports no device"
        fix = "check `nvidia-smi`; the driver must support CUDA 12"
    return Check("ctranslate2", INFO, f"ctranslate2 {ctranslate2.__version__}: CPU only "
                 f"(compute types {', '.join(data['cpu_compute_types'])}) — {why}", fix, data)


# -- models -------------------------------------------------------------------------------
def model_state(store: ModelStore, spec: ModelSpec) -> tuple[str, str]:
    """Quick state from sizes only: (installed | assembled | not assembled | missing |
    wrong size, detail). No hashing."""
    if spec.joined:
        base = store.models_dir / spec.id
        if all((base / f.name).is_file() and (base / f.name).stat().st_size == f.size_bytes
               for f in spec.files):
            return "assembled", str(base)
        try:
            for f in spec.files:
                parts = store._sources(spec, f)  # raises model.missing
                size = sum(p.stat().st_size for p in parts)
                if size != f.size_bytes:
                    return "wrong size", (f"{f.name}: parts hold {size} bytes, "
                                          f"expected {f.size_bytes}")
        except Exception as err:  # ModelError from _sources, OSError from stat
            return "missing", getattr(err, "message", str(err))
        return "not assembled", (f"parts installed, joined into {base} on first use "
                                 "or by `heron models verify`")
    first = store.source_path(spec, spec.files[0])
    if first is None:
        return "missing", f"package {spec.package} is not installed"
    for f in spec.files:
        path = first.parent / f.name
        if not path.is_file():
            return "missing", f"{path} does not exist"
        if path.stat().st_size != f.size_bytes:
            return "wrong size", f"{path} is {path.stat().st_size} bytes, expected {f.size_bytes}"
    return "installed", str(first.parent)


def check_models(store: ModelStore, verify: bool = False,
                 progress_for: Callable[[str], Any] | None = None) -> list[Check]:
    out = []
    for spec in CATALOG:
        name = f"model {spec.id}"
        data = {"id": spec.id, "package": spec.requirement, "licence": spec.licence}
        if verify:
            result = store.verify(spec, progress_for(spec.id) if progress_for else None)
            bad = [f"{f.name}: {f.detail} [{f.code}]" for f in result.files if not f.ok]
            if bad:
                out.append(Check(name, FAIL, "; ".join(bad), spec.reinstall_command(), data))
            else:
                out.append(Check(name, OK, f"sha256 ok ({spec.requirement})", data=data))
            continue
        state, detail = model_state(store, spec)
        data["state"] = state
        if state in ("missing", "wrong size"):
            out.append(Check(name, FAIL, f"{state}: {detail}", spec.reinstall_command(), data))
        else:
            sizes = "sizes match" if state != "not assembled" else detail
            out.append(Check(name, OK, f"{state}, {sizes} ({spec.requirement}; "
                             "`--verify` hashes)", data=data))
    return out
