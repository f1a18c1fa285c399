"""Shared by the router tests: a words-only router over some tools, and what it routes."""

from __future__ import annotations

from assistant.agent.intents.recognizer import SlotSources
from assistant.agent.router import Router
from assistant.agent.understanding import Understanding, intent_recognizer


def words_router(tools) -> Router:
    return Router([t.manifest for t in tools])  # words alone: no embeddings here


def routed(router: Router, said: str):
    match = router.route(said)
    assert match is not None, (said, router.scores(said)[:2])
    return match.tool, match.args


def understanding_over(router: Router) -> Understanding:
    """Home Assistant's intents, then `router`; a shopping list and a to-do list exist."""
    sources = SlotSources(list_names=lambda: ["shopping list", "to-do list"])
    return Understanding(router, intent_recognizer(sources))


def understood(understanding: Understanding, said: str):
    """(tool, args) that `understanding` found for English `said`; it must find one."""
    found = understanding.understand(said, "en")
    assert found is not None, said
    return found.tool, found.args
