"""broadcast: through a real ToolRegistry, Heron says the message itself and queues
it for the phone; the message leaves the machine, so it is confirmed; a no queues
nothing."""

import asyncio

import pytest

from assistant.agent.router import Router
from assistant.audit import AuditLog
from assistant.builtins.broadcast import Broadcast
from assistant.builtins.phone import NotifyPhone
from assistant.bus import EventBus
from assistant.companion.outbox import NoticeKind, Outbox
from assistant.permissions.policy import Answer
from assistant.permissions.prompters import CallbackPrompter, FanOutPrompter
from assistant.tools.call import ToolCall
from assistant.tools.registry import ToolRegistry


class User:
    def __init__(self, answer):
        self.answer = answer
        self.asked = []

    async def __call__(self, request):
        self.asked.append(request)
        return self.answer


@pytest.fixture
def setup(storage):
    user = User(Answer.ONCE)
    registry = ToolRegistry(EventBus(), AuditLog(storage, b"k" * 32),
                            prompter=FanOutPrompter([CallbackPrompter(user)], timeout_s=5))
    outbox = Outbox(storage)
    registry.register(Broadcast(outbox))
    return registry, user, outbox


def broadcast(registry, message):
    return asyncio.run(registry.call(ToolCall("broadcast", {"message": message},
                                              source="voice")))


def test_the_message_is_spoken_and_queued_for_the_phone(setup):
    registry, user, outbox = setup
    out = broadcast(registry, "  Dinner is ready  ")
    assert out.status == "ok", out.error
    assert out.result["speech"] == "Dinner is ready"
    [queued] = outbox.queued()
    assert queued["kind"] == NoticeKind.PHONE_NOTIFY and queued["id"] == out.result["outbox_id"]
    assert queued["body"]["text"] == "Dinner is ready" and queued["body"]["broadcast"]
    # it leaves the machine: the exact message was shown in the question
    [request] = user.asked
    assert request.forced and "Dinner is ready" in request.action


def test_a_no_queues_and_says_nothing(setup):
    registry, user, outbox = setup
    user.answer = Answer.DENY
    out = broadcast(registry, "Dinner is ready")
    assert (out.status, out.code) == ("denied", "tool.denied")
    assert out.result is None and outbox.queued() == []


def test_an_empty_message_asks_what_to_say(setup):
    registry, _, outbox = setup
    out = broadcast(registry, "   ")
    assert (out.status, out.code) == ("error", "broadcast.empty")
    assert "What should I broadcast?" in out.error and outbox.queued() == []


@pytest.mark.parametrize(("said", "message"), [
    ("broadcast dinner is ready", "dinner is ready"),
    ("announce that the film is starting", "the film is starting"),
    ("broadcast come downstairs please", "come downstairs please"),
])
def test_the_router_takes_broadcast_not_the_phone_message(said, message):
    router = Router([Broadcast.manifest, NotifyPhone.manifest])
    match = router.route(said)
    assert match is not None and match.tool == "broadcast", said
    assert match.args["message"].removesuffix(" please") == message.removesuffix(" please")
