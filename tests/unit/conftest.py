from pathlib import Path

import pytest

from assistant.config import HeronConfig
from assistant.core import build_core
from assistant.paths import HeronPaths
from assistant.secrets import SecretStore
from assistant.storage import Storage


@pytest.fixture
def paths(tmp_path) -> HeronPaths:
    return HeronPaths(tmp_path / "config", tmp_path / "data", tmp_path / "cache")


@pytest.fixture
def core(paths):
    c = build_core(paths, HeronConfig())
    yield c
    c.close()


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def storage(data_dir):
    s = Storage(data_dir / "heron.db")
    yield s
    s.close()


@pytest.fixture
def store(data_dir) -> SecretStore:
    return SecretStore(data_dir, use_keyring=False)  # never touch a developer's keyring


@pytest.fixture
def marker(tmp_path) -> Path:
    """Where the audit chain's anchor is copied outside the data dir."""
    return tmp_path / "config" / "audit-anchor.json"
