"""Replies to intent commands: the package's response template in the request's
language, filled from our tool's result; our own speech where the template needs data
we do not have, or in English where ours says more."""

import datetime as dt

import pytest
from intents_support import IntentsRig


@pytest.fixture
def rig(tmp_path):
    r = IntentsRig(tmp_path)
    yield r
    r.close()


def test_a_german_timer_is_set_and_confirmed_in_german(rig):
    reply = rig.ask("stelle einen Timer auf 5 Minuten", language="de")
    assert reply.tool_calls[0].tool == "set_timer" and reply.tool_calls[0].status == "ok"
    assert [t.duration_s for t in rig.timers.pending()] == [300]
    assert reply.text == "Timer für 5 Minuten gestartet"
    assert reply.language == "de"


def test_arabic_timer_and_time_replies_are_arabic(rig):
    reply = rig.ask("اضبط مؤقت لمدة 5 دقائق", language="ar")
    assert [t.duration_s for t in rig.timers.pending()] == [300]
    assert "5 دقائق" in reply.text and reply.language == "ar"
    now = rig.ask("كم الساعة", language="ar")
    assert now.tool_calls[0].tool == "get_time"
    assert any("\u0600" <= ch <= "\u06ff" for ch in now.text)


def test_the_date_in_french_comes_from_the_tool(rig):
    reply = rig.ask("quelle est la date", language="fr")
    day = dt.date.fromisoformat(reply.tool_calls[0].result["date"])
    assert reply.text.startswith("Nous sommes le")
    assert str(day.year) in reply.text and reply.language == "fr"


def test_spanish_list_reply_names_the_item(rig):
    reply = rig.ask("añade leche a la lista de la compra", language="es")
    assert rig.calls == [("add_to_list", {"item": "leche", "list": "shopping list"})]
    assert "leche" in reply.text and reply.text != "Test add_to_list done."
    assert reply.language == "es"


def test_english_keeps_our_richer_timer_speech(rig):
    reply = rig.ask("set a timer for 5 minutes", language="en")
    assert reply.text == "OK, timer set for 5 minutes."
    assert reply.understanding["stage"] == "intents"
    assert reply.understanding["matched"] == "HassStartTimer"


def test_english_media_confirmation_comes_from_the_package(rig):
    reply = rig.ask("pause the music")
    assert rig.calls == [("media_pause", {})]
    assert reply.text == "Paused"


def test_weather_template_uses_the_tool_result(rig):
    reply = rig.ask("wie ist das Wetter", language="de")
    assert rig.calls == [("get_weather", {})]
    assert "18" in reply.text and reply.language == "de"


STATUS_ES = "cuánto tiempo le queda al temporizador"


def test_timer_status_in_spanish_is_built_from_our_timers(rig):
    rig.ask("pon un temporizador de 5 minutos", language="es")
    reply = rig.ask(STATUS_ES, language="es")
    assert reply.tool_calls[0].tool == "list_timers"
    assert "minutos" in reply.text and reply.language == "es"


def test_never_mind_is_quiet_and_calls_nothing(rig):
    reply = rig.ask("never mind")
    assert reply.text == "" and reply.tool_calls == () and rig.calls == []


def test_device_control_answers_without_a_tool(rig):
    reply = rig.ask("turn on the kitchen lights")
    assert "connect Home Assistant" in reply.text and reply.tool_calls == ()


def test_timer_not_found_in_german_uses_the_package_error(rig):
    reply = rig.ask("stoppe den Tee Timer", language="de")
    assert reply.tool_calls[0].status != "ok"
    assert reply.text and reply.text != "Sorry, that didn't work."
