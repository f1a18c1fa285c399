"""Shared by the router tests: a words-only router over some tools, and what it routes."""

from __future__ import annotations

from assistant.agent.router import Router


def words_router(tools) -> Router:
    return Router([t.manifest for t in tools])  # words alone: no embeddings here


def routed(router: Router, said: str):
    match = router.route(said)
    assert match is not None, (said, router.scores(said)[:2])
    return match.tool, match.args
