"""A spoken request that needs the user's approval: Heron asks aloud, naming the exact
action, and the user's spoken yes or no decides (`heron listen`, real models)."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest
from helpers import run_heron, sounds_like, words, write_wav

pytestmark = pytest.mark.slow

REQUEST = "Okay Nabu. Notify my phone that the pasta is ready."


def _turn(tmp_path, speak, answer: str):
    """The request, two seconds of quiet (Heron asks), then the spoken answer."""
    audio = np.concatenate([speak(REQUEST, tail_ms=2000), speak(answer, lead_ms=0)])
    (tmp_path / "config").mkdir()  # the same reply audio on every run, for transcribing
    (tmp_path / "config" / "config.toml").write_text(
        "[tts]\nnoise_scale = 0.0\nnoise_w_scale = 0.0\n")
    reply = tmp_path / "reply.wav"
    proc = run_heron(tmp_path, "listen", str(write_wav(tmp_path / "turn.wav", audio)),
                     "--json", "--out", str(reply))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), reply


def _outbox(tmp_path) -> list[str]:
    with sqlite3.connect(tmp_path / "data" / "heron.db") as db:
        return [json.loads(body)["text"] for (body,) in db.execute("SELECT body FROM outbox")]


def test_a_spoken_yes_approves_and_the_question_names_the_action(tmp_path, speak):
    out, reply = _turn(tmp_path, speak, "Yes.")
    assert [(c["tool"], c["args"], c["status"]) for c in out["tool_calls"]] == [
        ("notify_phone", {"text": "the pasta is ready"}, "ok")]
    assert _outbox(tmp_path) == ["the pasta is ready"]
    text = json.loads(run_heron(tmp_path, "transcribe", str(reply), "--json").stdout)["text"]
    heard = words(text)
    # first the question with the exact text that would leave the machine, then the reply
    assert "phone" in heard and "pasta" in heard and "yes" in heard, text
    assert sounds_like(out["response"], " ".join(heard[heard.index("yes"):])), text
    audit = json.loads(run_heron(tmp_path, "audit", "--json").stdout)
    decisions = [e for e in audit if e["kind"] == "decision"]
    assert [(d["tool"], d["decision"]) for d in decisions] == [("notify_phone", "allow")]


def test_a_spoken_no_denies_and_nothing_is_queued(tmp_path, speak):
    out, _ = _turn(tmp_path, speak, "No.")
    assert [(c["tool"], c["status"]) for c in out["tool_calls"]] == [("notify_phone", "denied")]
    assert out["response"].startswith("I'm not allowed to do that: you denied it")
    assert _outbox(tmp_path) == []
