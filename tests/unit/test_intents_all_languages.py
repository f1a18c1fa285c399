"""Every language whisper and the intents package both cover (`heron doctor`'s list)
works from text: for each, sentences of the everyday intents sampled from the installed
templates go through the real Core's understanding to the right tool, with arguments the
registered tool accepts and that say what the sentence said (issue 14, item 4)."""

import pytest
from home_assistant_intents import get_intents
from jsonschema import Draft202012Validator

from assistant.config import HeronConfig
from assistant.core import Core, build_core
from assistant.doctor.language import understood_languages
from assistant.paths import HeronPaths
from bench.understanding_oracle import expect, same_args, sample_slots
from bench.understanding_samples import package_code, sample_language, values_for

EVERYDAY = frozenset({"HassStartTimer", "HassGetCurrentTime", "HassGetCurrentDate",
                      "HassListAddItem"})
PER_INTENT = 3  # sentences tried per intent; at least one must be understood
LANGUAGES = understood_languages()


@pytest.fixture(scope="module")
def core(tmp_path_factory):
    root = tmp_path_factory.mktemp("heron")
    c = build_core(HeronPaths(root / "c", root / "d", root / "k"), HeronConfig())
    # The timers and lists a user would have, so sentences can name them.
    for label in dict.fromkeys(v for lang in LANGUAGES for v in values_for(lang)["timer"]):
        c.timers.add(3600, label)
    for name in dict.fromkeys(v for lang in LANGUAGES for v in values_for(lang)["list"]):
        c.lists.add(name, "-")
    yield c
    c.close()


def test_the_languages_are_the_ones_doctor_lists():
    assert {"en", "de", "fr", "es", "ar"} <= set(LANGUAGES)
    assert len(LANGUAGES) >= 45  # whisper ∩ the package, with templates for our tools
    for lang in LANGUAGES:  # each has templates in the package (e.g. whisper "no" is "nb")
        assert get_intents(package_code(lang)) is not None, lang


def _problem(core: Core, language: str, sample) -> str | None:
    """Why `sample` was not understood, or None when it was."""
    tool, args = expect(sample.intent, sample.slots, sample.text, language)
    found = core.agent.understanding.understand(sample.text, language)
    if found is None or found.tool != tool:
        return f"{sample.text!r}: got {found and found.tool}, expected {tool}"
    manifest = core.registry.get(tool)
    assert manifest is not None, f"{sample.intent} → {tool}: no such tool registered"
    errors = [e.message for e in
              Draft202012Validator(manifest.input_schema).iter_errors(found.args)]
    if errors:
        return f"{sample.text!r}: {tool} args {found.args} invalid: {errors}"
    if not same_args(args, found.args):
        return f"{sample.text!r}: {tool} args {found.args}, expected {args}"
    return None


def _everyday(language: str) -> set[str]:
    return EVERYDAY & set(get_intents(package_code(language))["intents"])


# Languages whose templates have none of the everyday intents (e.g. only media or
# volume sentences) are covered by the bench, not here.
EVERYDAY_LANGUAGES = [lang for lang in LANGUAGES if _everyday(lang)]


def test_most_languages_have_the_everyday_intents():
    assert len(EVERYDAY_LANGUAGES) >= 40 and "ar" in EVERYDAY_LANGUAGES


@pytest.mark.slow
@pytest.mark.parametrize("language", EVERYDAY_LANGUAGES)
def test_everyday_intents_are_understood_in_every_language(core, language):
    wanted = {n: s for n, s in sample_slots().items() if n in _everyday(language)}
    samples = sample_language(language, wanted, PER_INTENT, seed=14, expected=expect)
    failed = {}
    for intent in wanted:
        mine = [s for s in samples if s.intent == intent]
        if not mine:  # every template needs a slot no tool takes (an area, a device)
            continue
        problems = [_problem(core, language, s) for s in mine]
        if all(problems):
            failed[intent] = problems
    assert failed == {}
