import pytest

from assistant.config import HeronConfig
from assistant.core import Core
from assistant.paths import HeronPaths


@pytest.fixture
def paths(tmp_path) -> HeronPaths:
    return HeronPaths(tmp_path / "config", tmp_path / "data", tmp_path / "cache")


@pytest.fixture
def core(paths):
    c = Core(paths, HeronConfig())
    yield c
    c.close()
