"""Sentence embeddings with the bundled all-MiniLM-L6-v2 (int8 ONNX): the router's
meaning signal. The model outputs one vector per token; a sentence is their mean over
the attention mask, L2-normalised, so a dot product is the cosine similarity."""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from models.catalog import get_spec
from models.errors import ModelError
from models.onnx import SessionOptions
from models.onnx_compact import META_KEY, create_compact_session
from models.store import ModelStore

MODEL_ID = "minilm-l6-int8"
log = logging.getLogger(__name__)

COMPACT_FILE = "model.compact.onnx"  # model.onnx with its weights kept int8 (written once)
MAX_TOKENS = 64  # commands are short; long text is cut (the model was trained on ≤128)
DIM = 384
BATCH = 16  # texts per ONNX run (see TextEmbedder.embed)


class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32 rows of unit length."""
        ...


class TextEmbedder:
    """MiniLM sentence embeddings; the session is created lazily, once, behind a lock.

    One intra-op thread: a query is ~10 tokens and threads only add jitter there.
    """

    def __init__(self, store: ModelStore, options: SessionOptions | None = None,
                 cache_size: int = 256) -> None:
        self._store = store
        self._options = options or SessionOptions()
        self._lock = threading.Lock()
        self._session = None
        self._tokenizer = None
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def load(self) -> None:
        """Load the tokenizer and the ONNX session now (otherwise on first use)."""
        with self._lock:
            self._load_locked()

    def _load_locked(self) -> None:
        if self._session is not None:
            return
        from tokenizers import Tokenizer

        spec = get_spec(MODEL_ID)
        folder = self._store.model_dir(spec)  # joins the two packages' files once
        hint = f"reinstall it: {spec.reinstall_command()}"
        try:
            tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as err:  # tokenizers raises a bare Exception on a bad file
            raise ModelError("model.corrupt", f"tokenizer of {MODEL_ID} could not be read: "
                             f"{str(err)[:200]}", hint) from err
        # The shipped tokenizer pads every input to 128 tokens; pad a batch to its
        # longest member instead (4x less work for a short command).
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        # Loaded as shipped, onnxruntime would dequantise every int8 weight to float32
        # (~165 MB resident); the rewritten copy keeps them int8 (~50 MB), same vectors.
        source = next(f for f in spec.files if f.name == "model.onnx")
        self._session = create_compact_session(
            folder / source.name, source.sha256, folder / COMPACT_FILE, self._options,
            model_id=MODEL_ID, reinstall_hint=hint)
        self._tokenizer = tokenizer

    @property
    def fingerprint(self) -> str:
        """Which model makes the vectors: the shipped one or which rewrite of it."""
        with self._lock:
            self._load_locked()
            meta = self._session.get_modelmeta().custom_metadata_map
        return f"{MODEL_ID}:{meta.get(META_KEY, 'as shipped')}"

    @property
    def cache_dir(self) -> Path:
        """Where vectors worth keeping across runs go (the example phrases')."""
        return self._store.model_dir(get_spec(MODEL_ID))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length sentence vectors, one row per text. Run in batches of
        BATCH: one batch of every example phrase would grow ONNX Runtime's memory arena
        by its attention tensors (≈190 MB for ~300 phrases), and the arena keeps it."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        texts = list(texts)
        return np.concatenate([self._embed_batch(texts[i:i + BATCH])
                               for i in range(0, len(texts), BATCH)])

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            self._load_locked()
            encodings = self._tokenizer.encode_batch(texts)
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            types = np.zeros_like(ids)
            (tokens,) = self._session.run(["last_hidden_state"], {
                "input_ids": ids, "attention_mask": mask, "token_type_ids": types})
        weights = mask[:, :, None].astype(np.float32)
        summed = (tokens * weights).sum(axis=1)
        pooled = summed / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def embed_one(self, text: str) -> np.ndarray:
        """One query's vector, remembered for repeats ("what time is it" is said a lot)."""
        hit = self._cache.get(text)
        if hit is not None:
            self._cache.move_to_end(text)
            return hit
        vec = self.embed([text])[0]
        self._cache[text] = vec
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return vec


def _phrases_key(phrases: Sequence[str]) -> str:
    return hashlib.sha256("\x1f".join(phrases).encode()).hexdigest()


class ExampleIndex:
    """Embeddings of the manifests' example phrases, recomputed only when the phrases
    change (a worker added, removed or hot-reloaded). An embedder with a `cache_dir`
    and a `fingerprint` also keeps them on disk: embedding the ~1200 built-in phrases
    takes 6-10 s of CPU at every start otherwise. A data dir without its own copy takes
    the one `heron models prepare` made at install (`shared_dir`), when it is for the
    same phrases and model."""

    def __init__(self, embedder: Embedder, shared_dir: Path | None = None) -> None:
        self._embedder = embedder
        self._shared_dir = shared_vectors_dir() if shared_dir is None else shared_dir
        self._key = ""
        self._matrix = np.zeros((0, DIM), dtype=np.float32)

    def matrix(self, phrases: Sequence[str]) -> np.ndarray:
        """(len(phrases), dim) vectors for `phrases`, in order."""
        key = _phrases_key(phrases)
        if key != self._key:
            self._matrix = self._stored(list(phrases)) if phrases else \
                np.zeros((0, DIM), dtype=np.float32)
            self._key = key
        return self._matrix

    def file_name(self, phrases: Sequence[str]) -> str:
        """The name the vectors of `phrases` by this embedder's model are kept under."""
        tag = hashlib.sha256(f"{self._embedder.fingerprint}\x1e{_phrases_key(phrases)}"
                             .encode()).hexdigest()
        return f"{EXAMPLES_PREFIX}{tag[:20]}.npy"

    def _stored(self, phrases: list[str]) -> np.ndarray:
        folder = getattr(self._embedder, "cache_dir", None)
        if folder is None:
            return self._embedder.embed(phrases)
        path = Path(folder) / self.file_name(phrases)
        kept, problem = read_vectors(path)
        if kept is not None and kept.shape == (len(phrases), DIM):
            return kept
        if problem == "absent":  # made at install for the built-in tools' phrases?
            shared, _ = read_vectors(self._shared_dir / path.name)
            if shared is not None and shared.shape == (len(phrases), DIM):
                save_vectors(path, shared)
                return shared
        if kept is not None:
            problem = "it does not match the example phrases"
        if problem != "absent":
            log.warning("%s: %s; embedding the phrases again", path, problem)
        matrix = self._embedder.embed(phrases)
        save_vectors(path, matrix)
        return matrix


EXAMPLES_PREFIX = "examples-"
DIGEST_SUFFIX = ".sha256"  # next to each vectors file: the sha256 of its bytes
KEPT_PHRASE_SETS = 4


def shared_vectors_dir() -> Path:
    """Example vectors made once at install (`heron models prepare`) for the built-in
    tools' phrases, read by every data dir that has none of its own yet: a first start
    then skips embedding ~1200 phrases (6-10 s of CPU on 2 cores)."""
    return Path(sys.prefix) / "share" / "heron" / "vectors"


def read_vectors(path: Path) -> tuple[np.ndarray | None, str]:
    """The vectors kept in `path` and "" — or None and why they cannot be used ("absent",
    or what is wrong). The file's sha256 must be the one written next to it, so a
    damaged file is never used as garbage vectors that merely have the right shape."""
    digest_path = path.with_suffix(DIGEST_SUFFIX)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, "absent"
    except OSError as err:
        return None, f"it is unreadable ({err.strerror or err})"
    try:
        recorded = digest_path.read_text(encoding="ascii").strip()
    except (OSError, ValueError):
        return None, f"no recorded sha256 ({digest_path.name} is missing or unreadable)"
    if hashlib.sha256(data).hexdigest() != recorded:
        return None, "its sha256 differs from the one recorded when it was written"
    try:
        kept = np.load(io.BytesIO(data), allow_pickle=False)
    except (OSError, ValueError) as err:  # recorded, yet not an .npy file: a bug
        return None, f"it is not a vectors file ({err})"
    if kept.ndim != 2 or kept.shape[1] != DIM or kept.dtype != np.float32 \
            or not np.isfinite(kept).all():
        return None, "it holds no usable vectors"
    return kept, ""


def check_example_vectors(folder: Path) -> list[tuple[Path, str]]:
    """Every kept example-vectors file in `folder` and what is wrong with it ("" when
    nothing is), for `heron models verify`."""
    found = sorted(Path(folder).glob(f"{EXAMPLES_PREFIX}*.npy"))
    return [(path, read_vectors(path)[1]) for path in found]


def discard_vectors(path: Path) -> None:
    """Remove a kept vectors file and its digest (the next start embeds them again)."""
    for p in (path, path.with_suffix(DIGEST_SUFFIX)):
        with contextlib.suppress(OSError):
            p.unlink(missing_ok=True)


def save_vectors(path: Path, matrix: np.ndarray) -> None:
    """Write `matrix` as `path` with its sha256 next to it, keeping the vectors of the
    few phrase sets used last (the built-in tools' at start, then with the workers');
    a full or read-only disk only costs the next start its 6-10 s."""
    buf = io.BytesIO()
    np.save(buf, matrix, allow_pickle=False)
    data = buf.getvalue()
    suffix = f".{os.getpid()}.{threading.get_ident()}.tmp"
    digest_path = path.with_suffix(DIGEST_SUFFIX)
    written = []
    try:
        # The vectors first, then their digest: an interrupted write leaves a file
        # without (or with an old) digest, which is never used.
        for target, payload in ((path, data),
                                (digest_path, hashlib.sha256(data).hexdigest().encode())):
            tmp = target.with_name(f".{target.name}{suffix}")
            written.append(tmp)
            with open(tmp, "wb") as f:
                f.write(payload)
            os.replace(tmp, target)
    except OSError as err:
        log.warning("could not keep the example vectors in %s: %s", path.parent, err)
        for tmp in written:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        return
    try:
        older = sorted((p for p in path.parent.glob(f"{EXAMPLES_PREFIX}*.npy") if p != path),
                       key=lambda p: p.stat().st_mtime, reverse=True)
        for old in older[KEPT_PHRASE_SETS - 1:]:
            discard_vectors(old)
    except OSError:  # another Heron tidied up at the same moment
        pass
