"""Secrets (the audit HMAC key, the LLM API key, the companion signing key): in the OS
keyring when a real backend exists, else one 0600 file per secret in a 0700 dir.
Secret values are never logged."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from models.errors import CodedError

log = logging.getLogger(__name__)

SERVICE = "heron"
SECRET_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class SecretError(CodedError):
    exit_code = 1


def usable_keyring(backend: Any, chosen: bool = False) -> bool:
    """Whether a keyring backend really stores secrets: never keyring's `fail` or `null`
    placeholders nor a chainer with nothing usable behind it. A backend the `keyring`
    package merely detected must also rank as recommended (priority >= 1), so a
    plaintext-file keyring (keyrings.alt, priority < 1) never wins over our 0600 files;
    one the user chose (`chosen`: passed in, PYTHON_KEYRING_BACKEND, keyringrc.cfg) is
    taken as it is."""
    from keyring.backends import chainer, fail, null

    if backend is None or isinstance(backend, fail.Keyring | null.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        return any(usable_keyring(b, chosen) for b in backend.backends)
    if chosen:
        return True
    try:
        return float(backend.priority) >= 1
    except Exception:  # a backend that cannot tell is not viable here
        return False


def default_keyring() -> tuple[Any, bool]:
    """(backend, chosen): the backend the user named (PYTHON_KEYRING_BACKEND, then
    keyringrc.cfg), else the one the `keyring` package picks; (None, False) when none
    loads. The named one is loaded here rather than through `keyring.get_keyring()`,
    which keeps whatever it picked first in this process even after the variable
    changes."""
    try:
        import keyring
        import keyring.core

        named = keyring.core.load_env() or keyring.core.load_config()
        if named is not None:
            return named, True
        return keyring.get_keyring(), False
    except Exception as err:  # a broken third-party backend must not stop Heron
        log.warning("no keyring backend: %s", err)
        return None, False


def keyring_service(data_dir: Path) -> str:
    """The keyring service a data dir's secrets live under: "heron" for the default data
    dir (as before), "heron:<digest of the path>" for any other (HERON_HOME), so two
    Herons of one user never share an audit key or chain anchor."""
    from assistant.paths import resolve_paths

    here = os.path.realpath(data_dir)
    if here == os.path.realpath(resolve_paths({}).data_dir):
        return SERVICE
    return f"{SERVICE}:{hashlib.sha256(os.fsencode(here)).hexdigest()[:12]}"


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock shared by every Heron process on this machine (flock/msvcrt)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if os.name == "nt":  # pragma: no cover - exercised on Windows only
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_private(path: Path, text: str, sync: bool = True) -> None:
    """Replace `path` atomically with a 0600 file holding `text` (readers see the old
    or the new contents, never a partial file); `sync` flushes it to disk first."""
    write_private_bytes(path, text.encode("utf-8"), sync)


def write_private_bytes(path: Path, data: bytes, sync: bool = True) -> None:
    """write_private for bytes (a picture)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o600)  # mkstemp already uses 0600; keep it explicit
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class SecretStore:
    """get/set/delete secrets by name. `keyring_backend=None` asks the `keyring`
    package which backend to use; `use_keyring=False` forces the file store."""

    def __init__(self, data_dir: Path, keyring_backend: Any = None,
                 use_keyring: bool = True) -> None:
        self.data_dir = Path(data_dir)
        self.dir = self.data_dir / "secrets"
        backend, chosen = None, False
        if use_keyring:
            backend, chosen = ((keyring_backend, True) if keyring_backend is not None
                               else default_keyring())
        self._keyring = backend if usable_keyring(backend, chosen) else None
        self.service = keyring_service(self.data_dir)

    @property
    def backend(self) -> str:
        if self._keyring is not None:
            return f"keyring ({_backend_name(self._keyring)})"
        return f"file (0600) in {self.dir}"

    @property
    def uses_keyring(self) -> bool:
        return self._keyring is not None

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Serialise get-or-create across processes (two first runs at once)."""
        return file_lock(self.data_dir / ".secrets.lock")

    def get(self, name: str) -> str | None:
        _check_name(name)
        if self._keyring is None:
            return self._file_get(name)
        value = self._call("read", name, self._keyring.get_password, self.service, name)
        if value is None:
            value = self._file_get(name)
            if value is not None:  # stored before a keyring existed: move it in
                ring = self._keyring
                self._call("store", name, ring.set_password, self.service, name, value)
                if self._call("read", name, ring.get_password, self.service, name) == value:
                    self._path(name).unlink(missing_ok=True)
                    log.info("moved secret %s from %s into the keyring", name, self.dir)
        return value

    def set(self, name: str, value: str) -> None:
        _check_name(name)
        if not isinstance(value, str) or not value:
            raise SecretError("secrets.bad_value", f"secret {name!r} must be a non-empty string",
                              "pass the secret as text")
        if self._keyring is not None:
            self._call("store", name, self._keyring.set_password, self.service, name, value)
            self._path(name).unlink(missing_ok=True)  # no stale copy left on disk
            return
        self._ensure_dir()
        try:
            write_private(self._path(name), value)
        except OSError as err:
            raise SecretError("secrets.write_failed", f"cannot store secret {name!r} in "
                              f"{self.dir}: {err.strerror or err}",
                              f"make {self.dir} writable") from err

    def delete(self, name: str) -> None:
        """Forget a secret everywhere it may be; no error when it was not set."""
        _check_name(name)
        if self._keyring is not None:
            import keyring.errors

            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                self._call("delete", name, self._keyring.delete_password, self.service, name)
        self._path(name).unlink(missing_ok=True)

    def get_or_create(self, name: str, make: Callable[[], str]) -> tuple[str, bool]:
        """The secret, creating it with `make()` if absent; (value, created)."""
        with self.lock():
            value = self.get(name)
            if value is not None:
                return value, False
            value = make()
            self.set(name, value)
            return value, True

    # -- internals ----------------------------------------------------------------------
    def _path(self, name: str) -> Path:
        return self.dir / name

    def _ensure_dir(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)

    def _file_get(self, name: str) -> str | None:
        path = self._path(name)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as err:
            raise SecretError("secrets.unreadable", f"cannot read secret {name!r} from "
                              f"{path}: {err.strerror or err}",
                              f"check the owner and permissions of {self.dir}") from err
        if os.name != "nt" and path.stat().st_mode & 0o077:
            log.warning("secret file %s is readable by others; making it 0600", path)
            os.chmod(path, 0o600)
        return text or None

    def _call(self, action: str, name: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as err:
            import keyring.errors

            if isinstance(err, keyring.errors.PasswordDeleteError):
                raise
            # the message names the secret and the backend, never the value
            raise SecretError("secrets.keyring_failed",
                              f"the keyring ({_backend_name(self._keyring)}) failed to "
                              f"{action} secret {name!r}: {type(err).__name__}: {err}",
                              "unlock your keyring (log in to the desktop session), or "
                              "check it with `keyring diagnose`") from err


def _backend_name(backend: Any) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__name__}"


def _check_name(name: str) -> None:
    if not SECRET_NAME.match(name or ""):
        raise SecretError("secrets.bad_name", f"bad secret name {name!r}",
                          "use lowercase letters, digits, '.', '_' or '-' (at most 64)")
