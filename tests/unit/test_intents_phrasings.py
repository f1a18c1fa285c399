"""English phrasings the intents stage read wrongly (issue 14, round 7): a media class
that cut a word ("songs" read as the class "song" + "s …"), filler before an artist's
name, "set a reminder to …", and the ways to frame a broadcast ("a message saying …",
"the following: …", "send a broadcast that …")."""

import pytest
from intents_support import IntentsRig


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    r = IntentsRig(tmp_path_factory.mktemp("phrasings"))
    yield r
    r.close()


@pytest.fixture(autouse=True)
def _fresh_calls(rig):
    rig.calls.clear()


@pytest.mark.parametrize(("said", "tool", "args"), [
    # a media class is a whole word: never "song" + "s by adele"
    ("play songs by adele", "media_play", {"query": "adele"}),
    ("play songs from the beatles", "media_play", {"query": "the beatles"}),
    ("play tracks by miles davis", "media_play", {"query": "miles davis"}),
    ("play the song yesterday", "media_play", {"query": "yesterday"}),
    # filler before the name, with or without a polite opening
    ("play something by queen", "media_play", {"query": "queen"}),
    ("play some music by queen please", "media_play", {"query": "queen"}),
    # "set a reminder to …" is the request to be reminded, not what to be reminded of
    ("set a reminder to water the plants in 2 hours", "set_reminder",
     {"text": "water the plants", "seconds": 7200}),
    ("create a reminder about the laundry in 45 minutes", "set_reminder",
     {"text": "laundry", "seconds": 2700}),
    # how a broadcast is framed is not part of the message
    ("broadcast a message saying time for bed", "broadcast", {"message": "time for bed"}),
    ("announce the following: dinner is ready", "broadcast", {"message": "dinner is ready"}),
    ("broadcast a message: the car is here", "broadcast", {"message": "the car is here"}),
    ("announce saying the film starts now", "broadcast", {"message": "the film starts now"}),
    ("send a broadcast that dinner is ready", "broadcast", {"message": "dinner is ready"}),
    ("send out a broadcast saying time for bed", "broadcast", {"message": "time for bed"}),
    ("make an announcement: lunch is on the table", "broadcast",
     {"message": "lunch is on the table"}),
    # said now with a time in it, like "announce that we're leaving in five minutes"
    ("send a broadcast that we leave in 5 minutes", "broadcast",
     {"message": "we leave in 5 minutes"}),
    ("in 5 minutes send a broadcast that we leave", "set_reminder",
     {"text": "send a broadcast that we leave", "seconds": 300}),
])
def test_the_tool_gets_what_the_user_named(rig, said, tool, args):
    rig.ask(said)
    assert rig.calls == [(tool, args)], said


@pytest.mark.parametrize(("said", "message"), [
    # framing words that are the message itself stay
    ("announce the message is ready", "the message is ready"),
    ("broadcast that the following bus is late", "the following bus is late"),
])
def test_a_message_that_only_looks_framed_is_kept(rig, said, message):
    rig.ask(said)
    assert rig.calls == [("broadcast", {"message": message})], said


def test_a_rephrased_broadcast_says_how_it_was_read(rig):
    found = rig.agent.understanding.understand("send a broadcast that dinner is ready", "en")
    assert (found.stage, found.matched) == ("intents", "HassBroadcast")
    assert found.tried[0]["rephrased"] == "broadcast that dinner is ready"


def test_a_message_to_the_phone_is_no_broadcast(rig):
    found = rig.agent.understanding.understand("send a message saying hi", "en")
    assert found is None or found.tool != "broadcast"
