"""`heron doctor`: what works, what is missing and the command that fixes it."""

from __future__ import annotations

from assistant.cli.output import print_json, progress_bar
from assistant.doctor.check import CheckStatus
from assistant.doctor.run import run_doctor

EXIT_MISSING = 7
_LABEL = {CheckStatus.OK: "ok", CheckStatus.INFO: "info", CheckStatus.WARN: "warn",
          CheckStatus.FAIL: "FAIL"}


def register(sub) -> None:
    p = sub.add_parser(
        "doctor", help="check devices, runtimes, GPU, models and storage",
        description="Check devices, ONNX Runtime / CTranslate2 providers, models, config and "
                    "storage. Exit 7 when something essential is missing.",
    )
    p.add_argument("--json", action="store_true", help="print a JSON report")
    p.add_argument("--verify", action="store_true",
                   help="hash every model file (slow) instead of checking sizes")
    p.set_defaults(handler=run)


def run(args, ctx) -> int:
    progress_for = None
    if args.verify and not args.json:
        def progress_for(model_id: str):
            return progress_bar(f"hashing {model_id}")
    report = run_doctor(ctx.paths, ctx.store, verify=args.verify, progress_for=progress_for)
    if args.json:
        print_json(report.to_dict())
    else:
        width = max(len(c.name) for c in report.checks)
        for c in report.checks:
            print(f"{_LABEL[c.status]:>4}  {c.name:<{width}}  {c.detail}")
            if c.fix and c.status != CheckStatus.OK:
                print(f"{'':>4}  {'':<{width}}  fix: {c.fix}")
        fails = sum(c.status == CheckStatus.FAIL for c in report.checks)
        if fails:
            print(f"\n{fails} essential problem(s): Heron cannot run until they are fixed.")
        else:
            warned = any(c.status == CheckStatus.WARN for c in report.checks)
            print("\nHeron can run." + (" Warnings above limit some features." if warned else ""))
    return 0 if report.ok else EXIT_MISSING
