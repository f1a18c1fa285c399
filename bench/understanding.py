"""`heron bench understanding`: does Heron pick the right tool and arguments, and how fast?

Two corpora, both run through the whole understanding path of a real Core (its own
HERON_HOME in a temporary folder, default config, no LLM) without running any tool:
- per language, sentences sampled from Home Assistant's intent templates with the slot
  values varied (bench/understanding_samples.py); the expected tool and arguments come
  from the bench's own table (bench/understanding_oracle.py), not from Heron's mapping;
- our English paraphrases (bench/corpora/understanding/), dev and held-out.
Each set is split dev / held-out; held-out is the headline. Targets (issue 14): ≥ 99 %
of template sentences per language, ≥ 95 % of held-out paraphrases, ≤ 10 ms median per
request (intents + router)."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from assistant.agent.understanding import UnderstandingStage
from assistant.config import HeronConfig
from assistant.core import Core, build_core
from assistant.paths import resolve_paths
from bench.machine import machine_info
from bench.report import judge, percentile, pyplot, save_figure, target_line, write_report
from bench.understanding_corpus import BLIND, HELDOUT, TUNING, load_jsonl
from bench.understanding_oracle import expect, same_args, sample_slots
from bench.understanding_samples import sample_language, values_for

NAME = "understanding"
LANGUAGES = ("en", "de", "fr", "es", "ar")
ALL = "all"  # `--languages all`: every language whisper and the intents package both cover
SEED = 14
PER_INTENT, QUICK_PER_INTENT = 20, 2
QUICK_PARAPHRASES = 8  # per file with --quick
TEMPLATE_DEV = (0, 2, 4)  # the i-th sample of an intent is dev when i % 5 is one of these
TARGETS = {"templates_pct": 99.0, "paraphrases_heldout_pct": 95.0, "median_ms": 10.0}
MAX_LISTED_FAILURES = 5  # per language and intent; held-out paraphrases are never listed


def run(ctx, out_dir: Path, quick: bool, languages: tuple[str, ...] | None = None) -> dict:
    """Sample, understand, score; write understanding.json and .png into `out_dir`."""
    languages = all_languages() if tuple(languages or ()) == (ALL,) else \
        tuple(languages or LANGUAGES)
    per_intent = QUICK_PER_INTENT if quick else PER_INTENT
    t0 = time.perf_counter()
    cases = _template_cases(languages, per_intent) + _paraphrase_cases(quick)
    with tempfile.TemporaryDirectory(prefix="heron-bench-understanding-") as tmp:
        core = build_core(resolve_paths({"HERON_HOME": tmp}), HeronConfig())
        try:
            _seed_user_data(core, languages)
            core.agent.router.warm_up()  # embeddings loaded before the clock starts
            understanding = core.agent.understanding
            for case in cases:
                start = time.perf_counter()
                got = understanding.understand(case["text"], case["language"])
                case["ms"] = (time.perf_counter() - start) * 1000
                case["got"] = _as_dict(got)
                case["ok"] = _correct(case, case["got"])
        finally:
            core.close()
    report = _report(cases, languages, per_intent, quick, round(time.perf_counter() - t0, 1))
    write_report(out_dir, NAME, report)
    plot(report, out_dir / f"{NAME}.png")
    return report


# -- the cases ------------------------------------------------------------------------------
def all_languages() -> tuple[str, ...]:
    """The codes `heron doctor` lists as understood (whisper ∩ the intents package)."""
    from assistant.doctor.language import understood_languages

    return tuple(understood_languages())


def _template_cases(languages: tuple[str, ...], per_intent: int) -> list[dict[str, Any]]:
    cases = []
    for lang in languages:
        index: Counter[str] = Counter()
        for s in sample_language(lang, sample_slots(), per_intent, SEED, expect):
            tool, args = expect(s.intent, s.slots, s.text, lang)
            part = "dev" if index[s.intent] % 5 in TEMPLATE_DEV else "heldout"
            index[s.intent] += 1
            cases.append({"set": "templates", "part": part, "language": lang,
                          "intent": s.intent, "text": s.text, "tool": tool, "args": args})
    return cases


def _paraphrase_cases(quick: bool) -> list[dict[str, Any]]:
    cases = []
    for part, path in (*TUNING, ("heldout", HELDOUT), *BLIND):
        rows = load_jsonl(path)
        for row in rows[:QUICK_PARAPHRASES] if quick else rows:
            cases.append({"set": "paraphrases", "part": part, "language": "en",
                          "text": row["text"], "tool": row["tool"], "args": row["args"]})
    return cases


def _seed_user_data(core: Core, languages: tuple[str, ...]) -> None:
    """The lists and timers a user would have, so names in sentences can refer to them."""
    timers, lists = user_names(languages)
    for label in timers:
        core.timers.add(3600, label)
    for name in lists:
        core.lists.add(name, "-")


def user_names(languages: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The timer labels and list names the sentences of `languages` refer to."""
    return (list(dict.fromkeys(t for lang in languages for t in values_for(lang)["timer"])),
            list(dict.fromkeys(n for lang in languages for n in values_for(lang)["list"])))


def _as_dict(understood) -> dict[str, Any] | None:
    if understood is None:
        return None
    return {"stage": understood.stage, "tool": understood.tool, "args": dict(understood.args),
            "reply": understood.reply, "matched": understood.matched}


def _correct(case: dict[str, Any], got: dict[str, Any] | None) -> bool:
    if got is None:
        return False
    if case["tool"] is None:  # a direct answer ("never mind"): no tool, but understood
        return got["tool"] is None and got["reply"] is not None
    return got["tool"] == case["tool"] and same_args(case["args"], got["args"])


# -- the report -----------------------------------------------------------------------------
def _score(cases: list[dict[str, Any]]) -> dict[str, Any]:
    n, ok = len(cases), sum(c["ok"] for c in cases)
    return {"n": n, "correct": ok, "accuracy_pct": round(100 * ok / n, 2) if n else None}


def _times(cases: list[dict[str, Any]]) -> dict[str, float]:
    ms = [c["ms"] for c in cases]
    return {"median_ms": round(statistics.median(ms), 2) if ms else 0.0,
            "p95_ms": percentile(ms, 95, 2), "max_ms": round(max(ms), 2) if ms else 0.0}


def _by_stage(cases: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[str, list] = defaultdict(list)
    for c in cases:
        groups[c["got"]["stage"] if c["got"] else UnderstandingStage.NONE].append(c)
    return {stage: _score(group) for stage, group in sorted(groups.items())}


def _by_intent(cases: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[str, list] = defaultdict(list)
    for c in cases:
        groups[c["intent"]].append(c)
    return {intent: _score(group) for intent, group in sorted(groups.items())}


def _failure(c: dict[str, Any]) -> dict[str, Any]:
    return {"language": c["language"], "intent": c.get("intent"), "text": c["text"],
            "expected": {"tool": c["tool"], "args": c["args"]}, "got": c["got"]}


def _report(cases: list[dict[str, Any]], languages: tuple[str, ...], per_intent: int,
            quick: bool, elapsed_s: float) -> dict[str, Any]:
    tpl = [c for c in cases if c["set"] == "templates"]
    para = [c for c in cases if c["set"] == "paraphrases"]
    per_lang = {}
    for lang in languages:
        mine = [c for c in tpl if c["language"] == lang]
        per_lang[lang] = {"heldout": _score([c for c in mine if c["part"] == "heldout"]),
                          "dev": _score([c for c in mine if c["part"] == "dev"]),
                          "all": _score(mine), "by_stage": _by_stage(mine),
                          "by_intent": _by_intent(mine),
                          "time": _times(mine) if mine else None}
    held = [c for c in para if c["part"] == "heldout"]
    by_tool: dict[str, list] = defaultdict(list)
    for c in held:
        by_tool[c["tool"]].append(c)
    times = _times(cases)
    # A language the package gives no sentence for a mapped intent has nothing to judge.
    measured = {f"templates_pct_{lang}": s["heldout"]["accuracy_pct"] or 0.0
                for lang, s in per_lang.items() if s["heldout"]["n"]}
    measured["paraphrases_heldout_pct"] = _score(held)["accuracy_pct"] or 0.0
    targets = {k: TARGETS["templates_pct"] for k in measured if k.startswith("templates")}
    targets["paraphrases_heldout_pct"] = TARGETS["paraphrases_heldout_pct"]
    verdicts = judge(measured, targets, at_least=frozenset(measured))
    verdicts |= judge({"median_ms": times["median_ms"]}, {"median_ms": TARGETS["median_ms"]})
    failures: dict[str, list] = {lang: [] for lang in languages}
    listed: Counter[tuple[str, str]] = Counter()
    for c in tpl:
        if not c["ok"] and listed[(c["language"], c["intent"])] < MAX_LISTED_FAILURES:
            listed[(c["language"], c["intent"])] += 1
            failures[c["language"]].append(_failure(c))
    for part, _ in TUNING:
        failures[f"paraphrases_{part}"] = [_failure(c) for c in para
                                           if c["part"] == part and not c["ok"]]
    return {
        "benchmark": NAME, "quick": quick, "elapsed_s": elapsed_s,
        "config": {"languages": list(languages), "per_intent": per_intent, "seed": SEED,
                   "values": {lang: _values_source(lang) for lang in languages},
                   "template_split": "per intent, sample i is dev when i % 5 is 0, 2 or 4",
                   "paraphrase_split": "bench/corpora/understanding/README.md",
                   "core": "default config, temporary HERON_HOME, no LLM; tools not run"},
        "summary": {
            "templates": per_lang,
            "paraphrases": {"heldout": _score(held),
                            **{part: _score([c for c in para if c["part"] == part])
                               for part, _ in (*BLIND, *TUNING)},
                            "heldout_by_tool": {t: _score(g) for t, g in sorted(by_tool.items())},
                            "by_stage": _by_stage(para)},
            "by_stage": _by_stage(cases),
            "time": times,
            "targets": verdicts,
        },
        "failures": failures,
        "machine": machine_info(),
    }


def _values_source(language: str) -> str:
    """Where the sampled names came from (README: template-sampled sentences)."""
    from bench.understanding_samples import VALUES

    if language in VALUES:
        return "bench table"
    if values_for(language)["timer"] == VALUES["en"]["timer"]:
        return "english (the package has too few plain words)"
    return "package lists; query and message in english"


def summary(report: dict[str, Any]) -> list[str]:
    s = report["summary"]
    lines = ["understanding (held-out; tool and arguments right):"]
    for lang, r in s["templates"].items():
        h, d = r["heldout"], r["dev"]
        if not h["n"] + d["n"]:
            lines.append(f"  {lang} templates: no sentence for any mapped intent")
            continue
        weak = [i for i, v in r["by_intent"].items() if v["correct"] < v["n"]]
        lines.append(f"  {lang} templates: {h['accuracy_pct']} % of {h['n']} "
                     f"(dev {d['accuracy_pct']} % of {d['n']}), median {r['time']['median_ms']} ms"
                     + (f"; misses in {', '.join(i.removeprefix('Hass') for i in weak)}"
                        if weak else ""))
    p = s["paraphrases"]
    lines.append(f"  en paraphrases: {p['heldout']['accuracy_pct']} % of {p['heldout']['n']}, "
                 + ", ".join(f"blind {part} {p[part]['accuracy_pct']} % of {p[part]['n']}"
                             for part, _ in BLIND) + " ("
                 + ", ".join(f"{part} {p[part]['accuracy_pct']} % of {p[part]['n']}"
                                 for part, _ in TUNING if part in p) + ")")
    lines.append("  by stage: " + ", ".join(f"{k} {v['correct']}/{v['n']}"
                                            for k, v in s["by_stage"].items()))
    lines.append(f"  time per request: median {s['time']['median_ms']} ms, "
                 f"p95 {s['time']['p95_ms']} ms")
    for key, verdict in s["targets"].items():
        unit, at_least = ("ms", False) if key.endswith("_ms") else ("%", True)
        lines.append("  " + target_line(key, verdict, unit, at_least))
    return lines


def plot(report: dict[str, Any], path: Path) -> None:
    plt = pyplot()
    s = report["summary"]
    wide = max(11, len(s["templates"]) * 0.45)
    fig, (acc, lat) = plt.subplots(2 if wide > 11 else 1, 1 if wide > 11 else 2,
                                   figsize=(wide, 8 if wide > 11 else 4))
    labels = [*s["templates"], "en para.", *(f"en {part}" for part, _ in BLIND)]
    held = [r["heldout"]["accuracy_pct"] or 0 for r in s["templates"].values()]
    dev = [r["dev"]["accuracy_pct"] or 0 for r in s["templates"].values()]
    held.append(s["paraphrases"]["heldout"]["accuracy_pct"] or 0)
    dev.append(s["paraphrases"]["dev"]["accuracy_pct"] or 0)
    for part, _ in BLIND:  # no dev of their own
        held.append(s["paraphrases"][part]["accuracy_pct"] or 0)
        dev.append(float("nan"))
    x = range(len(labels))
    acc.bar([i - 0.2 for i in x], held, 0.4, label="held-out")
    acc.bar([i + 0.2 for i in x], dev, 0.4, label="dev", alpha=0.6)
    acc.axhline(TARGETS["templates_pct"], color="k", ls="--", lw=0.8)
    acc.set_xticks(list(x), labels)
    acc.set_ylim(0, 100)
    acc.set_ylabel("right tool and arguments (%)")
    acc.legend(loc="lower left")
    timed = {k: r["time"] for k, r in s["templates"].items() if r["time"]}
    med = [t["median_ms"] for t in timed.values()]
    p95 = [t["p95_ms"] for t in timed.values()]
    lx = range(len(med))
    lat.bar([i - 0.2 for i in lx], med, 0.4, label="median")
    lat.bar([i + 0.2 for i in lx], p95, 0.4, label="p95", alpha=0.6)
    lat.axhline(TARGETS["median_ms"], color="k", ls="--", lw=0.8)
    lat.set_xticks(list(lx), list(timed))
    lat.set_ylabel("ms per request (intents + router)")
    lat.legend()
    title = (f"understanding: median {s['time']['median_ms']} ms, "
             f"held-out paraphrases {s['paraphrases']['heldout']['accuracy_pct']} %")
    save_figure(fig, path, title, report["machine"])
