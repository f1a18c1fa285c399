"""`heron bench e2e`: benchmarks that write JSON + PNG under docs/bench/."""

from __future__ import annotations

from pathlib import Path

from assistant.cli.output import print_json
from assistant.core import Core
from assistant.voice import VoiceStack


def register(sub) -> None:
    p = sub.add_parser("bench", help="benchmarks (JSON + PNG under docs/bench/)")
    p.add_argument("which", choices=["e2e", "all"], help="e2e: voice-to-voice latency")
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", type=Path, default=Path("docs/bench"), help="output folder")
    p.add_argument("--repeat", type=int, default=3, help="passes over the command set")
    p.add_argument("--no-wake", action="store_true", help="commands without the wake word")
    p.set_defaults(handler=handle)


def handle(args, ctx) -> int:
    from bench.e2e import E2eOptions, run_e2e  # matplotlib only when benchmarking

    core = Core(ctx.paths, ctx.config)
    stack = VoiceStack(ctx.config, ctx.store)
    try:
        report = run_e2e(core, stack, E2eOptions(args.out, max(1, args.repeat),
                                                 not args.no_wake), ctx.paths.cache_dir)
    finally:
        stack.close()
        core.close()
    s = report["summary"]
    if args.json:
        print_json(report)
    else:
        print(f"e2e: {s['ok']}/{s['runs']} turns ok, {s['routed_ok']} routed to the right tool")
        print(f"voice-to-voice p50 {s['voice_to_voice_p50_ms']:.0f} ms, "
              f"p95 {s['voice_to_voice_p95_ms']:.0f} ms (target p50 ≤ {s['target_p50_ms']} ms)")
        for stage, ms in s["stage_median_ms"].items():
            print(f"  {stage:<16} median {ms if ms is not None else '-':>8} ms")
        print(f"wrote {args.out / 'e2e.json'} and {args.out / 'e2e.png'}")
    return 0
