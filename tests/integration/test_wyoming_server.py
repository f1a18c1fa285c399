"""`heron wyoming` driven by the wyoming package's own client: one real server process
(real whisper, piper, wake word models and agent) for the module, and the protocol's
event flows for each program, as Home Assistant and satellites send them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from helpers import REPO, free_port, run_heron, sounds_like, words
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe, Info
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeVoice,
)
from wyoming.wake import Detect, Detection

from bench.xserver import stop_process

pytestmark = pytest.mark.slow
READY_S = 120.0  # loading whisper, piper, the wake words and the router on 2 busy cores



class Served:
    def __init__(self, home: Path, port: int, proc: subprocess.Popen) -> None:
        self.home = home
        self.port = port
        self.proc = proc
        self.stderr: list[str] = []

    def client(self) -> AsyncTcpClient:
        return AsyncTcpClient("127.0.0.1", self.port, read_timeout=60)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("wyoming-home")
    (home / "config").mkdir()
    # the same audio for the same text on every run
    (home / "config" / "config.toml").write_text(
        "[tts]\nnoise_scale = 0.0\nnoise_w_scale = 0.0\n")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "wyoming", "--uri", f"tcp://127.0.0.1:{port}"],
        cwd=REPO, env={**os.environ, "HERON_HOME": str(home)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    server = Served(home, port, proc)
    ready = threading.Event()

    def read_stderr() -> None:
        for line in proc.stderr:
            server.stderr.append(line)
            if line.startswith("serving "):
                ready.set()

    threading.Thread(target=read_stderr, daemon=True).start()
    try:
        if not ready.wait(READY_S):
            pytest.fail("heron wyoming did not start:\n" + "".join(server.stderr))
        yield server
    finally:
        stop_process(proc, timeout_s=10)


def run(coro):
    return asyncio.run(coro)


async def send_audio(client: AsyncTcpClient, samples: np.ndarray, rate: int,
                     channels: int = 1, chunk_ms: int = 60) -> None:
    """AudioStart, the samples as int16 chunks, AudioStop."""
    data = samples.astype(np.int16).tobytes()
    step = rate * chunk_ms // 1000 * 2 * channels
    await client.write_event(AudioStart(rate=rate, width=2, channels=channels).event())
    for i in range(0, len(data), step):
        await client.write_event(AudioChunk(rate=rate, width=2, channels=channels,
                                            audio=data[i:i + step]).event())
    await client.write_event(AudioStop().event())


async def read_until(client: AsyncTcpClient, *types: str) -> list[Event]:
    """Events up to and including the first of `types`."""
    events = []
    while True:
        event = await client.read_event()
        assert event is not None, f"the server closed the connection after {events}"
        events.append(event)
        if event.type in types:
            return events


async def transcribe(client: AsyncTcpClient, samples: np.ndarray, rate: int,
                     channels: int = 1) -> Event:
    await client.write_event(Transcribe(language="en").event())
    await send_audio(client, samples, rate, channels)
    return (await read_until(client, "transcript", "error"))[-1]


async def synthesize(client: AsyncTcpClient, text: str) -> list[Event]:
    await client.write_event(Synthesize(text=text).event())
    return await read_until(client, "audio-stop", "error")


def audio_of(events: list[Event]) -> tuple[np.ndarray, int]:
    chunks = [AudioChunk.from_event(e) for e in events if AudioChunk.is_type(e.type)]
    return np.frombuffer(b"".join(c.audio for c in chunks), np.int16), chunks[0].rate


def test_describe_lists_the_four_programs_with_our_models(served) -> None:
    async def body() -> Info:
        async with served.client() as c:
            await c.write_event(Describe().event())
            return Info.from_event(await c.read_event())

    info = run(body())
    assert [p.installed for p in (*info.asr, *info.tts, *info.wake, *info.handle)] == [True] * 4
    assert [m.name for m in info.asr[0].models] == ["whisper-tiny.en"]
    assert info.asr[0].models[0].languages == ["en"]
    assert [v.name for v in info.tts[0].voices] == ["piper-joe-medium"]
    assert info.tts[0].supports_synthesize_streaming
    wake = {m.name: m for m in info.wake[0].models}
    assert wake["okay_nabu"].installed and wake["okay_nabu"].phrase == "okay nabu"
    assert "hey_jarvis" in wake
    assert [m.name for m in info.handle[0].models] == ["heron-agent"]
    assert "serving asr, tts, wake, handle on tcp://127.0.0.1:" in "".join(served.stderr)


def test_asr_hears_a_command_sent_as_stereo(served, speak) -> None:
    mono = speak("Set a timer for five minutes.")
    stereo = np.repeat(mono, 2)  # interleaved L R: the server mixes it down

    async def body() -> Event:
        async with served.client() as c:
            return await transcribe(c, stereo, 16000, channels=2)

    event = run(body())
    assert Transcript.is_type(event.type), event
    text = Transcript.from_event(event).text
    assert {"timer", "minutes"} <= set(words(text)), text
    assert sounds_like("set a timer for five minutes", text), text


def test_tts_streams_audio_that_transcribes_back(served) -> None:
    async def body() -> tuple[list[Event], Event]:
        async with served.client() as c:
            events = await synthesize(c, "Hello there. This is Heron.")
            samples, rate = audio_of(events)
            # piper's 22.05 kHz straight back in: the server resamples it
            return events, await transcribe(c, samples, rate)

    events, heard = run(body())
    types = [e.type for e in events]
    assert types[0] == "audio-start" and types[-1] == "audio-stop"
    assert types.count("audio-chunk") >= 2 and set(types[1:-1]) == {"audio-chunk"}
    samples, rate = audio_of(events)
    assert rate == 22050 and 1.0 < len(samples) / rate < 5.0
    text = Transcript.from_event(heard).text
    assert sounds_like("hello there this is", text), text


def test_tts_speaks_streamed_text_once(served) -> None:
    async def body() -> list[Event]:
        async with served.client() as c:
            await c.write_event(SynthesizeStart().event())
            for piece in ("Hello the", "re. This is", " Heron."):
                await c.write_event(SynthesizeChunk(text=piece).event())
            # the whole text, which Home Assistant sends before SynthesizeStop for
            # servers that do not stream: not spoken twice
            await c.write_event(Synthesize(text="Hello there. This is Heron.").event())
            await c.write_event(SynthesizeStop().event())
            events = await read_until(c, "synthesize-stopped", "error")
            await c.write_event(Describe().event())  # the next event is the Info
            events.append(await c.read_event())
            return events

    events = run(body())
    types = [e.type for e in events]
    assert types[0] == "audio-start" and types.count("audio-start") == 1, types
    assert types[-3:] == ["audio-stop", "synthesize-stopped", "info"], types
    samples, rate = audio_of(events)
    assert 1.0 < len(samples) / rate < 5.0


def test_wake_word_is_detected_and_silence_is_not(served, speak) -> None:
    async def body() -> tuple[list[Event], list[Event]]:
        async with served.client() as c:
            await c.write_event(Detect(names=["okay_nabu"]).event())
            await send_audio(c, speak("Okay Nabu."), 16000)
            heard = await read_until(c, "detection", "not-detected", "error")
            await c.write_event(Detect().event())
            await send_audio(c, np.zeros(16000 * 2, np.int16), 16000)
            quiet = await read_until(c, "detection", "not-detected", "error")
            return heard, quiet

    heard, quiet = run(body())
    assert [e.type for e in heard] == ["detection"]
    detection = Detection.from_event(heard[0])
    assert detection.name == "okay_nabu" and 1000 < detection.timestamp < 3000
    assert [e.type for e in quiet] == ["not-detected"]


def test_handle_answers_and_denies_what_needs_approval(served) -> None:
    async def body() -> tuple[Event, Event]:
        async with served.client() as c:
            await c.write_event(Transcript(text="what time is it").event())
            time_reply = await c.read_event()
            await c.write_event(
                Transcript(text="notify my phone that the pasta is ready").event())
            return time_reply, await c.read_event()

    asked, denied = run(body())
    assert Handled.is_type(asked.type), asked
    assert any(ch.isdigit() for ch in Handled.from_event(asked).text)
    assert NotHandled.is_type(denied.type), denied
    said = NotHandled.from_event(denied).text
    assert said.startswith("I'm not allowed to do that") and "approval" in said, said
    audit = json.loads(run_heron(served.home, "audit", "--json").stdout)
    decisions = [(e["tool"], e["decision"]) for e in audit if e["kind"] == "decision"]
    assert ("notify_phone", "deny") in decisions


def test_bad_input_gets_errors_and_the_server_keeps_serving(served) -> None:
    async def body() -> tuple[list[Event], Info]:
        async with served.client() as c:
            await c.write_event(AudioChunk(rate=16000, width=2, channels=1,
                                           audio=bytes(3200)).event())
            await c.write_event(AudioChunk(rate=16000, width=2, channels=1,
                                           audio=bytes(3200)).event())
            await c.write_event(AudioStop().event())  # one mistake, one Error
            await c.write_event(Event(type="synthesize", data={"voice": {}}))  # no text
            await c.write_event(Transcribe().event())
            await c.write_event(AudioStart(rate=16000, width=7, channels=1).event())
            await c.write_event(AudioStop().event())
            await c.write_event(Synthesize(text="hi", voice=SynthesizeVoice(
                name="no-such-voice")).event())
            await c.write_event(Event(type="no-such-event"))  # dropped, as the protocol says
            await c.write_event(Describe().event())
            errors = await read_until(c, "info")
        # a line that is not an event ends that connection only
        reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
        writer.write(b"this is not json\n")
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 30) == b""
        writer.close()
        async with served.client() as c:
            await c.write_event(Describe().event())
            return errors, Info.from_event(await c.read_event())

    errors, info = run(body())
    # Each failed request still gets the event its client reads up to (Home Assistant
    # ignores errors): the text to speak → AudioStop, the audio to transcribe → an
    # empty Transcript.
    got = [(e.type, e.data.get("code") or e.data.get("text")) for e in errors[:-1]]
    assert got == [("error", "wyoming.no_audio_start"), ("error", "wyoming.bad_event"),
                   ("audio-stop", None), ("error", "wyoming.audio_format"),
                   ("transcript", ""), ("error", "wyoming.unknown_voice"),
                   ("audio-stop", None)]
    assert info.asr and served.proc.poll() is None


def test_cli_refuses_bad_addresses_with_coded_errors(served, tmp_path) -> None:
    bad = run_heron(tmp_path, "wyoming", "--uri", "http://127.0.0.1:10700", timeout=60)
    assert bad.returncode == 2 and "[wyoming.bad_uri]" in bad.stderr, bad.stderr
    loop = run_heron(tmp_path, "wyoming", "--zeroconf", timeout=60)
    assert loop.returncode == 2 and "[wyoming.zeroconf_loopback]" in loop.stderr
    in_use = run_heron(tmp_path, "wyoming", "--uri", f"tcp://127.0.0.1:{served.port}",
                       timeout=120)
    assert in_use.returncode == 2 and "[wyoming.address_in_use]" in in_use.stderr
    assert "Traceback" not in bad.stderr + loop.stderr + in_use.stderr
    not_a_socket = tmp_path / "file.txt"
    not_a_socket.write_text("keep me")
    refused = run_heron(tmp_path, "wyoming", "--uri", f"unix://{not_a_socket}", timeout=60)
    assert refused.returncode == 2 and not_a_socket.read_text() == "keep me"
    (tmp_path / "config").mkdir(exist_ok=True)  # the runs above made it
    (tmp_path / "config" / "config.toml").write_text('[tts]\nvoice = "/gone/voice.onnx"\n')
    missing = run_heron(tmp_path, "wyoming", "--uri", f"tcp://127.0.0.1:{free_port()}",
                        timeout=180)
    assert missing.returncode == 4 and "[model.missing]" in missing.stderr
    assert "serving" not in missing.stderr and "Traceback" not in missing.stderr


def test_zeroconf_announcement_is_found_by_a_browser() -> None:
    """The announcement `--zeroconf` makes, seen by zeroconf's own browser on this
    machine's LAN address (multicast loops back to the sender)."""
    from zeroconf import ServiceStateChange
    from zeroconf.asyncio import AsyncServiceBrowser, AsyncZeroconf

    from assistant.wyoming.address import parse_uri
    from assistant.wyoming.announce import SERVICE_TYPE, Announcement

    async def body() -> list[str]:
        announcement = Announcement(parse_uri("tcp://0.0.0.0:10712"), "heron-test")
        # this machine (and CI's) has a LAN address; without one the test must fail
        assert not announcement.ip.startswith("127."), "no LAN interface to announce on"
        found: list[str] = []
        added = asyncio.Event()
        browser_zc = AsyncZeroconf(interfaces=[announcement.ip])

        def seen(zeroconf, service_type, name, state_change) -> None:
            if state_change is ServiceStateChange.Added:
                found.append(name)
                if name == "heron-test." + SERVICE_TYPE:
                    added.set()

        browser = AsyncServiceBrowser(browser_zc.zeroconf, SERVICE_TYPE, handlers=[seen])
        await announcement.start()
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(added.wait(), 10)
            info = await browser_zc.async_get_service_info(
                SERVICE_TYPE, "heron-test." + SERVICE_TYPE, timeout=3000)
            assert info is not None and info.port == 10712
            assert info.parsed_addresses() == [announcement.ip]
        finally:
            await announcement.stop()
            await browser.async_cancel()
            await browser_zc.async_close()
        return found

    assert "heron-test." + SERVICE_TYPE in run(body())


def test_a_streamed_text_that_fails_still_ends_its_stream(served) -> None:
    """Home Assistant streams an LLM's reply and reads up to SynthesizeStopped."""
    async def body() -> list[Event]:
        async with served.client() as c:
            voice = SynthesizeVoice(name="no-such-voice")
            await c.write_event(SynthesizeStart(voice=voice).event())
            await c.write_event(SynthesizeChunk(text="Hello there. ").event())
            await c.write_event(Synthesize(text="Hello there.", voice=voice).event())
            await c.write_event(SynthesizeStop().event())
            return await read_until(c, "synthesize-stopped")

    events = run(body())
    assert [(e.type, e.data.get("code")) for e in events] == [
        ("error", "wyoming.unknown_voice"), ("audio-stop", None),
        ("synthesize-stopped", None)]
