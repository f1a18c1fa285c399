"""The router with the bundled MiniLM (int8 ONNX): misheard and reworded commands
route, open questions do not, and the agent asks when unsure between tools that
change something. Per-query routing time is printed (no timed assertions)."""

from __future__ import annotations

import asyncio
import statistics
import time

import numpy as np
import pytest

from assistant.agent.agent import Agent
from assistant.agent.embeddings import TextEmbedder
from assistant.agent.router import Router
from assistant.builtins.apps import OpenApp, OpenUrl
from assistant.builtins.clipboard import ClipboardRead, ClipboardWrite
from assistant.builtins.clock import GetDate, GetTime
from assistant.builtins.files import FindFiles, ReadFile
from assistant.builtins.notes import ListNotes, NoteStore, TakeNote
from assistant.builtins.phone import NotifyPhone
from assistant.builtins.reminders import SetReminder
from assistant.builtins.timers import CancelTimer, ListTimers, SetTimer
from assistant.companion.outbox import Outbox
from assistant.config import HeronConfig
from assistant.core import build_core
from assistant.paths import HeronPaths
from assistant.scheduling.reminder_store import ReminderStore
from assistant.storage import Storage
from models.store import ModelStore

pytestmark = pytest.mark.slow

MISHEARD = [
    ("set at timer for five minutes", "set_timer", {"seconds": 300}),
    ("set a time for 5 minutes", "set_timer", {"seconds": 300}),
    ("said a timer for ten minutes", "set_timer", {"seconds": 600}),
    ("set a timer four five minutes", "set_timer", {"seconds": 300}),
    ("start a countdown for 5 minutes", "set_timer", {"seconds": 300}),
    ("what's the thyme", "get_time", {}),
    ("what tim is it", "get_time", {}),
    ("what's today", "get_date", {}),
    ("what's the date to day", "get_date", {}),
    ("cancel the tee timer", "cancel_timer", {"label": "tee"}),
    ("list my timer", "list_timers", {}),
    ("how long until my timer goes off", "list_timers", {}),
    ("open fire fox", "open_app", {"name": "fire fox"}),
    ("open example.com", "open_url", {"url": "example.com"}),
    ("read me my notes", "list_notes", {}),
    ("remind me in 20 minutes to check the oven", "set_reminder",
     {"seconds": 1200, "text": "check the oven"}),
    ("send a message to my phone saying I'm on my way", "notify_phone",
     {"text": "I'm on my way"}),
]
OPEN_QUESTIONS = [
    "what is the capital of France", "tell me a joke", "what's the weather like",
    "Turn off the lights in the kitchen", "how are you today", "who wrote hamlet",
    "what is the meaning of life", "can you help me with my homework",
    "translate hello into spanish", "what time does the store close", "delete all my files",
    "write me a poem about cats", "what's two plus two", "summarize this article",
]


@pytest.fixture(scope="module")
def embedder(tmp_path_factory):
    emb = TextEmbedder(ModelStore(tmp_path_factory.mktemp("models")))
    emb.load()
    return emb


def builtin_tools(storage: Storage) -> list:
    notes = NoteStore(storage)
    return [GetTime(), GetDate(), SetTimer(None), ListTimers(None), CancelTimer(None),
            SetReminder(ReminderStore(storage)), OpenApp(), OpenUrl(), FindFiles(),
            ReadFile(), TakeNote(notes), ListNotes(notes), ClipboardRead(), ClipboardWrite(),
            NotifyPhone(Outbox(storage))]


@pytest.fixture(scope="module")
def router(embedder, tmp_path_factory):
    storage = Storage(tmp_path_factory.mktemp("router") / "heron.db")
    r = Router([t.manifest for t in builtin_tools(storage)], embedder)
    r.warm_up()
    return r


def test_sentence_vectors_are_unit_length_and_mean_what_they_say(embedder):
    texts = ["A man is eating food.", "A man is eating a piece of bread.",
             "A man is riding a horse.", "what time is it"]
    vecs = embedder.embed(texts)
    assert vecs.shape == (4, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert vecs[0] @ vecs[1] > 0.7 > 0.3 > vecs[0] @ vecs[2]
    # batching pads to the longest text; padding must not change a vector
    assert np.allclose(embedder.embed([texts[3]])[0], vecs[3], atol=1e-5)


@pytest.mark.parametrize("text,tool,args", MISHEARD)
def test_misheard_and_reworded_commands_route(router, text, tool, args):
    match = router.route(text)
    assert match is not None, (text, router.scores(text)[:3])
    assert (match.tool, match.args, match.ambiguous) == (tool, args, ())


@pytest.mark.parametrize("text", OPEN_QUESTIONS)
def test_open_questions_are_not_forced_onto_a_tool(router, text):
    assert router.route(text) is None, router.scores(text)[:2]


def test_time_per_query_is_reported(router, embedder, capsys):
    rows = []
    for text, *_ in MISHEARD + [(q,) for q in OPEN_QUESTIONS]:
        router.route(text)  # warm the word caches; the query vector is cached per text
        fresh = text + " ok"  # a text not yet embedded
        t0 = time.perf_counter()
        router.route(fresh)
        route_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        embedder.embed([fresh + " again"])
        rows.append((text, route_ms, (time.perf_counter() - t0) * 1000))
    with capsys.disabled():
        print("\nrouter timing (ms): route incl. embedding | embedding alone")
        for text, route_ms, embed_ms in rows:
            print(f"  {route_ms:6.1f} | {embed_ms:5.1f}  {text}")
        print(f"  median route {statistics.median(r[1] for r in rows):.1f} ms, "
              f"median embed {statistics.median(r[2] for r in rows):.1f} ms")
    assert len(rows) == len(MISHEARD) + len(OPEN_QUESTIONS)


def test_example_vectors_are_recomputed_only_when_the_phrases_change(embedder, tmp_path):
    calls = []

    class Counting:  # the real embedder, with its batch calls counted
        def embed(self, texts):
            calls.append(len(texts))
            return embedder.embed(texts)

        def embed_one(self, text):
            return embedder.embed_one(text)

    storage = Storage(tmp_path / "heron.db")
    tools = builtin_tools(storage)
    r = Router([t.manifest for t in tools[:5]], Counting())
    r.warm_up()
    r.route("set at timer for five minutes")
    assert len(calls) == 1
    r.update([t.manifest for t in tools[:5]])  # same phrases: nothing to redo
    r.route("what's today")
    assert len(calls) == 1
    r.update([t.manifest for t in tools])  # workers added: their examples are embedded
    assert r.route("what are my notes today").tool == "list_notes"  # not word for word
    assert len(calls) == 2


@pytest.mark.parametrize("said", ["set an alarm for five minutes",
                                  "Set a Tyler for 90 seconds."])
def test_timer_or_reminder_close_call_takes_the_complete_command(embedder, tmp_path, said):
    """A reminder would still need its text; the timer is a whole command: no question."""
    core = build_core(HeronPaths(tmp_path / "c", tmp_path / "d", tmp_path / "k"), HeronConfig())
    try:
        if core.registry.get("set_reminder") is None:
            core.registry.register(SetReminder(ReminderStore(core.storage)))
        agent = Agent(core.registry, core.bus, core.storage, embedder=embedder)
        reply = asyncio.run(agent.handle(said))
        assert reply.text.startswith("OK, timer set for"), reply.text
        assert len(core.timers.pending()) == 1
    finally:
        core.close()


def test_a_corrupt_model_turns_embeddings_off_and_routing_goes_on(tmp_path, caplog):
    from models.catalog import get_spec

    spec = get_spec("minilm-l6-int8")
    folder = tmp_path / "models" / spec.id
    folder.mkdir(parents=True)
    for f in spec.files:  # right sizes, wrong bytes: trusted by size, refused by onnxruntime
        (folder / f.name).write_bytes(b"\0" * f.size_bytes)
    broken = TextEmbedder(ModelStore(tmp_path / "models"))
    r = Router([t.manifest for t in builtin_tools(Storage(tmp_path / "h.db"))], broken)
    assert r.route("set at timer for five minutes").args == {"seconds": 300}
    assert r.route("what is the capital of France") is None
    assert "embeddings off (model.corrupt" in caplog.text
