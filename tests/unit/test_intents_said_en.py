"""English sentences the tuning sets showed read wrongly (issue 14): a broadcast said
with a time is not a delayed command, a "search" for "the next one" or "it again" is a
player command, and "for a sec" is not a timer's name."""

import pytest
from intents_support import IntentsRig

from assistant.agent.router import Router
from assistant.agent.understanding import Understanding, intent_recognizer
from assistant.builtins.broadcast import Broadcast
from assistant.builtins.camera import WhoIsThere


@pytest.fixture
def rig(tmp_path):
    r = IntentsRig(tmp_path)
    yield r
    r.close()


@pytest.mark.parametrize(("said", "tool", "args"), [
    ("announce that we're leaving in five minutes", "broadcast",
     {"message": "we're leaving in five minutes"}),
    ("broadcast dinner is ready in ten minutes", "broadcast",
     {"message": "dinner is ready in ten minutes"}),
    # the time first, or a request to be reminded: still a delayed command
    ("in five minutes announce dinner is ready", "set_reminder",
     {"text": "announce dinner is ready", "seconds": 300}),
    ("remind me to call mom in 5 minutes", "set_reminder", {"text": "call mom", "seconds": 300}),
    ("play the next one", "media_next", {}),
    ("play the next track please", "media_next", {}),
    ("play the last one", "media_previous", {}),
    ("play the music again please", "media_resume", {}),
    ("play it again", "media_resume", {}),
    ("play something", "media_resume", {}),
    # a name is a search, also when it comes with media words
    ("play the beatles again", "media_play", {"query": "beatles again"}),
    ("play something by adele", "media_play", {"query": "adele"}),
    # polite words and filler are not part of what a free slot names
    ("Could you play something by Adele, please?", "media_play", {"query": "Adele"}),
    ("Could you announce to the house that the film is starting?", "broadcast",
     {"message": "the film is starting"}),
    ("announce please: lunch on the table", "broadcast", {"message": "lunch on the table"}),
    ("announce please be quiet", "broadcast", {"message": "please be quiet"}),
    # the request to be reminded may come after what to be reminded of
    ("don't let me forget to water the plants, remind me in 30 minutes", "set_reminder",
     {"text": "water the plants", "seconds": 1800}),
    ("remind me to take a 10 minute break in 60 minutes", "set_reminder",
     {"text": "take a 10 minute break", "seconds": 3600}),
])
def test_the_tool_called_is_the_one_meant(rig, said, tool, args):
    rig.ask(said)
    assert rig.calls == [(tool, args)], said


@pytest.mark.parametrize("said", ["could you pause my timer for a sec",
                                  "pause the timer for a moment", "pause my timer for a bit"])
def test_a_while_is_not_a_timer_name(rig, said):
    rig.timers.add(600, "egg")
    reply = rig.ask(said)
    assert rig.calls == [("pause_timer", {})], reply.text


def test_a_timer_named_after_for_keeps_its_name(rig):
    rig.ask("pause the timer for pasta")
    assert rig.calls == [("pause_timer", {"label": "pasta"})]


def test_a_delayed_command_that_is_a_timer_sets_the_timer(rig):
    # whisper's hearing of "Set a tea timer for two minutes and thirty seconds"
    reply = rig.ask("Set a t timer for 2 minutes in 30 seconds.")
    assert [(o.tool, o.args) for o in reply.tool_calls] == [
        ("set_timer", {"seconds": 150, "label": "t"})]
    assert [(t.duration_s, t.label) for t in rig.timers.pending()] == [(150, "t")]
    assert reply.understanding["tried"][0]["note"] == "the delayed command is itself a timer"
    assert rig.calls == []  # no reminder


def test_a_player_command_read_from_a_search_says_so(rig):
    found = rig.agent.understanding.understand("play the next one", "en")
    assert (found.tool, found.matched) == ("media_next", "HassMediaNext")
    assert found.tried[0]["matched"] == "HassMediaSearchAndPlay"


@pytest.fixture(scope="module")
def with_broadcast():
    return Understanding(Router([Broadcast.manifest]), intent_recognizer())


@pytest.mark.parametrize(("said", "tool", "args"), [
    ("tell everyone we're leaving in five minutes", "broadcast",
     {"message": "we're leaving in five minutes"}),
    ("please tell everyone we're leaving in five minutes", "broadcast",
     {"message": "we're leaving in five minutes"}),
    ("remind me to tell everyone we're leaving in five minutes", "set_reminder",
     {"text": "tell everyone we're leaving", "seconds": 300}),
])
def test_a_broadcast_the_router_knows_is_said_now(with_broadcast, said, tool, args):
    found = with_broadcast.understand(said, "en")
    assert (found.tool, found.args) == (tool, args), said


@pytest.fixture(scope="module")
def with_camera():
    understanding = Understanding(Router([WhoIsThere.manifest]), intent_recognizer())
    understanding.use_tools([WhoIsThere.manifest])  # as the agent does
    return understanding


@pytest.mark.parametrize("said", ["who is in front of the camera", "who's at my desk"])
def test_the_router_s_own_words_are_no_device_name(with_camera, said):
    found = with_camera.understand(said, "en")
    assert (found.tool, found.reply) == ("who_is_there", None), said


def test_a_room_nobody_routed_to_is_still_device_control(with_camera):
    found = with_camera.understand("who is in the kitchen", "en")
    assert found.tool is None and "Home Assistant" in found.reply
