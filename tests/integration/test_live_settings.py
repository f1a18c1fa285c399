"""Settings changed while Heron runs apply at once, without a restart: the voice parts
are rebuilt from the new config (real models), vision and permission options take
effect on the next call, and what needs a restart is said."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from assistant.config import HeronConfig, from_dict
from assistant.paths import resolve_paths
from assistant.service import HeronService
from assistant.tools.call import ToolCall
from audio.wake_options import FUSED_THRESHOLDS
from models.store import ModelStore

pytestmark = pytest.mark.slow


@pytest.fixture
def service(tmp_path):
    paths = resolve_paths({"HERON_HOME": str(tmp_path)})
    svc = HeronService(paths, HeronConfig(), ModelStore(paths.models_dir), use_mic=False)
    yield svc
    svc.stack.close()
    svc.core.close()


def test_a_new_wake_threshold_rebuilds_the_detector(service):
    old = service.stack.wake
    # the default word (okay_nabu) scored by both engines: the fused default, not 0.7
    assert old.threshold == pytest.approx(FUSED_THRESHOLDS["okay_nabu"]) != 0.7
    new = from_dict({"wake": {"threshold": 0.7}, "vision": {"exclude_titles": ["KeePassXC"]},
                     "permissions": {"denied_tools": ["open_url"]},
                     "companion": {"port": 9999}})
    applied = asyncio.run(service.apply_config(new))
    assert set(applied.changed) == {"wake", "vision", "permissions"}
    assert applied.restart == ["companion"]  # said, not silently ignored
    assert service.stack.wake is not old
    assert service.stack.wake.threshold == pytest.approx(0.7)
    assert service.config is new and service.core.config is new
    screen = service.core.registry.backends.screen
    assert screen.options.exclude_titles == ("KeePassXC",)
    assert service.core.ocr.options.exclude_titles == ("KeePassXC",)

    outcome = asyncio.run(service.core.registry.call(ToolCall("open_url",
                                                              {"url": "https://a.example"})))
    assert outcome.status == "denied"


def test_unchanged_settings_do_nothing(service):
    wake = service.stack.wake
    applied = asyncio.run(service.apply_config(dataclasses.replace(service.config)))
    assert applied.changed == [] and service.stack.wake is wake


def test_a_voice_part_never_loaded_is_built_later_from_the_new_config(service):
    new = from_dict({"tts": {"length_scale": 1.3}})
    applied = asyncio.run(service.apply_config(new))
    assert applied.changed == ["tts"]
    assert service.stack.tts.options.length_scale == pytest.approx(1.3)
