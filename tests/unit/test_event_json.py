"""Events and answers as `heron run --json` and `heron ask --json` print them: a field
held as an enum member is its plain string on the wire."""

from __future__ import annotations

import json

from assistant.agent.understanding import UnderstandingStage, Understood
from assistant.events import EnrolmentProgress, EnrolmentStep
from assistant.runner import print_line


def test_an_enrolment_step_prints_as_its_word(capsys):
    event = EnrolmentProgress("hey_heron", EnrolmentStep.SAY, 1, 3, "Say it now")
    print_line(event.to_dict())
    line = capsys.readouterr().out
    assert json.loads(line)["step"] == "say" and '"step": "say"' in line
    assert json.dumps(event.to_dict()) == line.strip()  # no default=str needed


def test_an_understanding_stage_prints_as_its_word():
    tried = ({"stage": UnderstandingStage.ROUTER, "matched": None},)
    out = json.loads(json.dumps(Understood(UnderstandingStage.NONE, None, {}, 0.0, "", "en",
                                           tried=tried).to_dict()))
    assert out["stage"] == "none" and out["tried"][0]["stage"] == "router"
