"""Heron as a Home Assistant voice satellite, in a virtual room (PulseAudio: what the
test plays, Heron's microphone hears). Home Assistant's side is tests/integration/
assist_peer.py: its integration's event flow on the real wyoming-faster-whisper and
wyoming-piper servers (Home Assistant itself cannot run here)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from assist_peer import AssistPeer
from headless import HeadlessHeron, of_type
from helpers import run_heron, sounds_like, write_wav
from wyoming.ping import Ping, Pong
from wyoming.timer import TimerFinished, TimerStarted

from assistant.desktop.instance import InstanceClient, socket_path
from assistant.paths import resolve_paths
from bench.wyoming_peers import WyomingPeer, free_port, whisper_and_piper

pytestmark = [pytest.mark.slow, pytest.mark.audio]

TIMEOUT_S = 60


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WyomingPeer,
                                                                        WyomingPeer]]:
    with whisper_and_piper(tmp_path_factory.mktemp("wyoming-data")) as peers:
        yield peers


def ask(home, text: str) -> dict:
    """`heron ask` reaching the running Heron over its socket."""
    client = InstanceClient(socket_path(resolve_paths({"HERON_HOME": str(home)}).data_dir))
    return asyncio.run(client.call({"cmd": "ask", "text": text}, timeout_s=60))


def lights(transcript: str) -> str:
    """Home Assistant's intent handling, as far as these tests need it."""
    return "Turned on the kitchen light." if "light" in transcript.lower() else "Sorry."


def after(heron: HeadlessHeron, start: int, event_type: str) -> list[dict]:
    return [e for e in heron.seen[start:] if e["type"] == event_type]


def test_home_assistant_runs_its_pipeline_on_herons_microphone_and_speaker(
        tmp_path, pulse, speak, servers):
    asr, tts = servers
    port = free_port()
    heron = HeadlessHeron(tmp_path, pulse.env, "--exit-after", "240", command=(
        "wyoming", "--satellite", "--uri", f"tcp://127.0.0.1:{port}", "--name", "den",
        "--area", "Den"))
    heron.wait_hearing()
    peer = AssistPeer(port, asr.port, tts.port)
    command = write_wav(tmp_path / "cmd.wav", speak("Okay Nabu. Turn on the kitchen light.",
                                                    tail_ms=1500))

    async def scenario() -> dict:
        info = await peer.connect()
        assert info.satellite is not None and info.satellite.name == "den"
        assert info.satellite.area == "Den"
        assert info.satellite.active_wake_words == ["okay_nabu"]
        assert [m.phrase for m in info.wake[0].models] == ["okay nabu"]
        await peer.send(Ping(text="hi").event())
        pong = Pong.from_event(await peer.read_until(Pong.is_type, 10))
        assert pong.text == "hi"
        pulse.play(command)
        run = await peer.answer(await peer.next_run(TIMEOUT_S), lights)
        # a timer Home Assistant set by voice on this satellite rings on Heron
        await peer.send(TimerStarted(id="t1", total_seconds=600, name="pasta").event())
        await peer.send(TimerFinished(id="t1").event())
        # Heron's own tools keep working while Home Assistant is connected
        own = await asyncio.to_thread(ask, tmp_path, "what is 12 times 12")
        await peer.close()
        return {**run.__dict__, "own": own}

    run = asyncio.run(scenario())
    assert run["detection"] == "okay_nabu"
    assert run["run"].end_stage == "tts" and run["run"].wake_word_name == "okay_nabu"
    assert sounds_like("turn on the kitchen light", run["transcript"]), run["transcript"]
    assert run["played"]  # Heron said Played once the reply had played
    spoken = heron.wait_for("the reply played", lambda e: e["type"] == "SpeechOutFinished",
                            TIMEOUT_S)
    # the reply heard on Heron's speaker is Home Assistant's, all of it
    assert abs(spoken["audio_ms"] - run["reply_ms"]) < 100, (spoken, run["reply_ms"])
    assert [e["text"] for e in of_type(heron.seen, "Transcript")] == [run["transcript"]]
    assert [e["text"] for e in of_type(heron.seen, "Reply")] == ["Turned on the kitchen light."]
    # Heron's own agent did nothing with the command: Home Assistant answered it
    assert of_type(heron.seen, "ToolCallStarted") == []
    timer = heron.wait_for("the timer announced", lambda e: e["type"] == "SpeechOutStarted"
                           and "pasta" in e["text"], TIMEOUT_S)
    assert timer["text"] == "The pasta timer is done."
    finished = [e for e in of_type(heron.seen, "SatelliteTimer") if e["event"] == "finished"]
    assert finished and finished[0]["name"] == "pasta"
    assert "144" in run["own"]["response"], run["own"]
    heron.stop()


def test_heron_answers_itself_when_home_assistant_pauses_or_goes_away(
        tmp_path, pulse, speak, servers):
    asr, tts = servers
    port = free_port()
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text(
        f'[satellite]\nenabled = true\nuri = "tcp://127.0.0.1:{port}"\n')
    heron = HeadlessHeron(tmp_path, pulse.env, "--exit-after", "240")  # `heron run`
    heron.wait_hearing()
    peer = AssistPeer(port, asr.port, tts.port)
    question = write_wav(tmp_path / "q.wav", speak("Okay Nabu. What is 7 times 6?",
                                                   tail_ms=1500))
    announcement = "Dinner is ready."

    async def paused_then_gone() -> list[str]:
        await peer.connect()
        # an announcement from Home Assistant (audio outside any turn) plays, then Played
        await peer.speak(announcement)
        await peer.read_until(lambda t: t == "played", TIMEOUT_S)
        await peer.pause()
        await asyncio.sleep(0.5)
        pulse.play(question)  # paused: Heron's own turn, Home Assistant hears nothing
        heron.wait_for("Heron's own answer", lambda e: e["type"] == "Reply", TIMEOUT_S)
        heron.wait_for("idle", lambda e: e["type"] == "StateChanged"
                       and e["state"] == "idle", TIMEOUT_S)
        try:  # Home Assistant was sent nothing of that turn
            stray = await peer.read_until(lambda t: True, timeout_s=1)
            raise AssertionError(f"the paused satellite sent {stray.type}")
        except TimeoutError:
            pass
        await peer.resume()
        await asyncio.sleep(0.5)
        pulse.play(question)
        run = await peer.next_run(TIMEOUT_S)  # Home Assistant's turn again ...
        await peer.close()  # ... and it goes away before it answers
        return run.events

    start = len(heron.seen)
    asyncio.run(paused_then_gone())
    second = heron.wait_for("the answer after Home Assistant went away",
                            lambda e: e["type"] == "Reply"
                            and len(after(heron, start, "Reply")) >= 2, TIMEOUT_S)
    replies = [e["text"] for e in after(heron, start, "Reply")]
    assert len(replies) == 2 and all("42" in r for r in replies), replies
    assert "42" in second["text"]
    heard = [e["text"] for e in after(heron, start, "Transcript")]
    assert len(heard) == 2 and all(sounds_like("what is 7 times 6", h) for h in heard), heard
    played = of_type(heron.seen, "SpeechOutFinished")
    assert played[0]["audio_ms"] > 500  # the announcement, before either answer
    heron.stop()


def test_satellite_flags_are_checked_before_anything_loads(tmp_path):
    bad = run_heron(tmp_path, "wyoming", "--satellite", "--uri", "tcp://127.0.0.1",
                    "--json")
    assert bad.returncode == 2 and json.loads(bad.stdout)["error"]["code"] == "wyoming.bad_uri"
    loose = run_heron(tmp_path, "wyoming", "--wake-word", "hey_jarvis")
    assert loose.returncode == 2 and "wyoming.usage" in loose.stderr, loose.stderr
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text(
        "[satellite]\nenabled = true\nwake_words = []\n")
    empty = run_heron(tmp_path, "run", "--headless", "--no-mic", "--exit-after", "1")
    assert "config.invalid" in empty.stderr and "wake_words" in empty.stderr, empty.stderr
