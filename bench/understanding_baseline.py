"""The same understanding cases run through an older Heron, for a side-by-side baseline:

    python -m bench.understanding_baseline OLD_CHECKOUT [--languages en,de]

OLD_CHECKOUT is a `git worktree add` of the revision to compare with (before issue 14:
97e9229). Both run in this one invocation, on the same cases, judged the same way
(bench/understanding.py), each with the same timers and lists already made; the old
code only routes: its agent's router, or `agent.understanding` where it has one.
Prints held-out and dev accuracy per set for each; a part marked * counts only the
paraphrases for tools the older revision already had."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.understanding import (
    LANGUAGES,
    PER_INTENT,
    _correct,
    _paraphrase_cases,
    _template_cases,
    user_names,
)

# Runs inside each checkout: its tool names, then one JSON line per case, what it
# understood.
_OLD_SIDE = r"""
import json, sys, tempfile
from assistant.config import HeronConfig
try:
    from assistant.core import build_core
except ImportError:  # older than issue 16
    from assistant.core import Core as build_core
from assistant.paths import resolve_paths
job = json.load(open(sys.argv[1]))
with tempfile.TemporaryDirectory() as tmp:
    core = build_core(resolve_paths({"HERON_HOME": tmp}), HeronConfig())
    for label in job["timers"]:
        core.timers.add(3600, label)
    for name in job["lists"] if hasattr(core, "lists") else ():
        core.lists.add(name, "-")
    core.agent.router.warm_up()
    understanding = getattr(core.agent, "understanding", None)
    print(json.dumps([m.name for m in core.registry.manifests()]))
    for c in job["cases"]:
        if understanding is not None:
            u = understanding.understand(c["text"], c["language"])
            got = None if u is None else {"tool": u.tool, "args": u.args, "reply": u.reply}
        else:
            m = core.agent.router.route(c["text"])
            ok = m is not None and not m.missing and not m.ambiguous
            got = {"tool": m.tool, "args": m.args, "reply": None} if ok else None
        print(json.dumps(got))
    core.close()
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("old", type=Path, help="a checkout of the older revision")
    p.add_argument("--languages", default=",".join(LANGUAGES))
    args = p.parse_args(argv)
    languages = tuple(x for x in args.languages.split(",") if x)
    cases = _template_cases(languages, PER_INTENT) + _paraphrase_cases(quick=False)
    timers, lists = user_names(languages)
    job = {"cases": [{"text": c["text"], "language": c["language"]} for c in cases],
           "timers": timers, "lists": lists}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(job, f)
    runs = {name: _understood(checkout, f.name)
            for name, checkout in (("before", args.old), ("now", Path.cwd()))}
    had = set(runs["before"][0])
    for name, (_, got) in runs.items():
        results: dict[tuple[str, str, str], list[bool]] = {}
        for case, answer in zip(cases, got, strict=True):
            ok = _correct(case, answer)
            results.setdefault((case["set"], case["language"], case["part"]), []).append(ok)
            if case["set"] == "paraphrases" and case["tool"] in had:
                results.setdefault(("paraphrases", "en", case["part"] + "*"), []).append(ok)
        for (kind, lang, part), oks in sorted(results.items()):
            print(f"{name:6} {kind:11} {lang} {part:8} "
                  f"{100 * sum(oks) / len(oks):6.2f} % of {len(oks)}")
    return 0


def _understood(checkout: Path, job: str) -> tuple[list[str], list[dict | None]]:
    """The tools `checkout` has, and what it understood of each case."""
    lines = subprocess.run([sys.executable, "-c", _OLD_SIDE, job], cwd=checkout,
                           capture_output=True, text=True, check=True).stdout.splitlines()
    return json.loads(lines[0]), [json.loads(line) for line in lines[1:]]


if __name__ == "__main__":
    raise SystemExit(main())
