"""Provider choice for ONNX Runtime and the session factory's fallbacks."""

from __future__ import annotations

import logging
from importlib import metadata

import numpy as np
import pytest

import models.onnx as onnx_mod
from models.errors import ModelError
from models.onnx import SessionOptions, choose_providers, create_session
from models.store import ModelStore

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
TRT = "TensorrtExecutionProvider"


def test_gpu_providers_come_first_tensorrt_then_cuda_then_cpu():
    choice = choose_providers([CPU, "AzureExecutionProvider", CUDA, TRT])
    assert choice.providers == (TRT, CUDA, CPU)
    assert choice.uses_gpu
    assert choice.reason == ""


def test_cuda_only_machine_puts_cuda_before_cpu():
    assert choose_providers([CPU, CUDA]).providers == (CUDA, CPU)


def test_prefer_gpu_false_uses_cpu_and_says_why():
    choice = choose_providers([CPU, CUDA, TRT], prefer_gpu=False)
    assert choice.providers == (CPU,)
    assert not choice.uses_gpu
    assert "prefer_gpu = false" in choice.reason


def test_cpu_is_always_there_even_if_not_listed():
    choice = choose_providers(["AzureExecutionProvider"])
    assert choice.providers == (CPU,)


def _fake_installed(monkeypatch, installed: set[str]) -> None:
    real = metadata.version

    def version(dist: str) -> str:
        if dist == "onnxruntime-gpu":
            if dist in installed:
                return "1.31.1"
            raise metadata.PackageNotFoundError(dist)
        return real(dist)

    monkeypatch.setattr(metadata, "version", version)


def test_cpu_only_reason_names_the_gpu_extra_when_the_cpu_build_is_installed(monkeypatch):
    _fake_installed(monkeypatch, set())
    choice = choose_providers([CPU])
    assert choice.providers == (CPU,)
    assert not choice.uses_gpu
    assert choice.reason.startswith("CPU only")
    assert "pip install -e '.[gpu]'" in choice.reason


def test_cpu_only_reason_points_at_drivers_when_the_gpu_build_finds_no_gpu(monkeypatch):
    _fake_installed(monkeypatch, {"onnxruntime-gpu"})
    reason = choose_providers([CPU]).reason
    assert "onnxruntime-gpu is installed" in reason
    assert "cuDNN 9" in reason and "heron doctor" in reason


def test_real_machine_reason_matches_its_providers():
    choice = choose_providers(onnx_mod.available_providers())
    assert (choice.reason == "") == choice.uses_gpu


@pytest.mark.slow
def test_session_falls_back_to_cpu_and_runs_a_catalog_model(tmp_path, monkeypatch, caplog):
    # Pretend this build offers CUDA: the session must still come up on CPU.
    monkeypatch.setattr(onnx_mod, "available_providers", lambda: [CUDA, CPU])
    path = ModelStore(tmp_path).path("oww-melspectrogram")
    with caplog.at_level(logging.WARNING, logger="models.onnx"), pytest.warns(UserWarning):
        session = create_session(path, SessionOptions(), model_id="oww-melspectrogram")
    assert session.get_providers()[0] == CPU
    assert "using CPU" in caplog.text
    audio = np.zeros((1, 1280), dtype=np.float32)  # one 80 ms frame at 16 kHz
    (mel,) = session.run(None, {"input": audio})
    assert mel.shape[-1] == 32 and np.isfinite(mel).all()


@pytest.mark.slow
def test_silero_vad_runs_with_cpu_when_gpu_is_disabled(tmp_path):
    path = ModelStore(tmp_path).path("silero-vad")
    session = create_session(path, SessionOptions(prefer_gpu=False), model_id="silero-vad")
    assert session.get_providers() == [CPU]
    feeds = {
        "input": np.zeros((1, 576), dtype=np.float32),
        "state": np.zeros((2, 1, 128), dtype=np.float32),
        "sr": np.array(16000, dtype=np.int64),
    }
    prob, state = session.run(None, feeds)
    assert 0.0 <= float(prob.squeeze()) < 0.5  # silence
    assert state.shape == (2, 1, 128)


def test_corrupt_onnx_file_is_model_corrupt_with_the_hint(tmp_path):
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"\x08\x07not really a protobuf" * 100)
    with pytest.raises(ModelError) as info:
        create_session(bad, model_id="broken", reinstall_hint="reinstall broken")
    err = info.value
    assert err.code == "model.corrupt"
    assert err.exit_code == 4
    assert "broken" in err.message and err.hint == "reinstall broken"


def test_missing_onnx_file_is_model_missing(tmp_path):
    with pytest.raises(ModelError) as info:
        create_session(tmp_path / "absent.onnx")
    assert info.value.code == "model.missing"
