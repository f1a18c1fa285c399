"""The doctor's inference-runtime rows: ONNX Runtime and the provider it will use,
CTranslate2 (faster-whisper) and, when it has no CUDA device, why (NVIDIA driver,
CUDA wheels)."""

from __future__ import annotations

import logging
import shutil
from importlib import metadata
from pathlib import Path
from typing import Any

from assistant.doctor.check import Check, CheckStatus

log = logging.getLogger(__name__)

GPU_INSTALL = "HERON_GPU=1 scripts/install.sh  (or: .venv/bin/pip install -e '.[gpu]')"
ORT_KEEP_GPU = (".venv/bin/pip uninstall -y onnxruntime && "
                ".venv/bin/pip install --force-reinstall --no-deps onnxruntime-gpu")
CT2_GPU_WHEELS = ("nvidia-cuda-runtime-cu12", "nvidia-cublas-cu12", "nvidia-cudnn-cu12")


def check_onnxruntime(prefer_gpu: bool = True) -> Check:
    from models.onnx import available_providers, choose_providers

    try:
        import onnxruntime as ort

        available = available_providers()
    except ImportError as err:
        return Check("onnxruntime", CheckStatus.FAIL, f"onnxruntime cannot be imported: {err}",
                     "re-run scripts/install.sh")
    choice = choose_providers(available, prefer_gpu)
    data = {"version": ort.__version__, "available": available,
            "providers": list(choice.providers), "uses_gpu": choice.uses_gpu,
            "reason": choice.reason}
    detail = f"onnxruntime {ort.__version__}, providers {', '.join(choice.providers)}"
    if _installed("onnxruntime") and _installed("onnxruntime-gpu"):
        return Check("onnxruntime", CheckStatus.WARN, f"{detail} — both onnxruntime and "
                     "onnxruntime-gpu are installed and overwrite one module", ORT_KEEP_GPU, data)
    if choice.uses_gpu:
        return Check("onnxruntime", CheckStatus.OK, detail, data=data)
    fix = "" if not prefer_gpu else GPU_INSTALL
    return Check("onnxruntime", CheckStatus.INFO, f"{detail} — {choice.reason}", fix, data)


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
        return Check("ctranslate2", CheckStatus.FAIL, f"ctranslate2 (faster-whisper) cannot be "
                     f"imported: {err}", "re-run scripts/install.sh")
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
            return Check("ctranslate2", CheckStatus.WARN,
                         f"{count} CUDA device(s) but CUDA fails: {err}", GPU_INSTALL, data)
        return Check("ctranslate2", CheckStatus.OK, f"ctranslate2 {ctranslate2.__version__}: "
                     f"{count} CUDA device(s), compute types "
                     f"{', '.join(data['cuda_compute_types'])}", data=data)
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
    return Check("ctranslate2", CheckStatus.INFO, f"ctranslate2 {ctranslate2.__version__}: "
                 f"CPU only (compute types {', '.join(data['cpu_compute_types'])}) — {why}",
                 fix, data)

