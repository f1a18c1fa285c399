"""Barge-in: while Heron speaks, the wake word or sustained speech from the user
(echo already removed) interrupts the reply. "Stop" is short speech: it interrupts
like any other, and the turn that follows treats it as "be quiet"."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from assistant.events import InterruptReason
from assistant.voice.feed import FrameFeed
from assistant.voice.ports import VoiceActivity, WakeDetector
from assistant.voice.stack import VoiceStack
from audio.frames import FRAME_MS, AudioChunk

BARGE_IN_SPEECH_MS = 160  # voiced audio (after echo removal) that counts as the user
STOP_WORDS = {"stop", "stop it", "be quiet", "quiet", "shut up", "enough", "cancel",
              "never mind", "nevermind", "ok stop", "okay stop", "stop talking"}


@dataclass(frozen=True)
class BargeIn:
    reason: InterruptReason
    frames: tuple[AudioChunk, ...]  # audio to hand to the listener (speech so far)


async def watch(stack: VoiceStack, feed: FrameFeed, use_wake: bool,
                pre_roll_ms: int) -> BargeIn | None:
    """Read frames until the user barges in (or the input ends: None)."""
    vad = stack.vad
    wake = stack.wake if use_wake else None
    await stack.on_frames(vad.reset)
    if wake is not None:
        await stack.on_frames(wake.reset)
    recent: deque[AudioChunk] = deque(maxlen=max(1, (pre_roll_ms + BARGE_IN_SPEECH_MS)
                                                  // FRAME_MS))
    voiced_ms = 0
    async for frame in feed:
        recent.append(frame)
        fired, prob = await stack.on_frames(_score, wake, vad, frame)
        if fired:
            return BargeIn(InterruptReason.WAKE, ())
        voiced = feed.voiced(prob, stack.config.vad.threshold)
        voiced_ms = voiced_ms + FRAME_MS if voiced else 0
        if voiced_ms >= BARGE_IN_SPEECH_MS:
            return BargeIn(InterruptReason.SPEECH, tuple(recent))
    return None


def _score(wake: WakeDetector | None, vad: VoiceActivity, frame: AudioChunk
           ) -> tuple[bool, float]:
    """(did a wake word fire, P(speech)) for one frame, on the frame thread."""
    fired = wake is not None and wake.step(frame.samples).fired is not None
    return fired, float(vad.process(frame.samples))


def is_stop_request(text: str) -> bool:
    cleaned = " ".join("".join(c for c in text.lower() if c.isalpha() or c == " ").split())
    return cleaned in STOP_WORDS
