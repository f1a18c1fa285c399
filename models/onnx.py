"""The one place ONNX Runtime sessions are created: provider choice, threads, reason."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from models.errors import ModelError

log = logging.getLogger(__name__)

# Most to least preferred. DirectML/CoreML sit before CPU on the platforms that have them.
PROVIDER_ORDER = (
    "TensorrtExecutionProvider",
    "CUDAExecutionProvider",
    "DmlExecutionProvider",
    "CoreMLExecutionProvider",
    "CPUExecutionProvider",
)
GPU_PROVIDERS = PROVIDER_ORDER[:-1]


@dataclass(frozen=True)
class SessionOptions:
    """How to run one model. Small streaming models want one thread for steady latency."""

    intra_op_threads: int = 1
    inter_op_threads: int = 1
    prefer_gpu: bool = True


@dataclass(frozen=True)
class ProviderChoice:
    providers: tuple[str, ...]
    reason: str  # why no GPU provider is used ("" when one is)

    @property
    def uses_gpu(self) -> bool:
        return self.providers[0] in GPU_PROVIDERS


def available_providers() -> list[str]:
    import onnxruntime as ort

    return list(ort.get_available_providers())


def choose_providers(available: list[str], prefer_gpu: bool = True) -> ProviderChoice:
    """Order `available` by PROVIDER_ORDER; explain when the result is CPU only."""
    ordered = [p for p in PROVIDER_ORDER if p in available]
    if "CPUExecutionProvider" not in ordered:
        ordered.append("CPUExecutionProvider")
    if not prefer_gpu:
        return ProviderChoice(("CPUExecutionProvider",),
                              "GPU disabled in config (prefer_gpu = false)")
    gpus = [p for p in ordered if p in GPU_PROVIDERS]
    if gpus:
        return ProviderChoice(tuple(ordered), "")
    return ProviderChoice(tuple(ordered), _no_gpu_reason())


def _no_gpu_reason() -> str:
    from importlib import metadata

    try:
        metadata.version("onnxruntime-gpu")
    except metadata.PackageNotFoundError:
        return ("CPU only: the installed onnxruntime has no GPU providers "
                "(install the GPU build with `pip install -e '.[gpu]'`)")
    return ("CPU only: onnxruntime-gpu is installed but found no usable GPU "
            "(needs an NVIDIA driver plus CUDA and cuDNN 9 libraries; see `heron doctor`)")


def create_session(path: Path | str | bytes, options: SessionOptions = SessionOptions(),
                   model_id: str = "", reinstall_hint: str = ""):
    """Create an `onnxruntime.InferenceSession`, falling back to CPU when a GPU
    provider fails to initialise. A file that does not load is `model.corrupt`."""
    import onnxruntime as ort

    choice = choose_providers(available_providers(), options.prefer_gpu)
    so = ort.SessionOptions()
    so.intra_op_num_threads = options.intra_op_threads
    so.inter_op_num_threads = options.inter_op_threads
    so.log_severity_level = 3
    label = model_id or (str(path) if not isinstance(path, bytes) else "<bytes>")
    try:
        session = ort.InferenceSession(
            path if isinstance(path, bytes) else str(path), sess_options=so,
            providers=list(choice.providers),
        )
    except Exception as err:  # onnxruntime raises its own untyped errors
        if isinstance(path, (str, Path)) and not Path(path).is_file():
            raise ModelError("model.missing", f"model file {path} not found",
                             reinstall_hint or "run `heron models verify`") from err
        raise ModelError(
            "model.corrupt", f"model {label} could not be loaded: {str(err).splitlines()[0][:200]}",
            reinstall_hint or "run `heron models verify` for the reinstall command",
        ) from err
    used = session.get_providers()
    if choice.uses_gpu and used[0] not in GPU_PROVIDERS:
        log.warning("GPU provider unavailable for %s, using CPU", label)
    elif choice.reason:
        log.debug("%s: %s", label, choice.reason)
    return session
