"""Where Heron keeps config, data and cache: HERON_HOME=DIR, else platformdirs."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

APP = "heron"


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
