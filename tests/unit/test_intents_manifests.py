"""Every Home Assistant intent we map gives arguments the real tool accepts: sentences
sampled from the installed templates, in each language, through the real Core's
understanding, checked against the registered tool's input schema."""

import pytest
from jsonschema import Draft202012Validator

from assistant.agent.intents.heron_templates import READ_LIST
from assistant.agent.intents.mapping import DEVICE_CONTROL, MAPPED_INTENTS
from assistant.config import HeronConfig
from assistant.core import build_core
from assistant.paths import HeronPaths
from bench.understanding_oracle import expect, sample_slots
from bench.understanding_samples import VALUES, sample_language

LANGUAGES = ("en", "de", "fr", "es", "ar")
PER_INTENT = 3


@pytest.fixture(scope="module")
def core(tmp_path_factory):
    root = tmp_path_factory.mktemp("heron")
    c = build_core(HeronPaths(root / "c", root / "d", root / "k"), HeronConfig())
    for lang in LANGUAGES:  # the names a user would have, so sentences can refer to them
        for label in VALUES[lang]["timer"]:
            c.timers.add(3600, label)
        for name in VALUES[lang]["list"]:
            c.lists.add(name, "-")
    yield c
    c.close()


def test_every_tool_intent_is_sampled():
    # Heron's own templates (reading a list) are not the package's: their own tests.
    assert MAPPED_INTENTS - DEVICE_CONTROL - {READ_LIST} <= set(sample_slots())


@pytest.mark.parametrize("language", LANGUAGES)
def test_mapped_intents_give_arguments_the_tools_accept(core, language):
    wanted = {name: slots for name, slots in sample_slots().items() if name in MAPPED_INTENTS}
    samples = sample_language(language, wanted, PER_INTENT, seed=14, expected=expect)
    assert {s.intent for s in samples} >= {"HassStartTimer", "HassGetCurrentTime"}
    problems = []
    for s in samples:
        found = core.agent.understanding.understand(s.text, language)
        tool, _ = expect(s.intent, s.slots, s.text, language)
        if found is None or found.tool != tool:
            problems.append((s.intent, s.text, "tool", found and found.tool, tool))
            continue
        if tool is None:
            continue
        manifest = core.registry.get(tool)
        assert manifest is not None, f"{s.intent} → {tool}: no such tool registered"
        errors = [e.message for e in
                  Draft202012Validator(manifest.input_schema).iter_errors(found.args)]
        if errors:
            problems.append((s.intent, s.text, "args", found.args, errors))
    assert problems == []
