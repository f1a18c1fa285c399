"""`heron doctor`: every check, in the order the report lists them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistant.config import ConfigError, HeronConfig, load_config
from assistant.doctor.check import Check, DoctorReport
from assistant.doctor.desktop import check_desktop
from assistant.doctor.devices import check_audio, check_display, check_vision
from assistant.doctor.language import check_languages
from assistant.doctor.models import check_models
from assistant.doctor.remote import check_remote_stages
from assistant.doctor.runtimes import check_ctranslate2, check_onnxruntime
from assistant.doctor.sandbox import check_sandbox
from assistant.doctor.system import (
    check_config,
    check_dirs,
    check_disk,
    check_python,
    check_secrets,
)
from assistant.paths import HeronPaths
from models.store import ModelStore


def run_doctor(paths: HeronPaths, store: ModelStore, verify: bool = False,
               progress_for: Callable[[str], Any] | None = None) -> DoctorReport:
    """Run every check. `verify` hashes model files (slow); otherwise sizes only."""
    checks: list[Check] = [check_python()]
    config_check, prefer_gpu = check_config(paths)
    checks += [config_check, *check_dirs(paths), check_disk(paths.data_dir)]
    checks += [check_audio(), check_display(), check_vision()]
    checks += [check_onnxruntime(prefer_gpu), check_ctranslate2()]
    config = _config_or_defaults(paths)
    checks += [check_sandbox(), check_secrets(paths), check_desktop(paths, config),
               check_languages(config)]
    checks += check_remote_stages(config)
    checks += check_models(store, verify, progress_for)
    return DoctorReport(tuple(checks))


def _config_or_defaults(paths: HeronPaths) -> HeronConfig:
    try:
        return load_config(paths.config_file)
    except ConfigError:
        return HeronConfig()  # the config check already reports the broken file
