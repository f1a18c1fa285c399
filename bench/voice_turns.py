"""Spoken clips through one Heron's voice pipeline, timed from outside it.

Each clip is fed at 1x pace, as from a microphone, through
`VoicePipeline.run_turn(..., use_wake=False)`. Two clocks that need nothing from the
pipeline give voice-to-voice from the true end of speech: when the clip's known end
(`speech_end_ms`) was "captured" on the feed's 1x schedule, and when the bus publishes
SpeechOutStarted. The frame holding the end is normally handed over at once; how much
later the pipeline took it is `feed_lag_ms` (a loop too busy to read the microphone),
and a turn that never took it was cut off before the speech ended. So the same
measurement works on any revision, including ones with no true-end timings of their own.

The home is a bench one: a temporary HERON_HOME with the timers and lists the sentences
name; tools that reach outside Heron (apps, screen, camera, network, audio, media, ...)
are denied by config and every question is answered "no", so nothing opens and no
human is needed, while the call Heron meant to make is still in `reply.tool_calls`.

This file imports only what every Heron revision has (assistant/, audio/, models/),
never bench/: bench/e2e_baseline.py runs it inside an older checkout
(`python -c` bootstrap; `main` reads a job file and prints one JSON row per clip).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from assistant.config import HeronConfig
from assistant.core import Core
from assistant.events import SpeechOutStarted
from assistant.paths import HeronPaths
from audio.file_source import decode_file, stream_frames
from audio.frames import FRAME_MS, AudioChunk
from models.store import ModelStore

# build_core and the voice package came with issue 16; older revisions have Core(...)
# and these at assistant/.
try:
    from assistant.core import build_core
except ImportError:  # an older checkout (bench/e2e_baseline.py)
    from assistant.core import Core as build_core  # type: ignore[assignment]
try:
    from assistant.voice.pipeline import VoicePipeline
    from assistant.voice.stack import VoiceStack
except ImportError:  # an older checkout (bench/e2e_baseline.py)
    from assistant.pipeline import VoicePipeline  # type: ignore[no-redef]

    from assistant.voice import VoiceStack  # type: ignore[no-redef]


class SayNo:
    """A permission prompter that answers every question "no" at once."""

    async def ask(self, request: Any) -> Any:
        try:
            from assistant.permissions.policy import Answer
        except ImportError:  # before issue 16
            from assistant.tools.policy import Answer  # type: ignore[no-redef]

        return Answer.DENY


def bench_core(home: Path, config: HeronConfig, timers: list[str], lists: list[str]) -> Core:
    """A Core in `home` whose tools act only inside Heron (time, timers, lists, notes,
    sums): any tool with a permission scope is denied by config, and questions get no."""
    probe = build_core(_paths(home / "probe"), config)
    scoped = tuple(m.name for m in probe.registry.manifests() if m.permissions)
    probe.close()
    perms = dataclasses.replace(config.permissions,
                                denied_tools=(*config.permissions.denied_tools, *scoped))
    core = build_core(_paths(home / "heron"), dataclasses.replace(config, permissions=perms),
                      prompter=SayNo())
    for label in timers:
        core.timers.add(3600, label)
    for name in lists:
        core.lists.add(name, "-")
    return core


def _paths(root: Path) -> HeronPaths:
    return HeronPaths(root / "config", root / "data", root / "cache")


async def clocked(frames: AsyncIterator[AudioChunk], end_ms: float, marks: dict[str, float]
                   ) -> AsyncIterator[AudioChunk]:
    """`frames` (stream_frames at 1x), noting in `marks` when its schedule began ("start":
    stream_frames starts its clock on the first pull) and when the frame holding
    `end_ms` was handed over, less the audio after `end_ms` in it ("handed")."""
    marks["start"] = time.perf_counter()
    async for chunk in frames:
        frame_end_ms = chunk.timestamp_ms + FRAME_MS
        if "handed" not in marks and frame_end_ms >= end_ms:
            marks["handed"] = time.perf_counter() - (frame_end_ms - end_ms) / 1000
        yield chunk


async def run_clips(core: Core, stack: VoiceStack, clips: list[dict[str, Any]]
                    ) -> list[dict[str, Any]]:
    """Each clip ({"path", "speech_end_ms"}) through one pipeline; one row each."""
    turn = await TimedTurns.start(core, stack)
    return [await turn.run(clip) for clip in clips]


class TimedTurns:
    """One loaded pipeline; `run(clip)` is one turn and its row (the turns of several
    pipelines can be interleaved, e.g. bench/wyoming.py)."""

    def __init__(self, pipeline: Any, started: list[float]) -> None:
        self.pipeline = pipeline
        self._started = started  # when the bus said the reply's first audio played

    @classmethod
    async def start(cls, core: Core, stack: VoiceStack) -> TimedTurns:
        await asyncio.gather(stack.load(wake=False), core.warm_up())
        pipeline = VoicePipeline(stack, core.agent, core.bus)
        # the end-of-turn model, as `heron run` loads it; an older checkout run side by
        # side (bench/e2e_baseline.py) has no such model and no load()
        load_turn_model = getattr(pipeline.listener, "load", None)
        if load_turn_model is not None:
            await load_turn_model()
        if hasattr(stack, "load_second_asr"):  # the same for the second-pass model
            await stack.load_second_asr()
        started: list[float] = []
        core.bus.subscribe(lambda e: started.append(time.perf_counter()), SpeechOutStarted)
        return cls(pipeline, started)

    async def run(self, clip: dict[str, Any]) -> dict[str, Any]:
        samples = decode_file(clip["path"])
        marks: dict[str, float] = {}
        self._started.clear()
        frames = clocked(stream_frames(samples, realtime=True), clip["speech_end_ms"], marks)
        result = await self.pipeline.run_turn(frames, use_wake=False, sink=None)
        return _row(result, marks, self._started[0] if self._started else None,
                    clip["speech_end_ms"])


def _row(result: Any, marks: dict[str, float], first_audio: float | None,
         end_ms: float) -> dict[str, Any]:
    calls = result.reply.tool_calls if result.reply is not None else []
    row: dict[str, Any] = {
        "status": result.status, "transcript": result.transcript,
        "tool_calls": [{"tool": c.tool, "args": c.args, "status": c.status} for c in calls],
        "timings_ms": dict(result.timings_ms),
        "speech": dict(getattr(result, "speech", {})),  # where Heron heard it (newer ones)
        # the pipeline ended the turn before the clip's speech did (a cut-off sentence)
        "cut_before_end": "handed" not in marks,
        "voice_to_voice_true_ms": None, "feed_lag_ms": None,
    }
    true_end = marks["start"] + end_ms / 1000  # on the 1x schedule, as a mic captures it
    if "handed" in marks:
        row["feed_lag_ms"] = round(max(0.0, marks["handed"] - true_end) * 1000, 1)
    if first_audio is not None:  # negative when the reply began before the speech ended
        row["voice_to_voice_true_ms"] = round((first_audio - true_end) * 1000, 1)
    return row


def run_job(job: dict[str, Any]) -> list[dict[str, Any]]:
    """Run a job {"clips", "timers", "lists", "models_dir"} in a fresh bench home with
    this revision's default config."""
    config = HeronConfig()
    with tempfile.TemporaryDirectory(prefix="heron-bench-") as tmp:
        core = bench_core(Path(tmp), config, job["timers"], job["lists"])
        stack = VoiceStack(config, ModelStore(Path(job["models_dir"])))
        try:
            return asyncio.run(run_clips(core, stack, job["clips"]))
        finally:
            stack.close()
            core.close()


def main(argv: list[str]) -> int:
    """`JOB.json`: prints where `assistant` was imported from, then a JSON row a clip."""
    import assistant

    job = json.loads(Path(argv[0]).read_text())
    print(json.dumps({"assistant": str(Path(assistant.__file__).resolve().parent)}))
    for row in run_job(job):
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
