"""A typed "/" between numbers is a division, not a file: "what is 1/0" is a sum, and
"calculate 12/4", said where Heron asked "Which file?", is a new command, not a file
called "calculate 12/4" read from the home folder (real core: registry, audit)."""

from __future__ import annotations

import asyncio

import pytest

from assistant.agent.agent import Agent
from assistant.agent.router import Router
from assistant.builtins.calculate import Calculate
from assistant.builtins.files import FindFiles, ReadFile


@pytest.fixture(scope="module")
def router():
    return Router([Calculate.manifest, ReadFile.manifest, FindFiles.manifest])


@pytest.mark.parametrize("text,expression", [
    ("what is 1/0", "1/0"),
    ("what's 3/4", "3/4"),
    ("calculate 12/4", "12/4"),
    ("12/4", "12/4"),
    ("how much is 10 /4", "10 /4"),
    ("what is (4+6)/2", "(4+6)/2"),
])
def test_digits_over_digits_is_a_sum(router, text, expression):
    match = router.route(text)
    assert match is not None
    assert (match.tool, match.args, match.missing) == ("calculate",
                                                       {"expression": expression}, ())


@pytest.mark.parametrize("text,path", [
    ("read notes/todo.txt", "notes/todo.txt"),  # not "/todo.txt" at the root
    ("show me the file notes/todo.txt", "notes/todo.txt"),
    ("read /etc/hosts", "/etc/hosts"),
    ("read the file ~/notes.txt", "~/notes.txt"),
    ("read 2024/03.txt", "2024/03.txt"),
])
def test_a_path_is_read_whole(router, text, path):
    match = router.route(text)
    assert match is not None and (match.tool, match.args) == ("read_file", {"path": path})


@pytest.mark.parametrize("text", ["read calculate 12/4", "read the file 2024/03 report"])
def test_a_sum_among_words_is_no_file(router, text):
    match = router.route(text)
    assert match is None or match.tool != "read_file" or "path" not in match.args


def test_a_sum_among_words_is_no_folder(router):
    match = router.route("look for budget in the 12/4 stuff")
    assert match is not None and (match.tool, match.args) == ("find_files", {"query": "budget"})


def test_and_or_is_two_words_not_a_path(router):
    match = router.route("read and/or")
    assert match is None or "path" not in match.args


def test_the_user_hears_the_sum_answered_not_which_file(core):
    agent = Agent(core.registry, core.bus, core.storage)
    reply = asyncio.run(agent.handle("what is 1/0"))
    assert [o.tool for o in reply.tool_calls] == ["calculate"]
    assert reply.text == "I can't divide by zero: that has no answer."
    reply = asyncio.run(agent.handle("what's 3/4"))
    assert reply.text == "3 divided by 4 is 0.75."


def test_a_sum_said_where_a_file_was_asked_for_is_worked_out_not_read(core):
    agent = Agent(core.registry, core.bus, core.storage)
    assert asyncio.run(agent.handle("read the file")).text == "Which file?"
    reply = asyncio.run(agent.handle("calculate 12/4"))
    assert [(o.tool, o.args) for o in reply.tool_calls] == [
        ("calculate", {"expression": "12/4"})]
    assert reply.text == "12 divided by 4 is 3."


def test_a_sum_like_answer_to_which_file_is_no_file_name(core):
    agent = Agent(core.registry, core.bus, core.storage)
    assert asyncio.run(agent.handle("read the file")).text == "Which file?"
    reply = asyncio.run(agent.handle("the 12/4 stuff"))
    assert "read_file" not in [o.tool for o in reply.tool_calls]
