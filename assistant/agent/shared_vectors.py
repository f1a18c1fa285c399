"""`heron models prepare`: the router's vectors of the built-in tools' example phrases,
made once at install into the shared folder every data dir reads (see ExampleIndex),
so a first start does not spend 6-10 s of CPU embedding them."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from assistant.agent.embeddings import (
    EXAMPLES_PREFIX,
    ExampleIndex,
    discard_vectors,
    read_vectors,
    save_vectors,
    shared_vectors_dir,
)
from models.errors import CodedError


@dataclass(frozen=True)
class Prepared:
    path: Path
    phrases: int
    made: bool  # False: the file was there already, and sound


def prepare_shared_vectors(folder: Path | None = None) -> Prepared:
    """Embed the built-in tools' phrases (default settings) into `folder` (default:
    shared_vectors_dir()), unless a sound file for them is there; older sets there are
    removed. Raises CodedError(models.prepare_failed) when the folder cannot be written."""
    from assistant.config import HeronConfig
    from assistant.core import build_core
    from assistant.paths import HeronPaths

    folder = shared_vectors_dir() if folder is None else folder
    with tempfile.TemporaryDirectory(prefix="heron-prepare-") as tmp:
        root = Path(tmp)
        core = build_core(HeronPaths(root / "config", root / "data", root / "cache"),
                          HeronConfig())
        try:
            router = core.agent.router
            if router.embedder is None:
                raise CodedError("models.prepare_failed", "the router has no sentence "
                                 "embedder", "run `heron models verify minilm-l6-int8`")
            phrases = router.example_phrases()
            path = folder / ExampleIndex(router.embedder, shared_dir=folder).file_name(phrases)
            kept, _ = read_vectors(path)
            made = kept is None or kept.shape[0] != len(phrases)
            if made:
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                    save_vectors(path, router.embedder.embed(phrases))
                except OSError as err:
                    raise CodedError(
                        "models.prepare_failed",
                        f"could not write {folder}: {err.strerror or err}",
                        "run it as the user who installed Heron; a first start then only "
                        "takes longer") from err
                if read_vectors(path)[0] is None:  # save_vectors logs and goes on
                    raise CodedError("models.prepare_failed", f"could not write {path}",
                                     "check the disk has room; a first start then only "
                                     "takes longer")
            for other in folder.glob(f"{EXAMPLES_PREFIX}*.npy"):
                if other != path:
                    discard_vectors(other)
            return Prepared(path, len(phrases), made)
        finally:
            core.close()
