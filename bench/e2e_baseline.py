"""The held-out voice clips of `heron bench e2e` through an older Heron, side by side:

    python -m bench.e2e_baseline OLD_CHECKOUT [--out docs/bench] [--quick]

OLD_CHECKOUT is a `git worktree add` of the revision to compare with (before issue 15:
83a6080). Run `heron bench e2e` first: this adds the older revision's rows and summary
to its report (OUT/e2e.json, "voices" → "baseline"), redraws OUT/e2e_voices.png with
both, and prints the two side by side. The older code runs in a subprocess whose
`sys.path` puts the checkout's packages first, with its own default config, in the same
kind of bench home (bench/voice_turns.py, loaded by file path: the older checkout has
no such file, and it imports only what every revision has); both are timed the same
way, from outside the pipeline, and judged the same way (bench/e2e_voices.py)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from assistant.paths import resolve_paths
from bench import e2e_voices
from bench.report import write_report

RUNNER = Path(__file__).with_name("voice_turns.py")
# Inside the older checkout: load the runner by path (not as bench.*, which is the old
# one there) and run the job.
_BOOT = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("heron_voice_turns", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
raise SystemExit(module.main(sys.argv[2:]))
"""


def run_old(checkout: Path, clips: list, models_dir: Path) -> tuple[str, list[dict]]:
    """Run `clips` through the Heron in `checkout`; where its code was imported from,
    and one row per clip."""
    timers, lists = e2e_voices.seed_names()
    job = {"clips": e2e_voices.jobs(clips), "timers": timers, "lists": lists,
           "models_dir": str(models_dir)}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(job, f)
    try:
        env = {**os.environ, "PYTHONPATH": str(checkout)}
        proc = subprocess.run([sys.executable, "-c", _BOOT, str(RUNNER), f.name],
                              cwd=checkout, env=env, capture_output=True, text=True)
    finally:
        Path(f.name).unlink()
    if proc.returncode != 0:
        raise SystemExit(f"the older checkout failed:\n{proc.stderr[-3000:]}")
    lines = proc.stdout.splitlines()
    where = json.loads(lines[0])["assistant"]
    if Path(where).parent != checkout.resolve():
        raise SystemExit(f"the older run imported {where}, not the checkout's own code")
    return where, [json.loads(line) for line in lines[1:]]


def revision(checkout: Path) -> str:
    proc = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True)
    return proc.stdout.strip() or checkout.name


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("old", type=Path, help="a checkout of the older revision")
    p.add_argument("--out", type=Path, default=Path("docs/bench"),
                   help="where `heron bench e2e` wrote e2e.json")
    p.add_argument("--quick", action="store_true", help="the few clips of --quick")
    args = p.parse_args(argv)
    report_path = args.out / "e2e.json"
    if not report_path.is_file():
        raise SystemExit(f"no {report_path}: run `heron bench e2e --out {args.out}` first")
    report = json.loads(report_path.read_text())
    paths = resolve_paths()
    clips = e2e_voices.corpus(e2e_voices.HEADLINE, paths.cache_dir, args.quick)
    now = [r for r in report["voices"]["rows"] if r["split"] == e2e_voices.HEADLINE]
    if [r["clip"] for r in now] != [c.path.name for c in clips]:
        raise SystemExit(f"{report_path} was run on other clips: run `heron bench e2e"
                         f"{' --quick' if args.quick else ''}` again first")
    where, raw = run_old(args.old, clips, paths.models_dir)
    rows = e2e_voices.score(clips, raw)
    report["voices"]["baseline"] = {
        "revision": revision(args.old), "code": where, "config": "its default",
        "splits": {e2e_voices.HEADLINE: e2e_voices.summarize(rows)}, "rows": rows}
    write_report(args.out, "e2e", report)
    e2e_voices.plot_voices(report["voices"], args.out / "e2e_voices.png", report["machine"])
    print("\n".join(e2e_voices.summary_lines(report["voices"])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
