"""`heron workers list|validate|allow|grants|revoke`: the tool registry and remembered
approvals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from assistant.cli.output import print_json
from assistant.core import build_core
from assistant.paths import HeronPaths
from assistant.permissions.approvals import MCP_PREFIX, ApprovalStore
from assistant.permissions.scope_words import scope_words
from assistant.storage import Storage
from assistant.tools.registry import ToolSource, ToolSourceKind
from assistant.workers.discovery import (
    ManifestProblem,
    find_workers,
    load_worker,
    manifest_path,
)
from models.errors import CodedError

INVALID_EXIT = 2


class WorkersError(CodedError):
    exit_code = INVALID_EXIT


def register(sub) -> None:
    p = sub.add_parser("workers", help="list, validate and permission the tools (workers)",
                       description="Built-in tools and third-party workers (from "
                                   "<data dir>/workers and the heron.workers entry points), "
                                   "and the answers you asked Heron to remember.")
    wsub = p.add_subparsers(dest="workers_command", metavar="ACTION", required=True)
    lp = wsub.add_parser("list", help="every tool: version, source, effects, permissions")
    lp.add_argument("--json", action="store_true", help="print JSON")
    lp.set_defaults(handler=run_list)
    vp = wsub.add_parser("validate", help="check a worker's manifest and entry file",
                         description="Check a worker directory (or its heron-worker.toml) "
                                     "without running it. Every problem is printed as "
                                     "FILE:LINE:COLUMN; exit 2 when there is any.")
    vp.add_argument("path", metavar="PATH", help="worker directory or heron-worker.toml")
    vp.add_argument("--json", action="store_true",
                    help="print a list of {file, line, column, code, message}")
    vp.set_defaults(handler=run_validate)
    ap = wsub.add_parser("allow", help="let MCP clients call a tool without asking",
                         description="Remember that MCP clients (`heron mcp`) may call TOOL "
                                     "without asking you first, with the scopes its manifest "
                                     "asks for now (a version that asks for more asks "
                                     "again). Calls that send data off this machine are "
                                     "still confirmed every time.")
    ap.add_argument("tool", metavar="TOOL")
    ap.add_argument("--mcp", action="store_true", required=True,
                    help="for calls from MCP clients (the only kind allowed from here)")
    ap.add_argument("--json", action="store_true", help="print JSON")
    ap.set_defaults(handler=run_allow)
    gp = wsub.add_parser("grants", help="remembered answers (always allow / always deny)")
    gp.add_argument("--json", action="store_true", help="print JSON")
    gp.set_defaults(handler=run_grants)
    rp = wsub.add_parser("revoke", help="forget remembered answers for a tool",
                         description="Forget what you told Heron to always allow or always "
                                     "deny for TOOL (every scope, only --scope, or only "
                                     "what `heron workers allow TOOL --mcp` allowed).")
    rp.add_argument("tool", metavar="TOOL")
    only = rp.add_mutually_exclusive_group()
    only.add_argument("--scope", help="only this scope (as shown by `heron workers grants`)")
    only.add_argument("--mcp", action="store_true",
                      help="only the allow for MCP clients (other answers stay)")
    rp.add_argument("--json", action="store_true", help="print JSON")
    rp.set_defaults(handler=run_revoke)


def _builtin_sources(paths: HeronPaths, config) -> dict[str, ToolSource]:
    core = build_core(paths, config)
    try:
        return core.registry.sources()
    finally:
        core.close()


# -- list ------------------------------------------------------------------------------

def list_rows(paths: HeronPaths, config) -> tuple[list[dict[str, Any]], list[ManifestProblem]]:
    """Rows for `workers list` (nothing is started) and the rejected workers."""
    core = build_core(paths, config)
    try:
        infos = core.registry.listing()
    finally:
        core.close()
    rows = [i.to_dict() for i in infos]
    taken = {i.manifest.name: i.source for i in infos}
    specs, problems = find_workers(paths.workers_dir, taken)
    for s in specs:
        if taken.get(s.manifest.name) == s.source:  # already listed by the registry
            continue
        m = s.manifest
        rows.append({"name": m.name, "version": m.version, "title": m.title,
                     "source": s.source.kind, "source_detail": s.source.detail,
                     "effects": m.effects, "confirm": m.confirm,
                     "permissions": list(m.permissions), "sandbox": "subprocess"})
    return rows, problems


def sandbox_report(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]] | None:
    """What the worker sandbox enforces on this machine (a quick probe run of the
    host), or None when no third-party worker is installed."""
    if not any(r["sandbox"] == "subprocess" for r in rows):
        return None
    from assistant.workers.sandbox_report import enforcement_report

    return enforcement_report()


def run_list(args, ctx) -> int:
    rows, problems = list_rows(ctx.paths, ctx.config)
    sandbox = sandbox_report(rows)
    if args.json:
        print_json({"tools": rows, "problems": [p.to_dict() for p in problems],
                    "sandbox": sandbox})
        return 0
    header = ("NAME", "VERSION", "SOURCE", "EFFECTS", "CONFIRM", "SANDBOX", "PERMISSIONS")
    table = [header] + [
        (r["name"], r["version"], r["source"], r["effects"], r["confirm"], r["sandbox"],
         ", ".join(r["permissions"]) or "-") for r in rows]
    _print_table(table)
    for r in rows:
        if r["source_detail"]:
            print(f"  {r['name']}: {r['source']} {r['source_detail']}")
    if sandbox:
        held = [k for k, v in sandbox.items() if v.get("enforced")]
        print(f"\nSandbox for third-party workers on this machine: {len(held)} of "
              f"{len(sandbox)} protections enforced.")
        for name, v in sandbox.items():
            if not v.get("enforced"):
                print(f"  not enforced: {name}: {v.get('detail', '')}")
    if problems:
        print(f"\n{len(problems)} problem(s); these workers are not loaded:")
        for p in problems:
            print(f"  {p}")
    return 0


# -- validate --------------------------------------------------------------------------

def validate(path: Path, paths: HeronPaths, config) -> list[ManifestProblem]:
    """Every problem with the worker at `path`, including a name another tool
    (built-in, or another installed worker) already has."""
    target = manifest_path(path).parent.resolve()
    known = _builtin_sources(paths, config)
    others, _ = find_workers(paths.workers_dir, known)
    for spec in others:
        if spec.dir.resolve() != target:
            known.setdefault(spec.manifest.name, spec.source)
    _, problems = load_worker(path, known, ToolSource(ToolSourceKind.PATH, str(target)))
    return problems


def run_validate(args, ctx) -> int:
    path = Path(args.path).expanduser()
    problems = validate(path, ctx.paths, ctx.config)
    if args.json:
        print_json([p.to_dict() for p in problems])
    elif problems:
        for p in problems:
            print(p)
        print(f"{len(problems)} problem(s) in {manifest_path(path)}")
    else:
        print(f"ok: {manifest_path(path)}")
    return INVALID_EXIT if problems else 0


# -- grants / revoke ---------------------------------------------------------------------

def _approvals(paths: HeronPaths) -> tuple[Storage, ApprovalStore]:
    storage = Storage(paths.db_file)
    return storage, ApprovalStore(storage)


def run_grants(args, ctx) -> int:
    storage, store = _approvals(ctx.paths)
    try:
        grants = store.grants()
    finally:
        storage.close()
    if args.json:
        print_json([g.to_dict() for g in grants])
        return 0
    if not grants:
        print("No remembered answers: every tool asks as its manifest says.")
        return 0
    table = [("TOOL", "SCOPE", "ANSWER", "SINCE")] + [
        (g.tool, g.scope, _answer_words(g.scope, g.answer),
         dt.datetime.fromtimestamp(g.created_at).strftime("%Y-%m-%d %H:%M")) for g in grants]
    _print_table(table)
    return 0


def _answer_words(scope: str, answer: str) -> str:
    if answer != "always":
        return "always deny"
    return "allow for MCP clients" if scope.startswith(MCP_PREFIX) else "always allow"


def run_allow(args, ctx) -> int:
    rows, _ = list_rows(ctx.paths, ctx.config)
    row = next((r for r in rows if r["name"] == args.tool), None)
    if row is None:
        raise WorkersError("workers.unknown_tool", f"there is no tool named {args.tool!r}",
                           "see `heron workers list` for the tools' names")
    scopes = tuple(row["permissions"])
    storage, store = _approvals(ctx.paths)
    try:
        store.allow_for_mcp(args.tool, scopes)
    finally:
        storage.close()
    if args.json:
        print_json({"tool": args.tool, "mcp": True, "scopes": list(scopes)})
        return 0
    print(f"MCP clients may now call {args.tool} without asking you first.")
    if scopes:
        print("It may:")
        for scope in scopes:
            print(f"  - {scope_words(scope)}")
    print(f"Undo with `heron workers revoke {args.tool} --mcp`.")
    return 0


def run_revoke(args, ctx) -> int:
    storage, store = _approvals(ctx.paths)
    try:
        if args.mcp:
            removed = store.revoke_for_mcp(args.tool)
        else:
            removed = store.revoke(args.tool, args.scope)
    finally:
        storage.close()
    what = f"{args.tool}" + (f" (scope {args.scope})" if args.scope else "")
    if args.mcp:
        what += " (for MCP clients)"
    if not removed:
        raise WorkersError("workers.no_grant", f"there is no remembered answer for {what}",
                           "see `heron workers grants` for what is remembered")
    if args.json:
        print_json({"tool": args.tool, "scope": args.scope, "mcp": args.mcp,
                    "removed": removed})
    else:
        print(f"Forgot {removed} remembered answer(s) for {what}; it will ask again.")
    return 0


def _print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        print("  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[-1]]))
