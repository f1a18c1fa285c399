"""Home Assistant's side of a Wyoming voice satellite, for the satellite tests: the
event flow of its Wyoming integration (homeassistant/components/wyoming/
assist_satellite.py) — connect, Describe, RunSatellite, then per RunPipeline:
Transcribe, VoiceStarted/VoiceStopped from its VAD (0.7 s of quiet, HA's default),
Transcript, Synthesize and the reply's audio — on the real Wyoming servers Home
Assistant uses: wyoming-faster-whisper hears the command, wyoming-piper speaks the
reply. Home Assistant itself cannot run here; its intent handling is the `answer`
function the test gives."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.event import Event
from wyoming.info import Describe, Info
from wyoming.pipeline import PipelineStage, RunPipeline
from wyoming.satellite import PauseSatellite, RunSatellite
from wyoming.snd import Played
from wyoming.tts import Synthesize
from wyoming.vad import VoiceStarted, VoiceStopped
from wyoming.wake import Detection

SILENCE_MS = 700  # Home Assistant's VAD: a command ends after this much quiet
SPEECH_RMS = 300.0  # int16 level of speech in the room (the null sink is silent)


@dataclass
class PipelineRun:
    detection: str | None = None
    run: RunPipeline | None = None
    streamed_ms: int = 0
    transcript: str = ""
    reply: str = ""
    reply_ms: int = 0
    played: bool = False
    events: list[str] = field(default_factory=list)


class AssistPeer:
    def __init__(self, port: int, whisper_port: int, piper_port: int) -> None:
        self.port = port
        self.whisper_port = whisper_port
        self.piper_port = piper_port
        self.client = AsyncTcpClient("127.0.0.1", port)

    async def connect(self) -> Info:
        """Connect, Describe, RunSatellite (as the integration does)."""
        for _ in range(100):  # Heron may still be loading
            try:
                await self.client.connect()
                break
            except OSError:
                await asyncio.sleep(0.3)
        await self.client.write_event(Describe().event())
        info = Info.from_event(await self.read_until(Info.is_type))
        await self.client.write_event(RunSatellite().event())
        return info

    async def pause(self) -> None:
        await self.client.write_event(PauseSatellite().event())

    async def resume(self) -> None:
        await self.client.write_event(RunSatellite().event())

    async def send(self, event: Event) -> None:
        await self.client.write_event(event)

    async def read_until(self, wanted: Callable[[str], bool], timeout_s: float = 60,
                         seen: list[str] | None = None) -> Event:
        async def read() -> Event:
            while True:
                event = await self.client.read_event()
                if event is None:
                    raise ConnectionError("Heron closed the connection")
                if seen is not None:
                    seen.append(event.type)
                if wanted(event.type):
                    return event

        return await asyncio.wait_for(read(), timeout_s)

    async def next_run(self, timeout_s: float = 60) -> PipelineRun:
        """Wait for the satellite to ask for a pipeline run (after its wake word)."""
        result = PipelineRun()
        event = await self.read_until(
            lambda t: Detection.is_type(t) or RunPipeline.is_type(t), timeout_s,
            result.events)
        if Detection.is_type(event.type):
            result.detection = Detection.from_event(event).name
            event = await self.read_until(RunPipeline.is_type, 10, result.events)
        result.run = RunPipeline.from_event(event)
        return result

    async def answer(self, result: PipelineRun, answer: Callable[[str], str]) -> PipelineRun:
        """Run the pipeline the satellite asked for: hear, answer, speak."""
        assert result.run is not None
        assert result.run.start_stage == PipelineStage.ASR, result.run
        await self.client.write_event(Transcribe(language="en").event())
        result.transcript = await self._hear(result)
        await self.client.write_event(Transcript(text=result.transcript).event())
        result.reply = answer(result.transcript)
        await self.client.write_event(Synthesize(text=result.reply).event())
        result.reply_ms = await self.speak(result.reply)
        # audio still streamed before the satellite saw VoiceStopped is skipped
        await self.read_until(Played.is_type, 60, result.events)
        result.played = True
        return result

    async def speak(self, text: str) -> int:
        """wyoming-piper's audio of `text`, passed on to the satellite; its length."""
        piper = AsyncTcpClient("127.0.0.1", self.piper_port)
        await piper.connect()
        samples = 0
        try:
            await piper.write_event(Synthesize(text=text).event())
            while True:
                event = await piper.read_event()
                assert event is not None, "wyoming-piper closed the connection"
                if AudioStart.is_type(event.type):
                    start = AudioStart.from_event(event)
                    rate = start.rate
                    await self.client.write_event(event)
                elif AudioChunk.is_type(event.type):
                    chunk = AudioChunk.from_event(event)
                    samples += len(chunk.audio) // (chunk.width * chunk.channels)
                    await self.client.write_event(event)
                elif AudioStop.is_type(event.type):
                    await self.client.write_event(event)
                    return samples * 1000 // rate
        finally:
            await piper.disconnect()

    async def _hear(self, result: PipelineRun) -> str:
        """The satellite's audio to wyoming-faster-whisper until 0.7 s of quiet."""
        whisper = AsyncTcpClient("127.0.0.1", self.whisper_port)
        await whisper.connect()
        try:
            await whisper.write_event(Transcribe(language="en").event())
            await whisper.write_event(AudioStart(rate=16000, width=2, channels=1).event())
            heard, quiet_ms = False, 0
            while True:
                event = await self.read_until(AudioChunk.is_type, 30, result.events)
                chunk = AudioChunk.from_event(event)
                await whisper.write_event(chunk.event())
                ms = len(chunk.audio) // 32
                result.streamed_ms += ms
                level = float(np.sqrt(np.mean(np.square(
                    np.frombuffer(chunk.audio, np.int16), dtype=np.float64))))
                if level >= SPEECH_RMS:
                    if not heard:
                        await self.client.write_event(VoiceStarted().event())
                    heard, quiet_ms = True, 0
                elif heard:
                    quiet_ms += ms
                    if quiet_ms >= SILENCE_MS:
                        break
            await self.client.write_event(VoiceStopped().event())
            await whisper.write_event(AudioStop().event())
            while True:
                event = await whisper.read_event()
                assert event is not None, "wyoming-faster-whisper closed the connection"
                if Transcript.is_type(event.type):
                    return Transcript.from_event(event).text.strip()
        finally:
            await whisper.disconnect()

    async def close(self) -> None:
        await self.client.disconnect()
