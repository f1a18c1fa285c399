"""`heron bench e2e|wake|asr|hearing|turn|barge-in|vision|companion|tray|understanding|
wyoming|read|screen|all`:
benchmarks that write JSON + PNG under docs/bench/.

Each benchmark module in bench/ exposes `run(ctx, out_dir: Path, quick: bool) -> dict`
(the report it also wrote as <file>.json next to <file>.png, <file> being the module's
name) and `summary(report) -> list[str]` (lines for the terminal)."""

from __future__ import annotations

import importlib
from pathlib import Path

from assistant.cli.output import print_json

BENCHMARKS = {
    # voice-to-voice latency (from the true end of speech and from the VAD's), and right
    # commands on the voice corpus's held-out voices (e2e_voices.png)
    "e2e": "bench.e2e",
    "wake": "bench.wake",  # false rejects at 10 dB SNR, false accepts/hour, CPU per frame
    "asr": "bench.asr",  # streaming vs offline WER, final-text delay, vocabulary bias
    # right tool and arguments per hearing step: top text, n-best, bias, second pass
    "hearing": "bench.hearing",
    # end of turn: unfinished sentences with a 600 ms pause not cut; how soon a finished
    # but unrecognised one ends, with and without the smart-turn model
    "turn": "bench.turn",
    # how fast Heron notices it is talked over and falls silent (its own PulseAudio room)
    "barge-in": "bench.barge_in",
    # capture fps, full-HD OCR cold and after a one-line edit, camera fps with faces
    "vision": "bench.vision",
    # 50 phone clients on WebSockets: event fan-out latency
    "companion": "bench.companion",
    # the tray app: time to the tray icon and to the first command, idle CPU and memory
    "tray": "bench.tray",
    # right tool and arguments for template-sampled sentences per language and our own
    # paraphrases; time per request (intents + router)
    "understanding": "bench.understanding",
    # the race of issue 17: Heron local, Heron on remote Wyoming stages and a Home
    # Assistant-style pipeline on wyoming-faster-whisper and wyoming-piper
    "wyoming": "bench.wyoming",
    # "read this to me": end of the request → first audio, typed and spoken (issue 18)
    "read": "bench.read",
    # screen grounding (issue 18): "find/click <label>" on Qt, Tk and HTML forms, light
    # and dark, 100 % and 150 %: the point inside the element; time per request
    "screen": "bench.screen",
}


def register(sub) -> None:
    p = sub.add_parser("bench", help="benchmarks (JSON + PNG under docs/bench/)")
    p.add_argument("which", choices=[*BENCHMARKS, "all"])
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", type=Path, default=Path("docs/bench"), help="output folder")
    p.add_argument("--quick", action="store_true",
                   help="a small sample (tests use it); the published numbers never do")
    p.add_argument("--languages", default=None,
                   help="understanding only: comma-separated codes (default en,de,fr,es,ar), "
                        "or all: every language whisper and the intents both cover")
    p.add_argument("--resume", action="store_true",
                   help="screen only: keep the screens a stopped run measured "
                        "(OUT/screen.progress.jsonl) and measure the rest")
    p.set_defaults(handler=handle)


def handle(args, ctx) -> int:
    names = list(BENCHMARKS) if args.which == "all" else [args.which]
    reports = {}
    for name in names:
        module = importlib.import_module(BENCHMARKS[name])  # matplotlib only when used
        extra = ({"languages": tuple(x.strip() for x in args.languages.split(",") if x.strip())}
                 if name == "understanding" and args.languages else {})
        if name == "screen" and args.resume:
            extra = {"resume": True}
        reports[name] = module.run(ctx, args.out, args.quick, **extra)
        if not args.json:
            print("\n".join(module.summary(reports[name])))
            stem = BENCHMARKS[name].rsplit(".", 1)[-1]
            pngs = sorted(p.name for p in args.out.glob(f"{stem}*.png"))
            print(f"wrote {args.out / (stem + '.json')} and {', '.join(pngs)}")
    if args.json:
        print_json(reports[names[0]] if len(names) == 1 else reports)
    return 0
