"""Issue 13, item 3, on the instance socket: a question forwarded to a `heron ask`
terminal keeps the scopes an allow grants, so the terminal can show them."""

import json

from assistant.desktop.instance import request_from_dict, request_to_dict
from assistant.permissions.policy import Answer, PermissionRequest
from assistant.permissions.prompters import render_request


def test_a_forwarded_question_keeps_its_scopes_and_the_terminal_shows_them():
    request = PermissionRequest(
        tool="runner", title="Run things", args={"cmd": "ls"}, action="run ls",
        summary='runner(cmd="ls")', reason="a new version asks for more",
        offered=(Answer.ONCE, Answer.ALWAYS, Answer.DENY), scopes=("fs.read:/**", "shell"),
        new_scopes=("shell",))
    wire = json.loads(json.dumps(request_to_dict(request)))
    back = request_from_dict(wire)
    assert back == request
    shown = render_request(back)
    assert "- read every file on this computer (fs.read:/**)" in shown
    assert "* run any program (shell)" in shown


def test_a_question_from_an_older_heron_without_scopes_still_reads():
    wire = request_to_dict(PermissionRequest(
        tool="t", title="T", args={}, action="a", summary="t()", reason="r",
        offered=(Answer.ONCE, Answer.DENY)))
    del wire["scopes"], wire["new_scopes"]
    assert request_from_dict(wire).scopes == ()
