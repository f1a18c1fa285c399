"""Locate package-installed model files, assemble split ones, verify sha256."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from models.catalog import CATALOG, ModelFile, ModelSpec, get_spec
from models.errors import ModelError

# progress(bytes_done, bytes_total) while hashing or joining
Progress = Callable[[int, int], None]
_CHUNK = 1 << 20


def package_dir(module: str) -> Path | None:
    """Folder of an installed package, found without importing it (silero_vad's
    __init__ imports torch)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def sha256_file(path: Path, progress: Progress | None = None, total: int = 0) -> str:
    digest = hashlib.sha256()
    done = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, total or done)
    return digest.hexdigest()


@dataclass(frozen=True)
class FileCheck:
    name: str
    path: str
    ok: bool
    code: str = ""  # "" | model.missing | model.corrupt
    detail: str = ""


@dataclass(frozen=True)
class ModelCheck:
    spec: ModelSpec
    files: tuple[FileCheck, ...]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)

    def to_dict(self) -> dict:
        return {
            "id": self.spec.id, "role": self.spec.role, "ok": self.ok,
            "package": self.spec.requirement, "licence": self.spec.licence,
            "fix": "" if self.ok else self.spec.reinstall_command(),
            "files": [f.__dict__ for f in self.files],
        }


class ModelStore:
    """Where each catalogued model's files are; `models_dir` holds assembled ones."""

    def __init__(self, models_dir: Path) -> None:
        self.models_dir = Path(models_dir)
        self._join_lock = threading.Lock()

    # -- locating -----------------------------------------------------------------
    def source_path(self, spec: ModelSpec, f: ModelFile) -> Path | None:
        """Where the package put this file (None when the package is missing)."""
        root = package_dir(spec.module)
        if root is None:
            return None
        return root / spec.subdir / f.name

    def model_dir(self, spec_or_id: ModelSpec | str) -> Path:
        """The directory holding all of a model's files, ready for its runtime.

        Raises ModelError(model.missing | model.corrupt) with the reinstall command.
        """
        spec = get_spec(spec_or_id) if isinstance(spec_or_id, str) else spec_or_id
        if spec.joined:
            self._ensure_joined(spec)
            return self.models_dir / spec.id
        first = self.source_path(spec, spec.files[0])
        if first is None:
            raise self._missing(spec, spec.files[0].name,
                                f"package {spec.package} is not installed")
        for f in spec.files:
            self._check_present(spec, f, first.parent / f.name)
        return first.parent

    def path(self, model_id: str, filename: str | None = None) -> Path:
        """Path of one file of a model (the first file when `filename` is None)."""
        spec = get_spec(model_id)
        name = filename or spec.files[0].name
        return self.model_dir(spec) / name

    def _check_present(self, spec: ModelSpec, f: ModelFile, path: Path) -> None:
        # A size check on every load is cheap and catches truncation; the full
        # sha256 runs in `heron models verify` and at install.
        if not path.is_file():
            raise self._missing(spec, f.name, f"{path} does not exist")
        size = path.stat().st_size
        if size != f.size_bytes:
            raise ModelError(
                "model.corrupt",
                f"model file {path} is {size} bytes, expected {f.size_bytes}",
                f"reinstall it: {spec.reinstall_command()}",
            )

    @staticmethod
    def _missing(spec: ModelSpec, name: str, why: str) -> ModelError:
        return ModelError("model.missing", f"model {spec.id}: {name} not found ({why})",
                          f"reinstall it: {spec.reinstall_command()}")

    # -- joining split models ----------------------------------------------------------
    def _ensure_joined(self, spec: ModelSpec, progress: Progress | None = None) -> None:
        dest_dir = self.models_dir / spec.id
        with self._join_lock:
            for f in spec.files:
                dest = dest_dir / f.name
                if dest.is_file() and dest.stat().st_size == f.size_bytes:
                    continue
                sources = self._sources(spec, f)
                dest_dir.mkdir(parents=True, exist_ok=True)
                tmp = dest.with_suffix(dest.suffix + ".partial")
                try:
                    self._join(sources, tmp, f, progress)
                except OSError as err:
                    tmp.unlink(missing_ok=True)
                    raise ModelError(
                        "model.join_failed", f"could not assemble {dest}: {err.strerror}",
                        f"free disk space in {dest_dir} and retry",
                    ) from err
                got = sha256_file(tmp)
                if got != f.sha256:
                    tmp.unlink(missing_ok=True)
                    raise ModelError(
                        "model.corrupt", f"assembled {f.name} of {spec.id} has the wrong sha256",
                        f"reinstall it: {spec.reinstall_command()}",
                    )
                os.replace(tmp, dest)

    def _sources(self, spec: ModelSpec, f: ModelFile) -> list[Path]:
        rels = f.parts or (f"{spec.module}/{spec.subdir}/{f.name}",)
        out = []
        for rel in rels:
            module, _, rest = rel.partition("/")
            root = package_dir(module)
            if root is None:
                raise self._missing(spec, f.name, f"package for {module} is not installed")
            src = root / rest
            if not src.is_file():
                raise self._missing(spec, f.name, f"{src} does not exist")
            out.append(src)
        return out

    @staticmethod
    def _join(sources: list[Path], dest: Path, f: ModelFile, progress: Progress | None) -> None:
        done = 0
        with dest.open("wb") as out:
            for src in sources:
                with src.open("rb") as fh:
                    while chunk := fh.read(_CHUNK):
                        out.write(chunk)
                        done += len(chunk)
                        if progress:
                            progress(done, f.size_bytes)

    # -- verification --------------------------------------------------------------
    def verify(self, spec: ModelSpec, progress: Progress | None = None) -> ModelCheck:
        """Hash every file of `spec` (assembling split files first)."""
        checks: list[FileCheck] = []
        if spec.joined:
            try:
                self._ensure_joined(spec, progress)
            except ModelError as err:
                return ModelCheck(spec, tuple(
                    FileCheck(f.name, "", False, err.code, err.message) for f in spec.files))
            base: Path | None = self.models_dir / spec.id
        else:
            first = self.source_path(spec, spec.files[0])
            base = first.parent if first else None
        for f in spec.files:
            path = base / f.name if base else None
            if path is None or not path.is_file():
                checks.append(FileCheck(f.name, str(path or ""), False, "model.missing",
                                        "file not found"))
                continue
            got = sha256_file(path, progress, f.size_bytes)
            if got != f.sha256:
                detail = f"sha256 {got[:12]}… expected {f.sha256[:12]}…"
                if spec.joined:
                    # _ensure_joined trusts a same-size copy, so a bad one would survive a
                    # reinstall: drop it and the next load/verify joins it from the parts.
                    path.unlink(missing_ok=True)
                    detail += " (bad assembled copy removed; verify again to re-join it)"
                checks.append(FileCheck(f.name, str(path), False, "model.corrupt", detail))
            else:
                checks.append(FileCheck(f.name, str(path), True))
        return ModelCheck(spec, tuple(checks))

    def verify_all(self, progress: Progress | None = None) -> list[ModelCheck]:
        return [self.verify(spec, progress) for spec in CATALOG]

    def remove_assembled(self, spec: ModelSpec) -> None:
        shutil.rmtree(self.models_dir / spec.id, ignore_errors=True)
