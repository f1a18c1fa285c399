"""Which of hassil's readings of a sentence the intents stage believes (issue 14, the
all-languages findings): a timer's name does not swallow the number words after it, a
name keeps all its letters, and Norwegian (whisper's "no", the package's "nb") is one
language everywhere."""

import pytest

from assistant.agent.intents.catalog import package_language, whisper_language
from assistant.agent.intents.readings import digits_for_words
from assistant.agent.intents.recognizer import SlotSources
from assistant.agent.router import Router
from assistant.agent.understanding import Understanding, intent_recognizer
from assistant.doctor.language import understood_languages
from bench.understanding_samples import package_code

TIMERS = ["שחור", "grønn"]


@pytest.fixture(scope="module")
def understanding():
    sources = SlotSources(list_names=lambda: ["shopping list", "to-do list"],
                          timer_labels=lambda: TIMERS)
    return Understanding(Router([]), intent_recognizer(sources))


CASES = [
    # number words before digits: hassil looks for them only when no digits follow,
    # so the name took them ("pirosra egy órás", 39 seconds)
    ("hu", "indítsd az időzítőt pirosra egy órás 39 másodpercre", "set_timer",
     {"seconds": 3639, "label": "pirosra"}),
    ("ro", "începe un temporizator pentru rosu trei ora 31 de minute", "set_timer",
     {"seconds": 12660, "label": "rosu"}),
    ("sl", "štartaj moj štoparico po imenu rumeni dva ur 54 minuta", "set_timer",
     {"seconds": 10440, "label": "rumeni"}),
    # a template word matched inside a word ("nostr|a", "розо|в")
    ("it", "aggiungi blu alla nostra shopping list", "add_to_list",
     {"item": "blu", "list": "shopping list"}),
    ("bg", "приключи розов", "complete_list_item", {"item": "розов", "list": "shopping list"}),
    # "[ש]{name}": a known timer's name is not read as the prefix ש + "חור"
    ("he", "מצב הטיימר שחור", "list_timers", {"label": "שחור"}),
    # German compounds glue the name to a list value on purpose: still split there
    ("de", "in diesem Zimmer meinen Rammsteinplaylist spielen", "media_play",
     {"query": "Rammstein"}),
    # ... and a cut that leaves a longer part (Danish compounds) or changes script (an
    # English name in Thai, written without spaces) is the template's own
    ("da", "hvor meget tid er der igen på min grøntimeren", "list_timers", {"label": "grøn"}),
    ("th", "พักจับเวลาชื่อpastaหน่อย", "pause_timer", {"label": "pasta"}),
    # hassil's spans drift after number words: the name is still found where it was said
    ("hu", "adj hozzá egy órával fehér nevű időzítőhez", "change_timer",
     {"seconds": 3600, "label": "fehér"}),
    # Norwegian: whisper says "no"; number words are CLDR's "no" ones
    ("no", "sett en timer på 5 minutter", "set_timer", {"seconds": 300}),
    ("no", "tidtaker for tretten minutt", "set_timer", {"seconds": 780}),
    ("no", "ta bort tjueni-minutter på mine grønn nedtelling", "change_timer",
     {"seconds": -1740, "label": "grønn"}),
    # the number words stay as said in a name, and English is unchanged
    ("en", "set a timer named seven up for 5 minutes", "set_timer",
     {"seconds": 300, "label": "seven up"}),
    ("en", "set a timer for one hour and 30 minutes", "set_timer", {"seconds": 5400}),
]


@pytest.mark.parametrize(("language", "text", "tool", "args"), CASES,
                         ids=[f"{c[0]}:{c[1][:30]}" for c in CASES])
def test_the_intended_reading_is_the_one_acted_on(understanding, language, text, tool, args):
    found = understanding.understand(text, language)
    assert found is not None and found.stage == "intents", text
    assert (found.tool, found.args) == (tool, args)
    assert found.confidence == 1.0  # said as written: nothing was misheard


def test_an_unknown_name_after_a_prefix_is_still_hassils_reading(understanding):
    # Not a timer we have: the template's own reading (the prefix ש, then the name).
    found = understanding.understand("מצב הטיימר שלבן", "he")
    assert (found.tool, found.args) == ("list_timers", {"label": "לבן"})


def test_norwegian_is_one_code_mapping_for_doctor_bench_and_intents():
    assert package_language("no") == "nb"
    assert package_language("no-NO") == "nb"
    assert package_code("no") == "nb"
    assert whisper_language("nb") == "no"
    assert whisper_language("pt-BR") == "pt"
    assert "no" in understood_languages() and "nb" not in understood_languages()


def test_number_words_become_digits_only_inside_the_spans_given():
    text = "indítsd egy időzítőt pirosra egy órás 39 másodpercre"
    start = text.index("pirosra")
    rewritten = digits_for_words(text, [(start, start + len("pirosra egy órás"))], "hu")
    assert rewritten.text == "indítsd egy időzítőt pirosra 1 órás 39 másodpercre"
    one = rewritten.text.index("1")
    assert rewritten.original((start, one + 1), text) == "pirosra egy"
    assert digits_for_words("no numbers here", [(0, 15)], "en") is None
