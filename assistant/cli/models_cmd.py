"""`heron models list|verify|prepare`: the catalog, its licences, sha256 checks, and
the example vectors made at install."""

from __future__ import annotations

from assistant.cli.output import print_json, progress_bar
from assistant.doctor.models import model_state
from models.catalog import CATALOG, ModelSpec, get_spec
from models.errors import ModelError
from models.store import ModelCheck

LICENCE_NOTE = (
    "Licences: openWakeWord's pretrained wake words (hey_jarvis, alexa, hey_mycroft, "
    "hey_rhasspy) are CC BY-NC-SA 4.0: non-commercial use only.\n"
    "Wake words for commercial use: okay_nabu (the default; Apache-2.0 in both engines), "
    "and hey_jarvis, alexa, hey_mycroft with [wake] engines = [\"micro\"] "
    "(microWakeWord, Apache-2.0).\n"
    "The piper-tts runtime is GPL-3.0-or-later (so Heron is GPL-3.0-or-later); "
    "Whisper weights and Silero VAD are MIT. Details: docs/models.md"
)


def register(sub) -> None:
    p = sub.add_parser("models", help="list or verify the bundled models",
                       description="The model catalog: packages, files, sha256, licences.")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    lp = msub.add_parser("list", help="catalog with sizes, licences and install state")
    lp.add_argument("--json", action="store_true", help="print JSON")
    lp.set_defaults(handler=run_list)
    vp = msub.add_parser(
        "verify", help="hash every model file; assemble split models",
        description="Hash every file against the catalog (and join split models into the "
                    "data dir). Exit 4 when a file is missing or corrupt.",
    )
    vp.add_argument("models", nargs="*", metavar="MODEL", help="model ids (default: all)")
    vp.add_argument("--json", action="store_true", help="print JSON")
    vp.set_defaults(handler=run_verify)
    pp = msub.add_parser(
        "prepare", help="embed the built-in commands' example phrases once, at install",
        description="Make the router's vectors of the built-in tools' example phrases in "
                    "the installation's share/heron/vectors, which every data dir reads: "
                    "a first start then skips 6-10 s of embedding. Run by the installer.")
    pp.add_argument("--json", action="store_true", help="print JSON")
    pp.set_defaults(handler=run_prepare)


def _packages(spec: ModelSpec) -> str:
    return " + ".join(spec.requirements)


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"


def run_list(args, ctx) -> int:
    rows = []
    for spec in CATALOG:
        state, detail = model_state(ctx.store, spec)
        rows.append({
            "id": spec.id, "role": spec.role, "title": spec.title,
            "package": _packages(spec), "size_bytes": sum(f.size_bytes for f in spec.files),
            "licence": spec.licence, "commercial_use": spec.commercial_use,
            "state": state, "detail": detail,
            "files": [{"name": f.name, "size_bytes": f.size_bytes, "sha256": f.sha256}
                      for f in spec.files],
        })
    if args.json:
        print_json(rows)
        return 0
    header = ("ID", "ROLE", "PACKAGE", "SIZE", "STATE", "COMMERCIAL USE", "LICENCE")
    table = [header] + [
        (r["id"], r["role"], r["package"], _size(r["size_bytes"]), r["state"],
         "yes" if r["commercial_use"] else "NO", r["licence"]) for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    for row in table:
        cells = [cell.ljust(w) for cell, w in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]))
    print()
    print(LICENCE_NOTE)
    return 0


def _aggregate(bar, total: int):
    """Turn the store's per-file progress into one bar per model. Totals are the
    catalog sizes; joining and hashing may pass over a file twice, so cap below 100 %
    until the model is done."""
    if bar is None:
        return None
    state = {"base": 0, "last": 0, "last_total": 0}

    def update(done: int, file_total: int) -> None:
        if done < state["last"]:  # a new file (or a second pass) started
            state["base"] += state["last_total"]
        state["last"], state["last_total"] = done, file_total
        bar(min(state["base"] + done, total - 1), total)

    return update


def _check_derived(ctx, results: list[ModelCheck]) -> list[dict]:
    """Files Heron builds from the catalogued ones, checked like them: the router's
    compact MiniLM (rebuilt now when damaged, and written now when absent, so the first
    launch does not spend ~2 s on it) and the example phrases' vectors (a damaged file
    is removed; the next start embeds the phrases again)."""
    from assistant.agent.embeddings import (
        COMPACT_FILE,
        MODEL_ID,
        TextEmbedder,
        check_example_vectors,
        discard_vectors,
    )
    from models.onnx_compact import compact_problem, discard

    if not any(r.spec.id == MODEL_ID and r.ok for r in results):
        return []  # its source is missing or corrupt: that is reported already
    spec = get_spec(MODEL_ID)
    folder = ctx.store.model_dir(spec)
    source = next(f for f in spec.files if f.name == "model.onnx")
    dest = folder / COMPACT_FILE
    problem = compact_problem(folder / source.name, source.sha256, dest)
    if problem not in (None, "absent"):
        discard(dest)
    TextEmbedder(ctx.store).load()  # builds it when it is not there (or was discarded)
    after = (compact_problem(folder / source.name, source.sha256, dest)
             if problem is not None else None)  # else unchanged: no third hash
    report = [{
        "file": str(dest), "kind": "compact model", "ok": problem in (None, "absent"),
        "detail": {None: "sha256 matches", "absent": "not built yet"}.get(problem, problem),
        "action": "" if problem is None else (
            ("built" if problem == "absent" else "rebuilt") if after is None else
            "could not be built: the shipped model is used (more memory)"),
    }]
    for path, why in check_example_vectors(folder):
        if why:
            discard_vectors(path)
        report.append({"file": str(path), "kind": "example vectors", "ok": not why,
                       "detail": why or "sha256 matches",
                       "action": "removed: the next start embeds the phrases again"
                       if why else ""})
    return report


def run_verify(args, ctx) -> int:
    specs = [get_spec(m) for m in args.models] if args.models else list(CATALOG)
    results: list[ModelCheck] = []
    for spec in specs:
        total = sum(f.size_bytes for f in spec.files)
        bar = None if args.json else progress_bar(f"verifying {spec.id}")
        progress = _aggregate(bar, total)
        results.append(ctx.store.verify(spec, progress))
        if bar is not None:
            bar(total, total)
    ok = all(r.ok for r in results)
    derived = _check_derived(ctx, results)
    if args.json:
        print_json({"ok": ok, "models": [r.to_dict() for r in results], "derived": derived})
    else:
        width = max(len(s.id) for s in specs)
        for r in results:
            if r.ok:
                print(f"  ok  {r.spec.id:<{width}}  {len(r.files)} file(s), sha256 match")
                continue
            print(f"FAIL  {r.spec.id}")
            for f in r.files:
                if not f.ok:
                    print(f"        {f.name}: {f.detail} [{f.code}]  {f.path}")
            print(f"        fix: {r.spec.reinstall_command()}")
        for d in derived:  # a damaged one is repaired already: verify still passes
            state = "  ok" if d["ok"] else "FIXED"
            print(f"{state:>5}  {d['kind']} {d['file']}: {d['detail']}"
                  + (f"; {d['action']}" if d["action"] else ""))
    if ok:
        return 0
    if not args.json:
        bad = [r.spec.id for r in results if not r.ok]
        print(f"\n{len(bad)} model(s) missing or corrupt: {', '.join(bad)}")
    return ModelError.exit_code


def run_prepare(args, ctx) -> int:
    from assistant.agent.shared_vectors import prepare_shared_vectors

    done = prepare_shared_vectors()  # a CodedError reaches the user as one
    if args.json:
        print_json({"file": str(done.path), "phrases": done.phrases, "made": done.made})
    else:
        print(f"{'made' if done.made else 'up to date'}: {done.path} "
              f"({done.phrases} example phrases)")
    return 0
