"""Every tool issue 14 added is registered in the one registry a running Heron builds,
so it reaches the LLM (OpenAI tool list) and MCP with a clean schema, with
least-privilege scopes."""

from __future__ import annotations

from jsonschema import Draft202012Validator

from assistant.config import HeronConfig
from assistant.core import Core, build_core
from assistant.paths import resolve_paths

NEW_TOOLS = {
    # timers and dates
    "pause_timer": (), "resume_timer": (), "change_timer": (),
    # lists
    "add_to_list": (), "complete_list_item": (), "remove_from_list": (), "read_list": (),
    # media and volume
    "media_pause": ("media.control",), "media_resume": ("media.control",),
    "media_next": ("media.control",), "media_previous": ("media.control",),
    "media_play": ("media.control", "fs.read:~/Music/**"),
    "set_volume": ("audio.volume",), "change_volume": ("audio.volume",),
    "mute_audio": ("audio.volume",), "unmute_audio": ("audio.volume",),
    # the rest
    "get_weather": ("net:api.open-meteo.com", "net:geocoding-api.open-meteo.com"),
    "broadcast": ("notify",), "calculate": (), "convert": (),
}


def _core(tmp_path) -> Core:
    return build_core(resolve_paths({"HERON_HOME": str(tmp_path)}), HeronConfig())


def test_every_new_tool_is_registered_with_least_privilege(tmp_path):
    core = _core(tmp_path)
    try:
        manifests = {m.name: m for m in core.registry.manifests()}
        for name, scopes in NEW_TOOLS.items():
            assert name in manifests, name
            assert set(manifests[name].permissions) == set(scopes), name
        # The weather sends the place off the machine: asked once, never silently.
        assert manifests["get_weather"].confirm == "once"
    finally:
        core.close()


def test_the_llm_sees_every_new_tool_with_a_valid_clean_schema(tmp_path):
    core = _core(tmp_path)
    try:
        tools = {t["function"]["name"]: t["function"]
                 for t in (m.openai_tool() for m in core.registry.manifests())}
        for name in NEW_TOOLS:
            params = tools[name]["parameters"]
            Draft202012Validator.check_schema(params)
            assert "x-slot" not in repr(params), name  # router hints stay private
            assert tools[name]["description"], name
    finally:
        core.close()
