"""The int8-keeping rewrite (models/onnx_compact.py) on a small weight-only int8 model
built here: the same outputs, int8 weights left int8, the cached file reused and rebuilt
when it should be, and the original model whenever the rewrite cannot be had."""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import models.onnx_compact as oc
from models.errors import ModelError

ROWS, DIM = 50, 32
IDS = np.array([[1, 7, 49, 0, 3], [2, 2, 11, 30, 8]], dtype=np.int64)


def _int8(name: str, shape: tuple[int, ...], scale_shape: tuple[int, ...], rng):
    q = rng.integers(-127, 128, size=shape, dtype=np.int8)
    s = rng.uniform(0.002, 0.02, size=scale_shape).astype(np.float32)
    inits = [numpy_helper.from_array(q, name + "_q"), numpy_helper.from_array(s, name + "_s")]
    nodes = [helper.make_node("Cast", [name + "_q"], [name + "_f"], to=TensorProto.FLOAT),
             helper.make_node("Mul", [name + "_f", name + "_s"], [name])]
    return inits, nodes


def tiny_model(seed: int = 0) -> onnx.ModelProto:
    """ids -> int8 embedding table -> three int8 linear layers (the last one with K=20,
    which 16-blocks do not divide: it must stay as it is) -> out."""
    rng = np.random.default_rng(seed)
    inits, nodes = [], []
    for name, shape, scale in (("table", (ROWS, DIM), (ROWS, 1)), ("w1", (DIM, 16), (1, 16)),
                               ("w2", (16, 20), (1, 20)), ("w3", (20, 8), (1, 8))):
        i, n = _int8(name, shape, scale, rng)
        inits += i
        nodes += n
    nodes += [helper.make_node("Gather", ["table", "ids"], ["emb"], axis=0),
              helper.make_node("MatMul", ["emb", "w1"], ["h1"]),
              helper.make_node("MatMul", ["h1", "w2"], ["h2"]),
              helper.make_node("MatMul", ["h2", "w3"], ["out"])]
    graph = helper.make_graph(
        nodes, "tiny", [helper.make_tensor_value_info("ids", TensorProto.INT64, ["b", "s"])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["b", "s", 8])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 10
    return model


def run(model_or_session, ids=IDS) -> np.ndarray:
    import onnxruntime as ort

    sess = model_or_session
    if not isinstance(sess, ort.InferenceSession):
        data = sess.SerializeToString() if hasattr(sess, "SerializeToString") else sess
        sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return sess.run(["out"], {"ids": ids})[0]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def weight_bytes(model: onnx.ModelProto) -> dict[int, int]:
    """Initializer bytes per ONNX data type."""
    out: dict[int, int] = {}
    for t in model.graph.initializer:
        out[t.data_type] = out.get(t.data_type, 0) + numpy_helper.to_array(t).nbytes
    return out


# -- the rewrite ------------------------------------------------------------------------
def test_rewritten_model_gives_the_same_outputs_and_keeps_weights_int8():
    model = tiny_model()
    before = model.SerializeToString()
    compact = oc.compact_model(model)
    assert model.SerializeToString() == before  # the input is left alone
    assert oc.rewrite_counts(compact) == (1, 2)  # the table, w1, w2; not w3 (K=20)
    assert cosines(run(model), run(compact)).min() > 0.999
    ops = [n.op_type for n in compact.graph.node]
    assert ops.count("MatMulNBits") == 2 and ops.count("MatMul") == 1
    # the only float32 initializers left are scales: far smaller than the int8 weights
    sizes = weight_bytes(compact)
    assert sizes.get(TensorProto.FLOAT, 0) < 0.5 * (sizes[TensorProto.INT8] +
                                                    sizes[TensorProto.UINT8])


def test_embedding_rows_are_dequantised_exactly():
    model = tiny_model()
    graph = model.graph  # cut the model after the lookup: out = emb
    del graph.node[-3:]
    graph.node[-1].output[0] = "out"
    graph.output[0].type.tensor_type.shape.dim[2].dim_value = DIM
    compact = oc.compact_model(model.SerializeToString())
    assert oc.rewrite_counts(compact) == (1, 0)
    assert np.array_equal(run(model), run(compact))


def test_a_model_without_the_pattern_is_returned_unchanged_in_meaning():
    rng = np.random.default_rng(1)
    w = numpy_helper.from_array(rng.normal(size=(DIM, 8)).astype(np.float32), "w")
    table = numpy_helper.from_array(rng.normal(size=(ROWS, DIM)).astype(np.float32), "t")
    graph = helper.make_graph(
        [helper.make_node("Gather", ["t", "ids"], ["e"]),
         helper.make_node("MatMul", ["e", "w"], ["out"])], "plain",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["b", "s"])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["b", "s", 8])], [table, w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 10
    compact = oc.compact_model(model)
    assert oc.rewrite_counts(compact) == (0, 0)
    assert [n.op_type for n in compact.graph.node] == ["Gather", "MatMul"]
    assert np.array_equal(run(model), run(compact))


# -- the cached file --------------------------------------------------------------------
@pytest.fixture
def source(tmp_path) -> tuple[Path, str]:
    path = tmp_path / "m" / "model.onnx"
    path.parent.mkdir()
    path.write_bytes(tiny_model().SerializeToString())
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def dest_of(src: Path) -> Path:
    return src.with_name("model.compact.onnx")


def identity(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_ino, st.st_mtime_ns


def test_compact_file_is_written_once_and_reused(source):
    src, sha = source
    dest = dest_of(src)
    first = run(oc.create_compact_session(src, sha, dest))
    assert dest.is_file() and oc.sidecar_path(dest).is_file()
    seen = identity(dest)
    second = run(oc.create_compact_session(src, sha, dest))
    assert identity(dest) == seen  # not rewritten
    assert np.array_equal(first, second)
    assert cosines(run(tiny_model()), second).min() > 0.999
    assert not list(src.parent.glob("*.partial"))


@pytest.mark.parametrize("change", [
    {"rewrite_version": oc.REWRITE_VERSION + 1},  # the rewrite changed
    {"source_sha256": "0" * 64},  # built from another model
    {"source_mtime_ns": 1},  # the source was replaced since
])
def test_a_stale_sidecar_rebuilds_the_compact_file(source, change):
    src, sha = source
    dest = dest_of(src)
    oc.create_compact_session(src, sha, dest)
    side = oc.sidecar_path(dest)
    side.write_text(json.dumps(json.loads(side.read_text()) | change))
    seen = identity(dest)
    out = run(oc.create_compact_session(src, sha, dest))
    assert identity(dest) != seen
    assert json.loads(side.read_text())["rewrite_version"] == oc.REWRITE_VERSION
    assert cosines(run(tiny_model()), out).min() > 0.999


@pytest.mark.parametrize("damage", ["garbage model", "garbage sidecar", "no sidecar",
                                    "truncated model"])
def test_a_damaged_cache_is_rebuilt_without_an_error(source, damage, caplog):
    src, sha = source
    dest = dest_of(src)
    oc.create_compact_session(src, sha, dest)
    size = dest.stat().st_size
    if damage == "garbage model":  # same size, so only loading it can tell
        dest.write_bytes(b"\x07" * size)
    elif damage == "truncated model":
        dest.write_bytes(dest.read_bytes()[: size // 2])
    elif damage == "garbage sidecar":
        oc.sidecar_path(dest).write_bytes(b"\xff{not json")
    else:
        oc.sidecar_path(dest).unlink()
    with caplog.at_level(logging.WARNING):
        out = run(oc.create_compact_session(src, sha, dest))
    assert cosines(run(tiny_model()), out).min() > 0.999
    assert dest.stat().st_size == size
    assert oc.cached_compact(src, sha, dest) == dest  # good again for the next start
    if damage == "garbage model":
        assert "rebuilding it" in caplog.text


def test_when_the_rewrite_fails_the_original_model_is_used(source, monkeypatch, caplog):
    src, sha = source

    def broken(model):
        raise ValueError("unexpected graph")

    monkeypatch.setattr(oc, "compact_model", broken)
    with caplog.at_level(logging.WARNING):
        out = run(oc.create_compact_session(src, sha, dest_of(src)))
    assert np.array_equal(out, run(tiny_model()))  # exactly the original
    assert not dest_of(src).exists()
    assert "could not rewrite" in caplog.text and "unexpected graph" in caplog.text


def test_without_the_onnx_package_the_original_model_is_used(source, monkeypatch, caplog):
    src, sha = source
    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` raises ImportError
    with caplog.at_level(logging.WARNING):
        out = run(oc.create_compact_session(src, sha, dest_of(src)))
    assert np.array_equal(out, run(tiny_model()))
    assert "onnx package is not installed" in caplog.text and "pip install" in caplog.text


def test_a_cached_compact_file_needs_no_onnx_package(source, monkeypatch):
    src, sha = source
    oc.create_compact_session(src, sha, dest_of(src))
    monkeypatch.setitem(sys.modules, "onnx", None)
    out = run(oc.create_compact_session(src, sha, dest_of(src)))
    assert cosines(run(tiny_model()), out).min() > 0.999


def test_a_full_disk_builds_the_model_in_memory(source, monkeypatch, caplog):
    src, sha = source
    real_open = Path.open

    class FullDisk:
        def __init__(self, fh):
            self._fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._fh.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    def open_(self, mode="r", *args, **kwargs):
        fh = real_open(self, mode, *args, **kwargs)
        return FullDisk(fh) if self.name.endswith(".partial") else fh

    monkeypatch.setattr(Path, "open", open_)
    with caplog.at_level(logging.WARNING):
        out = run(oc.create_compact_session(src, sha, dest_of(src)))
    assert cosines(run(tiny_model()), out).min() > 0.999
    assert "No space left on device" in caplog.text and "from memory" in caplog.text
    assert all(r.exc_info is None for r in caplog.records)  # one line, no traceback
    assert sorted(p.name for p in src.parent.iterdir()) == ["model.onnx"]  # no leftovers


def test_a_source_that_is_not_the_catalogued_file_is_loaded_as_it_is(source, caplog):
    src, _ = source
    with caplog.at_level(logging.WARNING):
        out = run(oc.create_compact_session(src, "ab" * 32, dest_of(src)))
    assert np.array_equal(out, run(tiny_model()))
    assert not dest_of(src).exists()
    assert "sha256 differs" in caplog.text


def test_a_corrupt_source_is_still_reported_as_model_corrupt(tmp_path):
    src = tmp_path / "model.onnx"
    src.write_bytes(b"\0" * 4096)
    with pytest.raises(ModelError) as err:
        oc.create_compact_session(src, hashlib.sha256(src.read_bytes()).hexdigest(),
                                  dest_of(src), model_id="tiny", reinstall_hint="reinstall")
    assert err.value.code == "model.corrupt" and err.value.hint == "reinstall"
    assert not dest_of(src).exists()


def test_a_missing_source_is_still_reported_as_model_missing(tmp_path):
    src = tmp_path / "model.onnx"
    with pytest.raises(ModelError) as err:
        oc.create_compact_session(src, "00" * 32, dest_of(src))
    assert err.value.code == "model.missing"


def test_a_cached_file_swapped_for_another_loadable_model_is_rebuilt(source, caplog):
    """Same size, a valid model, wrong weights: only its recorded sha256 can tell, and
    loading it would give wrong outputs without any error."""
    src, sha = source
    dest = dest_of(src)
    oc.create_compact_session(src, sha, dest)
    other = oc.compact_model(tiny_model(seed=1)).SerializeToString()
    assert len(other) == dest.stat().st_size
    dest.write_bytes(other)
    assert oc.compact_problem(src, sha, dest) == \
        "its sha256 differs from the one recorded when it was built"
    with caplog.at_level(logging.WARNING):
        out = run(oc.create_compact_session(src, sha, dest))
    assert cosines(run(tiny_model()), out).min() > 0.999  # the right model's outputs
    assert oc.compact_problem(src, sha, dest) is None  # rebuilt for the next start


def test_a_compact_file_built_by_an_older_heron_is_rebuilt_and_said_so(source, caplog):
    """Older sidecars recorded no sha256: that is not damage, and is not called so."""
    src, sha = source
    dest = dest_of(src)
    oc.create_compact_session(src, sha, dest)
    side = oc.sidecar_path(dest)
    meta = json.loads(side.read_text())
    del meta["compact_sha256"]
    side.write_text(json.dumps(meta))
    assert oc.compact_problem(src, sha, dest) == "no recorded sha256 (built by an older Heron)"
    with caplog.at_level(logging.WARNING):
        out = run(oc.create_compact_session(src, sha, dest))
    assert "built by an older Heron" in caplog.text and "differs" not in caplog.text
    assert cosines(run(tiny_model()), out).min() > 0.999
    assert oc.compact_problem(src, sha, dest) is None  # rebuilt, now with its sha256
