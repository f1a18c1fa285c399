"""What every command needs: paths, config and the model store, built lazily."""

from __future__ import annotations

from functools import cached_property

from assistant.config import HeronConfig, load_config
from assistant.paths import HeronPaths, resolve_paths
from models.store import ModelStore


class Context:
    @cached_property
    def paths(self) -> HeronPaths:
        return resolve_paths()

    @cached_property
    def config(self) -> HeronConfig:
        return load_config(self.paths.config_file)

    @cached_property
    def store(self) -> ModelStore:
        return ModelStore(self.paths.models_dir)
