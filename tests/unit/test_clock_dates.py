"""get_date for today and the days around it: the weekday and date said, and the
structured date a response template can use."""

import asyncio
import datetime as dt

import pytest

from assistant.agent.numbers import tokenize
from assistant.agent.router import Router
from assistant.audit.log import AuditLog
from assistant.builtins.clock import GetDate, GetTime, find_day_offset_in
from assistant.bus import EventBus
from assistant.storage import Storage
from assistant.tools.call import ToolCall
from assistant.tools.registry import ToolRegistry

# A Sunday evening, so "tomorrow" crosses into a new week.
SUNDAY = dt.datetime(2026, 12, 6, 21, 30, tzinfo=dt.UTC)


@pytest.fixture
def registry(tmp_path):
    reg = ToolRegistry(EventBus(), AuditLog(Storage(tmp_path / "heron.db"), b"k" * 32))
    reg.register(GetDate(now=lambda: SUNDAY))
    reg.register(GetTime(now=lambda: SUNDAY))
    return reg


def call(registry, tool, **args):
    return asyncio.run(registry.call(ToolCall(tool, args)))


@pytest.mark.parametrize("args,speech,iso,weekday", [
    ({}, "Today is Sunday, 6 December 2026.", "2026-12-06", "Sunday"),
    ({"day_offset": 0}, "Today is Sunday, 6 December 2026.", "2026-12-06", "Sunday"),
    ({"day_offset": 1}, "Tomorrow is Monday, 7 December 2026.", "2026-12-07", "Monday"),
    ({"day_offset": -1}, "Yesterday was Saturday, 5 December 2026.", "2026-12-05",
     "Saturday"),
    ({"day_offset": 30}, "In 30 days it will be Tuesday, 5 January 2027.", "2027-01-05",
     "Tuesday"),
    ({"day_offset": -7}, "7 days ago it was Sunday, 29 November 2026.", "2026-11-29",
     "Sunday"),
])
def test_get_date_says_the_weekday_and_date_of_the_day_asked(registry, args, speech, iso,
                                                              weekday):
    outcome = call(registry, "get_date", **args)
    assert outcome.status == "ok"
    assert outcome.result["speech"] == speech
    assert (outcome.result["date"], outcome.result["weekday"]) == (iso, weekday)
    assert outcome.result["day_offset"] == args.get("day_offset", 0)


def test_a_day_too_far_away_is_refused_before_the_tool_runs(registry):
    outcome = call(registry, "get_date", day_offset=400)
    assert (outcome.status, outcome.error) == ("invalid", "400 is greater than the maximum of 366")


def test_get_time_gives_the_hour_for_templates(registry):
    outcome = call(registry, "get_time")
    assert outcome.result["speech"] == "It's 9:30 PM."
    assert (outcome.result["hour"], outcome.result["minute"]) == (21, 30)


@pytest.mark.parametrize("text,days,said", [
    ("what's the date tomorrow", 1, "tomorrow"),
    ("what day was it yesterday", -1, "yesterday"),
    ("what is the date today", 0, "today"),
    ("what day is the day after tomorrow", 2, "the day after tomorrow"),
    ("what was the date the day before yesterday", -2, "the day before yesterday"),
    ("what's the date in 3 days", 3, "in 3 days"),
    ("what day will it be in two weeks", 14, "in two weeks"),
    ("what's the date a week from today", 7, "a week from today"),
    ("what was the date ten days ago", -10, "ten days ago"),
    ("what day is it next week", 7, "next week"),
])
def test_days_around_today_are_read_from_words(text, days, said):
    words = tokenize(text)
    match = find_day_offset_in(words)
    assert match is not None and match.days == days
    assert " ".join(words[match.start:match.end]) == said


@pytest.mark.parametrize("text", ["what's the date", "set a timer for 3 days",
                                  "what was 3 days like", "in a minute"])
def test_no_day_is_read_where_none_was_said(text):
    assert find_day_offset_in(tokenize(text)) is None


@pytest.fixture(scope="module")
def router():
    return Router([GetTime.manifest, GetDate.manifest])


@pytest.mark.parametrize("text,args", [
    ("what's the date", {}),
    ("what's the date in 3 days", {"day_offset": 3}),
])
def test_the_router_routes_dates(router, text, args):
    match = router.route(text)
    assert match is not None and (match.tool, match.args) == ("get_date", args)


@pytest.mark.parametrize("text,args", [
    ("what's the date tomorrow", {"day_offset": 1}),
    ("what day was it yesterday", {"day_offset": -1}),
    ("what day is it in two weeks", {"day_offset": 14}),
])
def test_the_router_reads_the_day(router, text, args):
    match = router.route(text)
    assert match is not None and (match.tool, match.args) == ("get_date", args)
