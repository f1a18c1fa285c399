"""Where Heron keeps config, data and cache: HERON_HOME=DIR, else platformdirs."""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from models.errors import CodedError

APP = "heron"


class UnsafeDirError(CodedError):
    exit_code = 7


@dataclass(frozen=True)
class HeronPaths:
    config_dir: Path
    data_dir: Path
    cache_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def db_file(self) -> Path:
        return self.data_dir / "heron.db"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def workers_dir(self) -> Path:
        """Third-party workers: one directory each (heron-worker.toml + code)."""
        return self.data_dir / "workers"

    @property
    def wake_dir(self) -> Path:
        """Enrolled wake words: NAME.npz + NAME.json."""
        return self.data_dir / "wake"

    def ensure(self) -> None:
        """Create the dirs; the data dir (history, notes, audit, secrets) is private."""
        for d in (self.config_dir, self.data_dir, self.cache_dir):
            d.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):  # not ours to change (e.g. a shared mount)
            self.data_dir.chmod(0o700)


def resolve_paths(env: dict[str, str] | None = None) -> HeronPaths:
    env = os.environ if env is None else env
    home = env.get("HERON_HOME")
    if home:
        root = Path(home).expanduser().resolve()
        return HeronPaths(root / "config", root / "data", root / "cache")
    import platformdirs

    return HeronPaths(
        Path(platformdirs.user_config_dir(APP)),
        Path(platformdirs.user_data_dir(APP)),
        Path(platformdirs.user_cache_dir(APP)),
    )


RUNTIME_ROOT = "/run/user/{uid}"  # systemd-logind's per-login runtime dir (XDG_RUNTIME_DIR)


def private_runtime_dir(tag: str, runtime_root: Path | None = None,
                        max_len: int | None = None) -> Path:
    """A directory only this user can enter, for things that must live outside the data
    dir (a Unix socket whose path would be too long there): `/run/user/UID/heron-TAG`
    (the login's runtime dir) when that is private to us, else `/tmp/heron-UID-TAG`.
    Neither depends on the environment, so a `heron` started from ssh, cron or a
    systemd unit finds the same socket as the tray. Created 0700 when missing; refused
    (UnsafeDirError) when it exists but is not a real directory owned by us and closed
    to others, because whoever owns it could put a fake Heron there. `max_len` skips
    candidates whose path (in bytes) would be longer."""
    uid = os.getuid()
    runtime = runtime_root if runtime_root is not None else Path(RUNTIME_ROOT.format(uid=uid))
    candidates = []
    if _private_to_us(runtime):
        candidates.append(runtime / f"heron-{tag}")
    candidates.append(Path("/tmp") / f"heron-{uid}-{tag}")
    for path in candidates:
        if max_len is None or len(os.fsencode(path)) <= max_len:
            _make_private(path)
            return path
    raise UnsafeDirError("paths.no_runtime_dir", "no short private directory for "
                         "Heron's socket", "use a data dir with a shorter path (HERON_HOME)")


def _private_to_us(path: Path) -> bool:
    try:
        return _is_private(os.lstat(path))
    except OSError:
        return False


def _is_private(st: os.stat_result) -> bool:
    return (stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid()
            and stat.S_IMODE(st.st_mode) & 0o077 == 0)


def _make_private(path: Path) -> None:
    # mkdir fails on anything already there (even a dangling symlink): like O_EXCL, it
    # never adopts a name someone else prepared; what exists is checked, not changed.
    try:
        os.mkdir(path, 0o700)
        created = True
    except FileExistsError:
        created = False
    except OSError as err:
        raise UnsafeDirError("paths.runtime_dir_failed", f"cannot create {path}: "
                             f"{err.strerror or err}", "check that /tmp is writable, or give "
                             "HERON_HOME a shorter path (the socket then stays in "
                             "the data dir)") from err
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        private = False  # a symlink, or something that is not a directory
    else:
        try:
            if created:
                os.fchmod(fd, 0o700)  # the umask may have narrowed mkdir's mode
            private = _is_private(os.fstat(fd))
        finally:
            os.close(fd)
    if not private:
        raise UnsafeDirError(
            "paths.unsafe_runtime_dir", f"{path} is not a private directory of yours "
            "(another user may have made it to impersonate Heron)",
            "remove it (ask an administrator if it is not yours), or give HERON_HOME a "
            "shorter path (the socket then stays in the data dir)")
