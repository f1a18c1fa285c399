"""`heron listen FILE`, `heron transcribe FILE`, `heron say TEXT`."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path

from assistant.cli.output import print_json
from assistant.config import ConfigError
from assistant.core import build_core
from assistant.events import Transcript
from assistant.voice.pipeline import NoSpeech, TurnStatus, VoicePipeline
from assistant.voice.stack import VoiceStack
from audio.devices import find_output
from audio.errors import DeviceError
from audio.file_source import decode_file, stream_frames
from audio.frames import SAMPLE_RATE_HZ
from audio.sink import ReplySpeaker, SpeakerSink, WavSink


def register(sub) -> None:
    p = sub.add_parser("listen", help="one voice turn from an audio file, as if from the mic")
    p.add_argument("file", type=Path, help="WAV/FLAC/MP3/OGG, any rate or channel count")
    p.add_argument("--json", action="store_true")
    p.add_argument("--realtime", action="store_true",
                   help="feed the file at 1x speed so timings are honest (always, "
                   "with a remote wake word: [wake] backend)")
    p.add_argument("--no-wake", action="store_true", help="the file holds only the command")
    p.add_argument("--out", type=Path, help="write the spoken reply to this WAV file")
    p.add_argument("--wake-model", help="wake word model id or .onnx path")
    p.add_argument("--asr-model", help="whisper-tiny.en (default) or whisper-base")
    p.add_argument("--language", help="auto (detect it; whisper base), or a code such as "
                   "en, de, fr, es, ar; default: [asr] language")
    p.set_defaults(handler=listen)

    p = sub.add_parser("transcribe", help="speech recognition alone")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true")
    p.add_argument("--model", help="whisper-tiny.en (default) or whisper-base")
    p.add_argument("--language", help="auto, or a language code (whisper base)")
    p.set_defaults(handler=transcribe)

    p = sub.add_parser("say", help="speech synthesis alone")
    p.add_argument("text", nargs="+")
    p.add_argument("--out", type=Path, help="write a WAV file instead of playing")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=say)


def _config(ctx, wake_model: str | None = None, asr_model: str | None = None,
            language: str | None = None):
    """The config with command-line overrides applied."""
    cfg = ctx.config
    if wake_model:
        cfg = dataclasses.replace(cfg, wake=dataclasses.replace(cfg.wake, model=wake_model))
    if asr_model or language:
        try:
            cfg = dataclasses.replace(cfg, asr=dataclasses.replace(
                cfg.asr, model=asr_model or cfg.asr.model,
                language=cfg.asr.language if language is None else language.strip().lower()))
        except ValueError as err:  # AsrOptions' own check: an unknown language code
            raise ConfigError("asr.language", str(err).replace("asr.language", "--language"),
                              "`heron listen FILE --language auto` detects it") from err
    return cfg


def _reply_sink(args, rate_hz: int, cfg):
    if args.out:
        return WavSink(args.out, rate_hz)
    try:
        find_output(cfg.audio)
    except DeviceError:
        return None  # nowhere to play: the reply is still synthesized and timed
    return ReplySpeaker(cfg.audio, rate_hz)


def listen(args, ctx) -> int:
    cfg = _config(ctx, args.wake_model, args.asr_model, args.language)
    samples = decode_file(args.file, cfg.asr.max_file_s)
    use_wake = cfg.wake.enabled and not args.no_wake
    # A wake word server hears the audio as it comes and answers a moment later: a file
    # read at once would be over before it answers, so it is played at its own pace.
    args.realtime = args.realtime or (use_wake and bool(cfg.wake.backend))
    core = build_core(ctx.paths, cfg)
    stack = VoiceStack(cfg, ctx.store, ctx.paths.wake_dir)
    partials: list[str] = []
    core.bus.subscribe(lambda e: partials.append(e.text) if not e.is_final else None,
                       Transcript)
    try:
        result, sink_kind = asyncio.run(_listen(core, stack, samples, args, use_wake))
    finally:
        stack.close()
        core.close()
    data = {"input": str(args.file), "realtime": args.realtime, **result.to_dict(),
            "reply_audio": str(args.out) if args.out and result.status == TurnStatus.OK else None,
            "partials": partials, "played_on": sink_kind, "load_ms": stack.load_ms}
    if result.status != TurnStatus.OK:
        if args.out:
            args.out.unlink(missing_ok=True)  # no reply was spoken
        err = _not_heard(result.status, args.file)
        data["error"] = err.to_dict()
        if not args.json:
            raise err
    if args.json:
        print_json(data)
    else:
        said = f" ({result.language})" if result.language not in ("", "en") else ""
        print(f"you said{said}: {result.transcript}")
        for call in data["tool_calls"]:
            print(f"tool:     {call['tool']}({call['args']}) → {call['status']}")
        print(f"heron:    {data['response']}")
        t = result.timings_ms
        print("timings:  " + ", ".join(f"{k} {v:.0f} ms" for k, v in t.items()))
    return 0 if result.status == TurnStatus.OK else NoSpeech.exit_code


async def _listen(core, stack, samples, args, use_wake):
    await asyncio.gather(stack.load(wake=use_wake), core.warm_up())
    sink = _reply_sink(args, stack.tts.sample_rate_hz, stack.config)
    kind = None if sink is None else ("file" if args.out else "speaker")
    pipeline = VoicePipeline(stack, core.agent, core.bus)
    await pipeline.listener.load()  # the end-of-turn model, before the turn
    try:
        result = await pipeline.run_turn(stream_frames(samples, args.realtime), use_wake, sink)
    finally:
        if sink is not None:
            sink.close()
    return result, kind


def _not_heard(status: str, path: Path) -> NoSpeech:
    if status == "no_wake":
        return NoSpeech("wake.not_heard", f"the wake word was not heard in {path}",
                        "say the wake word first, or pass --no-wake")
    return NoSpeech("audio.no_speech", f"no speech heard in {path}",
                    "check the recording has speech, and its volume")


def transcribe(args, ctx) -> int:
    cfg = _config(ctx, asr_model=args.model, language=args.language)
    samples = decode_file(args.file, cfg.asr.max_file_s)
    stack = VoiceStack(cfg, ctx.store)
    try:
        res = stack.asr.transcribe(samples)
    finally:
        stack.close()
    audio_ms = len(samples) * 1000 // SAMPLE_RATE_HZ
    if args.json:
        print_json({"text": res.text.strip(), "language": res.language,
                    "language_probability": res.language_probability, "audio_ms": audio_ms,
                    "decode_ms": res.decode_ms, "model": stack.config.asr.model_id,
                    "rtf": round(res.decode_ms / max(audio_ms, 1), 3)})
    else:
        print(res.text.strip())
    if not res.text.strip():
        raise _not_heard("no_speech", args.file)
    return 0


def say(args, ctx) -> int:
    text = " ".join(args.text).strip()
    stack = VoiceStack(ctx.config, ctx.store)
    t0 = time.perf_counter()
    try:
        tts = stack.tts
        sink = WavSink(args.out, tts.sample_rate_hz) if args.out else SpeakerSink(
            ctx.config.audio, tts.sample_rate_hz)
        samples, first_ms = 0, 0.0
        try:
            t_synth = time.perf_counter()
            for chunk in tts.synthesize(text):
                first_ms = first_ms or (time.perf_counter() - t_synth) * 1000
                samples += len(chunk)
                sink.write(chunk)
            sink.drain()
        finally:
            sink.close()
    finally:
        stack.close()
    if args.json:
        print_json({"text": text, "out": str(args.out) if args.out else None,
                    "rate_hz": tts.sample_rate_hz,
                    "audio_ms": samples * 1000 // tts.sample_rate_hz,
                    "first_audio_ms": round(first_ms, 1),
                    "total_ms": round((time.perf_counter() - t0) * 1000, 1)})
    elif args.out:
        print(f"wrote {args.out}")
    return 0
