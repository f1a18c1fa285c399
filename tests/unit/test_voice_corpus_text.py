"""Every sentence of the voice corpus is understood right when typed: the corpus measures
hearing, so a wrong answer on it must come from what was heard."""

from __future__ import annotations

import pytest

from bench.voice_corpus import DEV, HELD_OUT, load_commands, matches


@pytest.mark.slow
@pytest.mark.parametrize("split", [DEV, HELD_OUT], ids=lambda s: s.name)
def test_every_corpus_sentence_is_understood_right_as_text(core, split) -> None:
    wrong = []
    for row in load_commands(split):
        got = core.agent.understanding.understand(row["text"], "en")
        if got is None or not matches(row["tool"], row["args"], got.tool, dict(got.args)):
            wrong.append(row["text"])
    assert not wrong
