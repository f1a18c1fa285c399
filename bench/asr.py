"""Streaming vs offline recognition: word error rate on real speech, the delay from
the endpoint to the final transcript, and whether the command-vocabulary prompt
helps on spoken commands. Streaming is fed at simulated real-time pace: 80 ms frames,
a partial decode whenever one is due and none is running, the audio that arrives
during a decode queued behind it, all decode times measured on the wall clock."""

from __future__ import annotations

import subprocess
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from assistant.core import build_core
from audio.asr import WhisperTranscriber
from audio.file_source import decode_file, to_internal
from audio.frames import FRAME_MS, FRAME_SAMPLES
from audio.streaming_asr import StreamingOptions, StreamingTranscriber
from audio.tts import PiperSynthesizer
from audio.vad import SileroVad
from audio.vocabulary import command_prompt
from bench.machine import machine_info
from bench.report import percentile, pyplot, save_figure, write_report
from bench.text import BECKETT, TWO_CITIES, wer_pct
from models.store import package_dir

ALSA = Path("/usr/share/sounds/alsa")
COMMANDS = (
    "Set a tea timer for five minutes.", "Set a pasta timer for twelve minutes.",
    "List my timers.", "Cancel the pasta timer.", "Start a ten minute timer.",
    "What time is it?", "What's the date today?", "How long is left on my timer?",
    "Set a timer for two minutes and thirty seconds.", "Delete the egg timer.",
    "Set a timer for ninety seconds called laundry.", "Stop the tea timer.")
ESPEAK_VOICES = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp")
ENDPOINT_SILENCE_MS = 240  # the Endpointer's short endpoint: 200 ms in whole 80 ms frames

# -- corpora ----------------------------------------------------------------------
def real_speech(quick: bool) -> list[tuple[str, np.ndarray, str]]:
    """(name, 16 kHz audio, reference): moonshine-voice recordings, ALSA channel names."""
    out = []
    assets = package_dir("moonshine_voice")
    if assets is not None and not quick:
        for name, ref in (("two_cities", TWO_CITIES), ("beckett", BECKETT)):
            out.append((name, decode_file(assets / "assets" / f"{name}.wav"), ref))
    files = sorted(p for p in ALSA.glob("*.wav") if p.stem != "Noise")
    for path in files[:2] if quick else files:
        out.append((f"alsa/{path.stem}", decode_file(path), path.stem.replace("_", " ")))
    return out


def spoken_commands(ctx, folder: Path, quick: bool) -> list[tuple[str, np.ndarray, str]]:
    """(voice, audio, text): each command by piper (no random variation) and by the
    espeak-ng voices, cached as 16 kHz WAVs."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = COMMANDS[:3] if quick else COMMANDS
    voices = ("piper",) if quick else ("piper", *ESPEAK_VOICES)
    tts = None
    out = []
    for voice in voices:
        for i, text in enumerate(texts):
            path = folder / f"{voice}-{i:02d}.wav"
            if not path.is_file():
                if voice == "piper":
                    tts = tts or PiperSynthesizer(replace(ctx.config.tts, noise_scale=0.0,
                                                          noise_w_scale=0.0), ctx.store)
                    _write(path, to_internal(tts.synthesize_all(text), tts.sample_rate_hz))
                else:
                    raw = path.with_suffix(".raw.wav")
                    subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text],
                                   check=True, capture_output=True)
                    _write(path, decode_file(raw))
                    raw.unlink()
            out.append((voice, decode_file(path), text))
    return out


def _write(path: Path, samples: np.ndarray) -> None:
    import wave

    lead = np.zeros(300 * 16, np.int16)  # a little silence before, as a mic would give
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.concatenate([lead, samples]).astype(np.int16).tobytes())


# -- one utterance, streaming and offline --------------------------------------------
def stream(st: StreamingTranscriber, vad: SileroVad, audio: np.ndarray) -> dict:
    """Feed at simulated real-time pace; the endpoint comes ENDPOINT_SILENCE_MS after
    the last voiced frame. The final waits for a partial still running then."""
    st.reset()
    vad.reset()
    flags = [vad.is_speech(audio[i:i + FRAME_SAMPLES])
             for i in range(0, len(audio) - FRAME_SAMPLES + 1, FRAME_SAMPLES)]
    voiced = [i for i, f in enumerate(flags) if f]
    n_frames = min(len(flags), (voiced[-1] + 1 if voiced else len(flags))
                   + ENDPOINT_SILENCE_MS // FRAME_MS)
    now_ms, fed, partials, decode_ms = 0.0, 0, 0, 0.0
    while True:
        while fed < n_frames and (fed + 1) * FRAME_MS <= now_ms:  # frames arrived by now
            st.add(audio[fed * FRAME_SAMPLES:(fed + 1) * FRAME_SAMPLES], flags[fed])
            fed += 1
        if fed == n_frames and now_ms >= n_frames * FRAME_MS:
            break
        if st.partial_due:
            t0 = time.perf_counter()
            st.partial()
            ms = (time.perf_counter() - t0) * 1000
            now_ms, partials, decode_ms = now_ms + ms, partials + 1, decode_ms + ms
        else:
            now_ms = (fed + 1) * FRAME_MS  # wait for the next frame
    waited = now_ms - n_frames * FRAME_MS  # a partial was still running at the endpoint
    t0 = time.perf_counter()
    final = st.final()
    final_ms = (time.perf_counter() - t0) * 1000
    return {"text": final.text, "delay_ms": round(waited + final_ms, 1),
            "waited_ms": round(waited, 1), "tail_ms": final.tail_ms, "partials": partials,
            "partial_decode_ms": round(decode_ms), "speech_ms": n_frames * FRAME_MS,
            "audio": audio[:n_frames * FRAME_SAMPLES]}


def compare(asr: WhisperTranscriber, st: StreamingTranscriber, vad: SileroVad, name: str,
            audio: np.ndarray, reference: str) -> dict:
    s = stream(st, vad, audio)
    t0 = time.perf_counter()
    offline = asr.transcribe(s.pop("audio"))  # the same audio, up to the same endpoint
    offline_ms = round((time.perf_counter() - t0) * 1000, 1)
    return {"name": name, "reference": reference, "streaming": s["text"],
            "offline": offline.text, "streaming_wer": wer_pct([(reference, s["text"])]),
            "offline_wer": wer_pct([(reference, offline.text)]),
            "streaming_delay_ms": s["delay_ms"], "offline_delay_ms": offline_ms,
            **{k: s[k] for k in ("waited_ms", "tail_ms", "partials", "partial_decode_ms",
                                 "speech_ms")}}


def command_bias(asr: WhisperTranscriber, commands, prompt: str) -> dict:
    """Offline command WER without bias, with the vocabulary as the initial prompt and
    as faster-whisper hotwords; per voice and overall."""
    variants = {"none": {}, "prompt": {"initial_prompt": prompt}, "hotwords": {"hotwords": prompt}}
    rows = []
    for voice, audio, text in commands:
        row = {"voice": voice, "reference": text}
        for name, kwargs in variants.items():
            row[name] = asr.transcribe(audio, **kwargs).text
        rows.append(row)
    by_voice = {v: {name: wer_pct([(r["reference"], r[name]) for r in rows if r["voice"] == v])
                    for name in variants} for v in dict.fromkeys(r["voice"] for r in rows)}
    overall = {name: wer_pct([(r["reference"], r[name]) for r in rows]) for name in variants}
    return {"prompt": prompt, "overall_wer": overall, "by_voice_wer": by_voice, "rows": rows}


def window_comparison(ctx, asr: WhisperTranscriber, commands, real) -> dict:
    """Whisper on the window fitted to the utterance (the default) against its fixed
    30 s window: WER on the commands (every voice) and real speech, and decode time."""
    full = WhisperTranscriber(replace(ctx.config.asr, window_pad_s=0.0), ctx.store)
    full.warm_up()
    out = {}
    for name, model in (("fitted", asr), ("full_30s", full)):
        cmd = [(text, model.transcribe(audio)) for _voice, audio, text in commands]
        speech = [(ref, model.transcribe(audio)) for _name, audio, ref in real]
        out[name] = {
            "window_pad_s": model.options.window_pad_s,
            "command_wer": wer_pct([(t, r.text) for t, r in cmd]),
            "real_speech_wer": wer_pct([(t, r.text) for t, r in speech]),
            "command_decode_ms_p50": percentile([r.decode_ms for _t, r in cmd], 50),
            "command_decode_ms_p95": percentile([r.decode_ms for _t, r in cmd], 95)}
    out["commands"], out["real_speech"] = len(commands), len(real)
    return out


def run(ctx, out_dir: Path, quick: bool) -> dict:
    """`heron bench asr`: the real speech and commands (a small sample with quick)."""
    core = build_core(ctx.paths, ctx.config)
    try:
        phrases = [p for m in core.registry.manifests() for p in (m.title, *m.examples)]
    finally:
        core.close()
    t_start = time.perf_counter()
    asr = WhisperTranscriber(ctx.config.asr, ctx.store)
    asr.warm_up()
    vad = SileroVad(ctx.config.vad, ctx.store)
    options = StreamingOptions()
    st = StreamingTranscriber(asr, options)
    commands = spoken_commands(ctx, ctx.paths.cache_dir / "bench-asr", quick)
    rows = [compare(asr, st, vad, name, audio, ref) for name, audio, ref in real_speech(quick)]
    rows += [compare(asr, st, vad, f"command/{voice}", audio, text)
             for voice, audio, text in commands if voice == "piper"]
    bias = command_bias(asr, commands, command_prompt(phrases))
    window = window_comparison(ctx, asr, commands, real_speech(quick))
    real = [r for r in rows if not r["name"].startswith("command/")]
    s_delay = [r["streaming_delay_ms"] for r in rows]
    o_delay = [r["offline_delay_ms"] for r in rows]
    summary = {
        "utterances": len(rows),
        "real_speech_wer": {"streaming": wer_pct([(r["reference"], r["streaming"]) for r in real]),
                            "offline": wer_pct([(r["reference"], r["offline"]) for r in real])},
        "command_wer": {"streaming": wer_pct([(r["reference"], r["streaming"]) for r in rows
                                              if r not in real]),
                        "offline": wer_pct([(r["reference"], r["offline"]) for r in rows
                                            if r not in real])},
        "final_delay_ms": {"streaming_p50": percentile(s_delay, 50),
                           "streaming_p95": percentile(s_delay, 95),
                           "offline_p50": percentile(o_delay, 50),
                           "offline_p95": percentile(o_delay, 95)},
        "tail_decoded_share": round(sum(r["tail_ms"] for r in rows)
                                    / max(1, sum(r["speech_ms"] for r in rows)), 3),
        "bias_wer": bias["overall_wer"], "window": window, "wall_s": 0.0,
    }
    w = summary["real_speech_wer"]
    summary["streaming_within_target"] = w["streaming"] <= w["offline"] + 0.5
    summary["wall_s"] = round(time.perf_counter() - t_start, 1)
    report = {"benchmark": "asr", "date": time.strftime("%Y-%m-%d %H:%M:%S"),
              "machine": machine_info(), "quick": quick,
              "config": {"asr": ctx.config.asr.model, "beam_size": ctx.config.asr.beam_size,
                         "streaming": asdict(options), "realtime": "simulated",
                         "endpoint_silence_ms": ENDPOINT_SILENCE_MS},
              "summary": summary, "rows": rows, "vocabulary_bias": bias}
    write_report(out_dir, "asr", report)
    plot(report, out_dir / "asr.png")
    return report


def summary(report: dict) -> list[str]:
    s = report["summary"]
    w, c, d, b = s["real_speech_wer"], s["command_wer"], s["final_delay_ms"], s["bias_wer"]
    return [
        f"asr: {s['utterances']} utterances, {report['config']['asr']}",
        f"real speech WER: streaming {w['streaming']:.1f} %, offline {w['offline']:.1f} % "
        f"({'within' if s['streaming_within_target'] else 'OVER'} the +0.5 point target)",
        f"command WER: streaming {c['streaming']:.1f} %, offline {c['offline']:.1f} %",
        f"endpoint → final text: streaming p50 {d['streaming_p50']:.0f} ms, "
        f"p95 {d['streaming_p95']:.0f} ms; offline p50 {d['offline_p50']:.0f} ms, "
        f"p95 {d['offline_p95']:.0f} ms",
        f"vocabulary bias, command WER: none {b['none']:.1f} %, prompt {b['prompt']:.1f} %, "
        f"hotwords {b['hotwords']:.1f} %",
        *(f"{name} window: command WER {v['command_wer']:.1f} %, real speech WER "
          f"{v['real_speech_wer']:.1f} %, command decode p50 {v['command_decode_ms_p50']:.0f} "
          f"ms, p95 {v['command_decode_ms_p95']:.0f} ms"
          for name, v in s["window"].items() if isinstance(v, dict)),
    ]


def plot(report: dict, path: Path) -> None:
    plt = pyplot()
    s, rows = report["summary"], report["rows"]
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(15, 4.5))
    groups = {"real speech": s["real_speech_wer"], "commands (piper)": s["command_wer"]}
    x = np.arange(len(groups))
    for k, (mode, color) in enumerate((("streaming", "tab:blue"), ("offline", "tab:gray"))):
        a.bar(x + (k - 0.5) * 0.38, [g[mode] for g in groups.values()], 0.38, label=mode,
              color=color)
    a.set_xticks(x, list(groups))
    a.set_ylabel("WER %")
    a.set_title("word error rate")
    a.legend()
    names = [r["name"].replace("command/piper", "cmd").replace("alsa/", "")[:14] for r in rows]
    x = np.arange(len(rows))
    b.bar(x - 0.2, [r["streaming_delay_ms"] for r in rows], 0.4, label="streaming final",
          color="tab:blue")
    b.bar(x + 0.2, [r["offline_delay_ms"] for r in rows], 0.4, label="offline decode",
          color="tab:gray")
    b.set_xticks(x, names, rotation=70, fontsize=7)
    b.set_ylabel("ms from endpoint to final text")
    d = s["final_delay_ms"]
    b.set_title(f"final delay: p50 {d['streaming_p50']:.0f} vs {d['offline_p50']:.0f} ms, "
                f"p95 {d['streaming_p95']:.0f} vs {d['offline_p95']:.0f} ms", fontsize=9)
    b.legend(fontsize=8)
    bias = report["vocabulary_bias"]["by_voice_wer"]
    x = np.arange(len(bias))
    for k, name in enumerate(("none", "prompt", "hotwords")):
        c.bar(x + (k - 1) * 0.27, [v[name] for v in bias.values()], 0.27, label=name)
    c.set_xticks(x, list(bias), rotation=30, fontsize=8)
    c.set_ylabel("command WER % (offline)")
    c.set_title("command vocabulary bias")
    c.legend(fontsize=8)
    save_figure(fig, path, f"Heron asr ({report['config']['asr']}, streaming fed at "
                "simulated real-time pace)", report["machine"])
