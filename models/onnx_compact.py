"""Rewrites a weight-only int8 ONNX model so ONNX Runtime keeps its weights int8.

Such a model stores each weight as an int8 initializer `W_q` plus a float32 `W_scale`
and dequantises it in the graph: `Mul(Cast(W_q, to=float), W_scale)`. ONNX Runtime
constant-folds that subgraph at load, so every weight sits in memory as float32 (4x its
size on disk: ~165 MB resident for the router's 23 MB MiniLM). Two exact-pattern rewrites
keep the int8 bytes instead:

* an embedding table, `Gather(Mul(Cast(W_q), W_scale), ids)` with one scale per row
  (shape (rows, 1)), becomes `Mul(Cast(Gather(W_q, ids)), Gather(W_scale, ids))`: only
  the looked-up rows are dequantised (bit-exact);
* a linear layer, `MatMul(x, Mul(Cast(W_q), W_scale))` with W_q (K, N) int8 and one scale
  per column (shape (1, N)), becomes com.microsoft `MatMulNBits` (bits=8): ONNX Runtime's
  kernel reads the uint8 weights directly. With accuracy_level=4 it also quantises the
  activations to int8 per block, hence tiny differences (cosine ≥ 0.999 to the original).

Any node that does not match exactly is left as it is. The `onnx` package is needed only
to build the rewritten file, once; `create_compact_session` caches it next to the original
and falls back to the original model (working, just bigger) whenever it cannot.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from models.errors import ModelError
from models.heap import release_free_memory
from models.onnx import SessionOptions, create_session
from models.store import sha256_file

if TYPE_CHECKING:
    from onnx import ModelProto

log = logging.getLogger(__name__)

# Bump when the rewrite changes: cached files of another version are rebuilt.
REWRITE_VERSION = 1
BLOCK_SIZE = 16  # MatMulNBits block along K; every K of MiniLM (384, 1536) divides by it
ACCURACY_LEVEL = 4  # int8 activations: the fast path of the 8-bit kernel
MIN_ORT = (1, 22)  # the first onnxruntime with an 8-bit MatMulNBits CPU kernel (x86)
META_KEY = "heron.onnx_compact"  # metadata_props entry naming the version and the counts

_FLOAT, _INT8 = 1, 3  # onnx.TensorProto.FLOAT, INT8


# -- the rewrite (pure) ------------------------------------------------------------------
def compact_model(model: bytes | ModelProto) -> ModelProto:
    """A copy of `model` with its int8 embedding tables and MatMul weights kept int8.

    The input is not changed. The result records what was rewritten in its
    metadata_props (`rewrite_counts` reads it); nothing matched means zero counts.
    """
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    m = onnx.ModelProto()
    if isinstance(model, bytes | bytearray | memoryview):
        m.ParseFromString(bytes(model))
    else:
        m.CopyFrom(model)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    producer = {out: n for n in g.node for out in n.output}
    names = set(inits) | set(producer) | {i.name for i in g.input}
    names |= {n.name for n in g.node}

    def fresh(base: str) -> str:
        name, i = base, 0
        while name in names:
            i += 1
            name = f"{base}_{i}"
        names.add(name)
        return name

    def dequantised(tensor: str):
        """(W_q name, W_scale name, W_q dims, scale dims) when `tensor` is exactly
        Mul(Cast(int8 initializer, to=float), float initializer); else None."""
        mul = producer.get(tensor)
        if mul is None or mul.op_type != "Mul" or mul.domain not in ("", "ai.onnx") \
                or len(mul.input) != 2:
            return None
        cast = producer.get(mul.input[0])
        scale = inits.get(mul.input[1])
        if cast is None or cast.op_type != "Cast" or cast.domain not in ("", "ai.onnx") \
                or scale is None or scale.data_type != _FLOAT:
            return None
        to = next((a.i for a in cast.attribute if a.name == "to"), None)
        wq = inits.get(cast.input[0])
        if to != _FLOAT or wq is None or wq.data_type != _INT8:
            return None
        return wq.name, scale.name, tuple(wq.dims), tuple(scale.dims)

    nodes = []
    gathers = matmuls = 0
    added = []
    for n in g.node:
        if n.domain not in ("", "ai.onnx") or len(n.input) != 2:
            nodes.append(n)
            continue
        found = dequantised(n.input[0 if n.op_type == "Gather" else 1]) \
            if n.op_type in ("Gather", "MatMul") else None
        if found is None:
            nodes.append(n)
            continue
        wq_name, scale_name, wq_dims, scale_dims = found
        base = n.name or n.output[0]
        if n.op_type == "Gather":
            axis = next((a.i for a in n.attribute if a.name == "axis"), 0)
            if axis != 0 or len(wq_dims) != 2 or scale_dims != (wq_dims[0], 1):
                nodes.append(n)
                continue
            q, s, f = fresh(base + "_rows_q"), fresh(base + "_rows_scale"), fresh(base + "_rows_f")
            nodes += [helper.make_node("Gather", [wq_name, n.input[1]], [q], name=fresh(q), axis=0),
                      helper.make_node("Gather", [scale_name, n.input[1]], [s], name=fresh(s),
                                       axis=0),
                      helper.make_node("Cast", [q], [f], name=fresh(f), to=_FLOAT),
                      helper.make_node("Mul", [f, s], list(n.output), name=fresh(base + "_rows"))]
            gathers += 1
            continue
        if len(wq_dims) != 2 or scale_dims != (1, wq_dims[1]) or wq_dims[0] % BLOCK_SIZE:
            nodes.append(n)
            continue
        k, cols = wq_dims
        blocks = k // BLOCK_SIZE
        wq = numpy_helper.to_array(inits[wq_name])
        scale = numpy_helper.to_array(inits[scale_name]).reshape(-1).astype(np.float32)
        # MatMulNBits wants B as [N, K/block, block] unsigned, with per-block scales and
        # zero points: (W_q + 128) - 128 is W_q again, times the column's scale.
        b = (wq.astype(np.int16) + 128).astype(np.uint8).T.reshape(cols, blocks, BLOCK_SIZE)
        b_name, s_name, z_name = fresh(base + "_B"), fresh(base + "_scales"), fresh(base + "_zp")
        added += [numpy_helper.from_array(np.ascontiguousarray(b), b_name),
                  numpy_helper.from_array(np.repeat(scale, blocks), s_name),
                  numpy_helper.from_array(np.full(cols * blocks, 128, np.uint8), z_name)]
        nodes.append(helper.make_node(
            "MatMulNBits", [n.input[0], b_name, s_name, z_name], list(n.output),
            name=fresh(base + "_nbits"), domain="com.microsoft", K=k, N=cols, bits=8,
            block_size=BLOCK_SIZE, accuracy_level=ACCURACY_LEVEL))
        matmuls += 1

    del g.node[:]
    g.node.extend(nodes)
    g.initializer.extend(added)
    if gathers or matmuls:
        _drop_unused(g)
        if not any(o.domain == "com.microsoft" for o in m.opset_import) and matmuls:
            m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    entry = next((p for p in m.metadata_props if p.key == META_KEY), None)
    if entry is None:
        entry = m.metadata_props.add()
        entry.key = META_KEY
    entry.value = json.dumps({"version": REWRITE_VERSION, "gathers": gathers,
                              "matmuls": matmuls})
    return m


def rewrite_counts(model: ModelProto) -> tuple[int, int]:
    """(embedding tables, MatMuls) that `compact_model` rewrote in `model`."""
    for p in model.metadata_props:
        if p.key == META_KEY:
            info = json.loads(p.value)
            return int(info["gathers"]), int(info["matmuls"])
    return 0, 0


def _subgraph_inputs(node) -> set[str]:
    """Names a node's subgraphs (If/Loop/Scan bodies) read, outer scope included."""
    out: set[str] = set()
    for a in node.attribute:
        for sub in [a.g] if a.HasField("g") else list(a.graphs):
            for n in sub.node:
                out.update(n.input)
                out |= _subgraph_inputs(n)
    return out


def _drop_unused(g) -> None:
    """Remove nodes none of whose outputs reach a graph output, then the initializers
    (and their stale value_info) nothing reads any more."""
    used = {o.name for o in g.output}
    keep = []
    for n in reversed(list(g.node)):
        if any(o in used for o in n.output):
            keep.append(n)
            used.update(n.input)
            used |= _subgraph_inputs(n)
    del g.node[:]
    g.node.extend(reversed(keep))
    dropped = {t.name for t in g.initializer if t.name not in used}
    kept = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(kept)
    live = used | {o for n in g.node for o in n.output}
    for field in (g.input, g.value_info):
        keep_vi = [v for v in field if v.name not in dropped and
                   (field is g.input or v.name in live)]
        del field[:]
        field.extend(keep_vi)


# -- the cached file -----------------------------------------------------------------------
def sidecar_path(dest: Path) -> Path:
    """The JSON next to a compact model naming what it was built from."""
    return dest.with_suffix(".json")


def _key(source: Path, source_sha256: str) -> dict:
    st = source.stat()
    return {"rewrite_version": REWRITE_VERSION, "source_sha256": source_sha256,
            "source_size": st.st_size, "source_mtime_ns": st.st_mtime_ns}


def cached_compact(source: Path, source_sha256: str, dest: Path) -> Path | None:
    """`dest` when it was built by this rewrite version from this very source file
    (sha256, size and mtime as recorded in its sidecar) and its own sha256 is the one
    recorded when it was written."""
    return dest if compact_problem(source, source_sha256, dest) is None else None


def compact_problem(source: Path, source_sha256: str, dest: Path) -> str | None:
    """Why the cached compact model cannot be used (None: it can): "absent", or what is
    wrong with it. Its bytes are hashed, so a damaged file is never loaded as a model
    that merely runs and gives wrong vectors."""
    if not dest.exists():
        return "absent"
    try:
        meta = json.loads(sidecar_path(dest).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"no record of how it was built ({sidecar_path(dest).name} is missing)"
    except (OSError, ValueError) as err:
        return f"its record {sidecar_path(dest).name} is unreadable ({err})"
    if not isinstance(meta, dict):
        return f"its record {sidecar_path(dest).name} is unreadable"
    try:
        want = _key(source, source_sha256)
    except OSError as err:
        return f"its source {source} is unreadable ({err.strerror or err})"
    stale = [k for k, v in want.items() if meta.get(k) != v]
    if stale:
        return f"built from another model or rewrite ({', '.join(stale)} differ)"
    try:
        if dest.stat().st_size != meta.get("compact_size"):
            return "its size differs from the one recorded when it was built"
        if "compact_sha256" not in meta:  # sidecars before issue 13 did not record it
            return "no recorded sha256 (built by an older Heron)"
        if sha256_file(dest) != meta.get("compact_sha256"):
            return "its sha256 differs from the one recorded when it was built"
    except OSError as err:
        return f"it is unreadable ({err.strerror or err})"
    return None


def build_compact(source: Path, source_sha256: str, dest: Path) -> Path | bytes | None:
    """Rewrite `source` into `dest` (atomically, with its sidecar) and return `dest`;
    the bytes when they could not be written (full disk, read-only dir); None when there
    is nothing to use (source unreadable or not the expected file, `onnx` missing, the
    rewrite failed or matched nothing) — the caller then loads `source` as it is."""
    try:
        data = source.read_bytes()
    except OSError:
        return None  # loading the original reports it (model.missing / model.corrupt)
    if hashlib.sha256(data).hexdigest() != source_sha256:
        log.warning("%s is not the catalogued file (sha256 differs): loading it without "
                    "the int8 rewrite; `heron models verify` checks it", source)
        return None
    try:
        import onnx  # noqa: F401  (only needed here, once)
    except ImportError:
        log.warning("the onnx package is not installed: %s is loaded as it is (~3x more "
                    "memory); install it with `.venv/bin/pip install 'onnx>=1.16'`", source)
        return None
    try:
        model = compact_model(data)
        del data
        gathers, matmuls = rewrite_counts(model)
        if not (gathers or matmuls):
            log.info("%s has no int8 weights to keep int8; loading it as it is", source)
            return None
        out = model.SerializeToString()
        del model
    except Exception as err:  # a model the rewrite does not understand: keep the original
        log.warning("could not rewrite %s to keep its weights int8 (%s: %s); loading it as "
                    "it is", source, type(err).__name__, str(err)[:200])
        return None
    try:
        _write_atomic(dest, out, _key(source, source_sha256)
                      | {"compact_size": len(out),
                         "compact_sha256": hashlib.sha256(out).hexdigest()})
    except OSError as err:
        log.warning("could not save the int8-rewritten model to %s (%s); using it from "
                    "memory this time", dest, err.strerror or err)
        return out
    log.info("wrote %s (%d embedding tables, %d MatMuls kept int8)", dest, gathers, matmuls)
    return dest


def _write_atomic(dest: Path, data: bytes, meta: dict) -> None:
    """The model, then its sidecar, each via a temporary file and os.replace. The old
    sidecar goes first, so an interrupted write never pairs a new file with old facts."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    side = sidecar_path(dest)
    side.unlink(missing_ok=True)
    for path, payload in ((dest, data), (side, json.dumps(meta, indent=1).encode())):
        # A name of its own per writer (two processes may build at once); "x" mode keeps
        # the umask's permissions, like the other files of the models dir.
        tmp = path.with_name(f"{path.name}.{os.getpid()}-{secrets.token_hex(4)}.partial")
        try:
            with tmp.open("xb") as fh:
                fh.write(payload)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise


def discard(dest: Path) -> None:
    """Remove a cached compact model and its sidecar (the next load rebuilds them)."""
    for path in (sidecar_path(dest), dest):
        with contextlib.suppress(OSError):
            path.unlink()


def create_compact_session(source: Path, source_sha256: str, dest: Path,
                           options: SessionOptions | None = None, model_id: str = "",
                           reinstall_hint: str = ""):
    """An onnxruntime session of `source` rewritten by `compact_model`, cached in `dest`.

    The cached file is reused while its sidecar matches; a stale, unreadable or garbage
    one is rebuilt. Whenever the rewrite cannot be had, the original is loaded as before
    (and its errors, model.missing / model.corrupt, are raised as before).
    """
    source, dest = Path(source), Path(dest)
    options = options or SessionOptions()
    kwargs = {"model_id": model_id, "reinstall_hint": reinstall_hint}
    if not _runtime_supported():
        log.info("onnxruntime older than %d.%d: loading %s as it is", *MIN_ORT, source)
        return create_session(source, options, **kwargs)
    problem = compact_problem(source, source_sha256, dest)
    if problem not in (None, "absent"):
        log.warning("cached %s cannot be used (%s); rebuilding it", dest, problem)
    if problem is None:
        try:
            return create_session(dest, options, **kwargs)
        except ModelError as err:
            log.warning("cached %s does not load (%s); rebuilding it", dest, err.message)
            discard(dest)
    built = build_compact(source, source_sha256, dest)
    release_free_memory()  # the rewrite's temporary ~50 MB, which glibc would otherwise keep
    if built is not None:
        try:
            session = create_session(built, options, **kwargs)
        except ModelError as err:  # e.g. an onnxruntime without 8-bit MatMulNBits
            log.warning("the int8-rewritten model does not load (%s); loading %s as it is",
                        err.message, source)
            discard(dest)
        else:
            return session
    return create_session(source, options, **kwargs)


def _runtime_supported() -> bool:
    import onnxruntime as ort

    try:
        major, minor = (int(x) for x in ort.__version__.split(".")[:2])
    except ValueError:
        return True  # a development build: assume it is new
    return (major, minor) >= MIN_ORT
