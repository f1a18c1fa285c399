"""Part of `heron bench barge-in`: a stop() in the last moments of a reply.

Once the last words are written, the speaker drains: the final blocks sit in its queue
and the device buffer. A barge-in then (the user talking over the end of a short reply)
must silence those too. The runs write a short reply, start the drain, call stop()
STOP_AFTER_DRAIN_MS later — as `VoicePipeline._speak` does on a barge-in — and read from
the speaker sink's tap when the sound really ended."""

from __future__ import annotations

import asyncio
import time

import numpy as np

from audio.echo import EchoReference
from audio.sink import ReplySpeaker
from bench.room_streams import Tap

SHORT_REPLY = "It is a quarter past four."
STOP_AFTER_DRAIN_MS = 60  # well inside the ~250 ms the drain lasts
TAP_LAG_S = 1.3  # the tap hands its audio over late; wait before reading it


async def stop_in_drain(stack, reference: EchoReference, out_tap: Tap, runs: int,
                        sound_level: int) -> list[dict]:
    """One row per run: stop_ms (stop() → last sound out of the speaker sink) and
    whether the reply was still sounding when stop() came."""
    tts = stack.tts
    audio = await stack.on_work(tts.synthesize_all, SHORT_REPLY)
    loud = np.flatnonzero(np.abs(audio.astype(np.int32)) >= 8 * sound_level)
    audio = audio[: loud[-1] + 1]  # end on the last word, not on piper's trailing hush
    rows = []
    for i in range(runs):
        speaker = ReplySpeaker(stack.config.audio, tts.sample_rate_hz, reference)
        try:
            await stack.on_playback(speaker.write, audio)  # back once ≤ 2 blocks remain
            draining = asyncio.ensure_future(stack.on_playback(speaker.drain))
            await asyncio.sleep(STOP_AFTER_DRAIN_MS / 1000)
            drained_first = draining.done()
            stopped = time.monotonic()
            speaker.stop()
            await asyncio.wait_for(draining, 10)
        finally:
            speaker.close()
        await asyncio.sleep(TAP_LAG_S)
        sound = out_tap.sound_times(stopped - 1.0, time.monotonic() - 0.2, sound_level)
        silent = max(float(sound.max()) if len(sound) else stopped, stopped)
        rows.append({
            "run": i + 1, "status": "drained_first" if drained_first else "ok",
            "stop_ms": round((silent - stopped) * 1000, 1),
            "sounding_at_stop": bool(np.any((sound >= stopped - 0.05) & (sound <= stopped)))})
    return rows
