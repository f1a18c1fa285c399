"""Wake word benchmark (`heron bench wake`): false rejects on "hey Jarvis" spoken by
several synthetic voices with noise at 10 dB SNR, false accepts per hour on over an
hour of speech without the phrase, and CPU time per 80 ms frame."""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from audio.file_source import decode_file, iter_frames, to_internal
from audio.frames import FRAME_MS, SAMPLE_RATE_HZ
from audio.wake import WakeGate, WakeOptions, WakeWordDetector
from bench.machine import machine_info
from bench.report import pyplot, save_figure, write_report

MODEL = "hey_jarvis"
PHRASE = "Hey Jarvis."
SNR_DB = 10.0
PIPER_STYLES = [(ls, ns) for ls in (0.85, 1.0, 1.2) for ns in (0.333, 0.8)]  # length, noise
ESPEAK_VOICES = ["en-us", "en-gb", "en+f3", "en+m7", "en-sc", "en-us+f4"]
ESPEAK_SPEEDS = (130, 160, 190)
NOISES = ("white", "pink")
TARGET_FR, TARGET_FA_PER_HOUR = 0.05, 0.5
MOONSHINE_CLIPS = ("two_cities.wav", "beckett.wav", "endgame_nagg_nell.wav", "clone-test.wav")
GRID_THRESHOLDS = (0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9)
GRID_PATIENCE = (1, 2, 3, 4)


def noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-power white or pink (1/f, shaped in the frequency domain) noise."""
    white = rng.standard_normal(n)
    if kind == "pink":
        spec = np.fft.rfft(white)
        spec /= np.sqrt(np.maximum(np.arange(len(spec)), 1))
        white = np.fft.irfft(spec, n)
    return white / np.sqrt(np.mean(white**2))


def mix_at_snr(speech: np.ndarray, kind: str, snr_db: float, seed: int) -> np.ndarray:
    """Noise over the whole clip at `snr_db` below the power of the spoken part."""
    x = speech.astype(np.float64)
    frames = x[: len(x) // 160 * 160].reshape(-1, 160)
    rms = np.sqrt((frames**2).mean(axis=1))
    voiced = frames[rms > 0.1 * rms.max()]
    power = float((voiced**2).mean())
    n = noise(kind, len(x), np.random.default_rng(seed)) * np.sqrt(power / 10 ** (snr_db / 10))
    return np.clip(x + n, -32768, 32767).astype(np.int16)


def _espeak(text: str, voice: str, speed: int, path: Path) -> np.ndarray:
    if not path.is_file():
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text],
                       check=True, capture_output=True)
    return decode_file(path)


def _pad(samples: np.ndarray, lead_s: float = 1.0, tail_s: float = 1.5) -> np.ndarray:
    z = lambda s: np.zeros(int(s * SAMPLE_RATE_HZ), np.int16)  # noqa: E731
    return np.concatenate([z(lead_s), samples, z(tail_s)])


def positives(ctx, folder: Path, quick: bool) -> list[dict]:
    """The wake phrase by piper (joe, several styles) and espeak-ng voices and speeds."""
    from audio.tts import PiperSynthesizer

    folder.mkdir(parents=True, exist_ok=True)
    clips = []
    styles = PIPER_STYLES[:2] if quick else PIPER_STYLES
    for i, (ls, ns) in enumerate(styles):
        tts = PiperSynthesizer(replace(ctx.config.tts, length_scale=ls, noise_scale=ns,
                                       noise_w_scale=0.8), ctx.store)
        audio = to_internal(tts.synthesize_all(PHRASE), tts.sample_rate_hz)
        clips.append({"voice": "piper joe", "style": f"length {ls}, noise {ns}",
                      "samples": _pad(audio), "seed": i})
    voices = ESPEAK_VOICES[:2] if quick else ESPEAK_VOICES
    speeds = ESPEAK_SPEEDS[1:2] if quick else ESPEAK_SPEEDS
    for v in voices:
        for s in speeds:
            audio = _espeak(PHRASE, v, s, folder / f"pos_{v}_{s}.wav")
            clips.append({"voice": f"espeak-ng {v}", "style": f"{s} wpm", "samples": _pad(audio),
                          "seed": len(clips)})
    out = []
    for clip in clips:
        for kind in NOISES[:1] if quick else NOISES:
            out.append({**clip, "noise": kind,
                        "samples": mix_at_snr(clip["samples"], kind, SNR_DB, clip["seed"])})
    return out


def _sentences(limit_chars: int) -> list[str]:
    """Plain English prose from Python's own documentation (shipped with Python)."""
    from pydoc_data.topics import topics

    text = " ".join(topics[k] for k in sorted(topics))
    out, total = [], 0
    for s in re.split(r"(?<=[.!?])\s+", re.sub(r"\s+", " ", text)):
        if 40 <= len(s) <= 220 and re.fullmatch(r"[A-Za-z ,.;:'()!?-]+", s) \
                and "jarvis" not in s.lower():
            out.append(s)
            total += len(s)
            if total >= limit_chars:
                break
    return out


def negatives(ctx, folder: Path, quick: bool) -> tuple[list[np.ndarray], list[dict]]:
    """Speech without the wake phrase: real human recordings (moonshine-voice assets,
    played at 0.9x/1.0x/1.1x) and espeak-ng paragraphs in rotating voices and speeds."""
    import importlib.util

    folder.mkdir(parents=True, exist_ok=True)
    target_s = 120 if quick else 3700
    parts: list[np.ndarray] = []
    info: dict[str, float] = {}
    spec = importlib.util.find_spec("moonshine_voice")
    assets = Path(spec.submodule_search_locations[0]) / "assets" if spec else None
    for name in MOONSHINE_CLIPS if assets else ():
        real = decode_file(assets / name)
        for rate in (1.0,) if quick else (0.9, 1.0, 1.1):
            parts.append(to_internal(real, int(SAMPLE_RATE_HZ * rate)) if rate != 1.0 else real)
            info["human speech (moonshine-voice assets, x0.9/1.0/1.1)"] = info.get(
                "human speech (moonshine-voice assets, x0.9/1.0/1.1)", 0) + len(parts[-1]) / 16000
    sentences = _sentences(60_000 if not quick else 3_000)
    voices = ESPEAK_VOICES + ["en-us+m3", "en-gb+f2", "en+m1"]
    i = 0
    while sum(len(p) for p in parts) / SAMPLE_RATE_HZ < target_s and i * 6 < len(sentences):
        text = " ".join(sentences[i * 6:(i + 1) * 6])
        v, s = voices[i % len(voices)], 120 + (i * 17) % 90
        audio = _espeak(text, v, s, folder / f"neg_{i:04d}.wav")
        parts.append(np.concatenate([audio, np.zeros(SAMPLE_RATE_HZ // 2, np.int16)]))
        info["espeak-ng paragraphs (9 voices, 120-210 wpm)"] = info.get(
            "espeak-ng paragraphs (9 voices, 120-210 wpm)", 0) + len(parts[-1]) / 16000
        i += 1
    return parts, [{"source": k, "seconds": round(v, 1)} for k, v in info.items()]


def _score(detector: WakeWordDetector, samples: np.ndarray, cpu: list[float]) -> np.ndarray:
    scores = []
    for chunk in iter_frames(samples):
        t0 = time.thread_time_ns()
        d = detector.step(chunk.samples)
        cpu.append((time.thread_time_ns() - t0) / 1e6)
        scores.append(d.scores[MODEL])
    return np.array(scores, np.float32)


def fires(scores: np.ndarray, threshold: float, patience: int, cooldown_ms: int) -> list[int]:
    gate = WakeGate(threshold, patience, cooldown_ms)
    return [i for i, s in enumerate(scores) if gate.update(float(s))]


def run(ctx, out_dir: Path, quick: bool) -> dict:
    """`heron bench wake` (quick: a few clips and ~2 minutes of negatives)."""
    folder = ctx.paths.cache_dir / "bench-wake"
    opts = replace(WakeOptions(), model=MODEL, models=(), tuning={})
    t0 = time.perf_counter()
    detector = WakeWordDetector(opts, ctx.store)
    pos = positives(ctx, folder, quick)
    neg_parts, neg_info = negatives(ctx, folder, quick)
    cpu: list[float] = []
    rows = []
    for clip in pos:
        detector.reset()
        s = _score(detector, clip.pop("samples"), cpu)
        rows.append({**{k: v for k, v in clip.items() if k != "seed"}, "scores": s})
    detector.reset()  # negatives: one continuous stream, as a microphone would give
    neg = _score(detector, np.concatenate(neg_parts), cpu)
    hours = len(neg) * FRAME_MS / 3_600_000
    grid = []
    for th in GRID_THRESHOLDS:
        for pat in GRID_PATIENCE:
            fr = np.mean([not fires(r["scores"], th, pat, opts.cooldown_ms) for r in rows])
            fa = len(fires(neg, th, pat, opts.cooldown_ms)) / hours
            grid.append({"threshold": th, "patience": pat, "false_reject_rate": round(fr, 4),
                         "false_accepts_per_hour": round(fa, 2),
                         "meets_targets": bool(fr <= TARGET_FR and fa <= TARGET_FA_PER_HOUR)})
    fa_at = fires(neg, opts.threshold, opts.patience, opts.cooldown_ms)
    for r in rows:
        hit = fires(r["scores"], opts.threshold, opts.patience, opts.cooldown_ms)
        r.update(max_score=round(float(r["scores"].max()), 4), fired=bool(hit),
                 fired_at_ms=(hit[0] + 1) * FRAME_MS if hit else None)
        del r["scores"]
    fr = float(np.mean([not r["fired"] for r in rows]))
    summary = {
        "positives": len(rows), "voices": len({r["voice"] for r in rows}),
        "false_reject_rate": round(fr, 4), "false_rejects": sum(not r["fired"] for r in rows),
        "negative_hours": round(hours, 3), "false_accepts": len(fa_at),
        "false_accepts_per_hour": round(len(fa_at) / hours, 2),
        "cpu_ms_per_frame_median": round(float(np.median(cpu)), 3),
        "cpu_ms_per_frame_p95": round(float(np.percentile(cpu, 95)), 3),
        "frames": len(cpu), "target_false_reject_rate": TARGET_FR,
        "target_false_accepts_per_hour": TARGET_FA_PER_HOUR,
        "wall_s": round(time.perf_counter() - t0, 1)}
    summary["meets_targets"] = bool(fr <= TARGET_FR and
                                    summary["false_accepts_per_hour"] <= TARGET_FA_PER_HOUR)
    summary["settings_meeting_targets"] = [[g["threshold"], g["patience"]]
                                           for g in grid if g["meets_targets"]]
    report = {
        "benchmark": "wake", "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": machine_info(), "quick": quick,
        "config": {"model": MODEL, "threshold": opts.threshold, "patience": opts.patience,
                   "cooldown_ms": opts.cooldown_ms, "snr_db": SNR_DB, "noises": list(NOISES)},
        "negative_corpus": neg_info,
        "negative_note": "synthetic espeak-ng speech is most of the hour; the human part is "
                         "four short recordings looped at three speeds",
        "false_accepts_at_s": [round((i + 1) * FRAME_MS / 1000, 2) for i in fa_at],
        "summary": summary, "grid": grid, "rows": rows}
    write_report(out_dir, "wake", report)
    plot(report, np.array(cpu), out_dir / "wake.png")
    return report


def summary(report: dict) -> list[str]:
    s = report["summary"]
    ok = lambda b: "meets target" if b else "MISSES target"  # noqa: E731
    return [
        f"wake ({report['config']['model']}, threshold {report['config']['threshold']}, "
        f"patience {report['config']['patience']}):",
        f"  false rejects {s['false_rejects']}/{s['positives']} = "
        f"{100 * s['false_reject_rate']:.1f} % ({s['voices']} voices, "
        f"noise at {report['config']['snr_db']:.0f} dB SNR) — "
        f"{ok(s['false_reject_rate'] <= s['target_false_reject_rate'])}",
        f"  false accepts {s['false_accepts']} in {s['negative_hours']:.2f} h = "
        f"{s['false_accepts_per_hour']:.2f}/h — "
        f"{ok(s['false_accepts_per_hour'] <= s['target_false_accepts_per_hour'])}",
        f"  CPU per 80 ms frame: median {s['cpu_ms_per_frame_median']:.2f} ms, "
        f"p95 {s['cpu_ms_per_frame_p95']:.2f} ms",
        f"  (threshold, patience) meeting both targets: {s['settings_meeting_targets'] or 'none'}"]


def plot(report: dict, cpu: np.ndarray, path: Path) -> None:
    plt = pyplot()
    s, cfg = report["summary"], report["config"]
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(15, 4.8),
                                  gridspec_kw={"width_ratios": [3, 2, 1.4]})
    rows = report["rows"]
    labels = [f"{r['voice'].replace('espeak-ng ', '')} {r['style']} {r['noise']}" for r in rows]
    a.barh(range(len(rows)), [r["max_score"] for r in rows],
           color=["tab:green" if r["fired"] else "tab:red" for r in rows])
    a.set_yticks(range(len(rows)), labels, fontsize=6)
    a.axvline(cfg["threshold"], color="k", ls="--", label="threshold")
    a.invert_yaxis()
    a.set_xlabel("best score on the clip")
    fr = 100 * s["false_reject_rate"]
    a.set_title(f"'hey Jarvis' at {cfg['snr_db']:.0f} dB SNR: FR {fr:.1f} %", fontsize=9)
    a.legend(fontsize=7)
    for pat in GRID_PATIENCE:
        g = [x for x in report["grid"] if x["patience"] == pat]
        b.plot([x["false_accepts_per_hour"] for x in g], [100 * x["false_reject_rate"] for x in g],
               marker="o", label=f"patience {pat}")
        for x in g:
            if pat == 1:
                b.annotate(str(x["threshold"]), (x["false_accepts_per_hour"],
                                                 100 * x["false_reject_rate"]), fontsize=6)
    b.axhline(100 * TARGET_FR, color="r", ls=":")
    b.axvline(TARGET_FA_PER_HOUR, color="r", ls=":", label="targets")
    b.set_xscale("symlog", linthresh=1)
    b.set_xlabel(f"false accepts per hour ({s['negative_hours']:.2f} h of other speech)")
    b.set_ylabel("false reject %")
    b.set_title("trade-off by threshold (labels) and patience", fontsize=9)
    b.legend(fontsize=7)
    c.hist(cpu, bins=50, range=(0, float(np.percentile(cpu, 99.5))), color="tab:gray")
    c.set_xlabel("CPU ms per 80 ms frame")
    c.set_title(f"median {s['cpu_ms_per_frame_median']:.2f}, p95 {s['cpu_ms_per_frame_p95']:.2f}",
                fontsize=9)
    save_figure(fig, path, f"Heron wake word ({cfg['model']}) — FA "
                f"{s['false_accepts_per_hour']:.2f}/h, FR {100 * s['false_reject_rate']:.1f} %",
                report["machine"])
