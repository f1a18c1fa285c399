"""`heron audit [--json] [--limit N] [--tool NAME]`, `heron audit verify [--json]` and
`heron audit reset --yes [--reason TEXT]`: the tamper-evident log of every tool call,
capability use and permission decision."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from assistant.audit import AuditError, AuditLog
from assistant.audit.anchor import marker_path
from assistant.audit.reset import plan_reset, reset_chain
from assistant.cli.output import print_json
from assistant.secrets import SecretStore
from assistant.storage import Storage
from models.errors import CodedError


class ResetRefused(CodedError):
    """`heron audit reset` without --yes."""

    exit_code = 2


def register(sub) -> None:
    p = sub.add_parser(
        "audit", help="the audit log of tool calls, capability uses and decisions",
        description="Recent audit entries; `heron audit verify` checks the HMAC hash chain "
                    f"and exits {AuditError.exit_code} on any edit, deletion, reordering or "
                    "truncation.")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--limit", type=positive_int, default=50, metavar="N",
                   help="show the newest N entries (default 50)")
    p.add_argument("--tool", metavar="NAME", help="only entries about this tool")
    p.set_defaults(handler=run_list)
    asub = p.add_subparsers(dest="audit_command", metavar="ACTION")
    vp = asub.add_parser("verify", help="check the whole chain and its head",
                         description="Check every row's HMAC, the chain order and the head "
                                     f"kept outside the database; exit {AuditError.exit_code} "
                                     "when anything was tampered with.")
    vp.add_argument("--json", action="store_true", help="print JSON")
    vp.set_defaults(handler=run_verify)
    rp = asub.add_parser(
        "reset", help="start a new chain (after a lost key, or on purpose)",
        description="Move the current log to an archive file and start a new chain whose "
                    "first row records where the old one ended, when and why. Needed when "
                    "the audit key is lost; refused without --yes.")
    rp.add_argument("--yes", action="store_true", help="really start a new chain")
    rp.add_argument("--reason", default="", metavar="TEXT",
                    help="why, recorded in the new chain's first row")
    rp.add_argument("--json", action="store_true", help="print JSON")
    rp.set_defaults(handler=run_reset)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {text!r}")
    return value


def open_audit(ctx) -> tuple[Storage, AuditLog]:
    """The database and the audit log with its key from the secret store."""
    ctx.paths.data_dir.mkdir(parents=True, exist_ok=True)
    storage = Storage(ctx.paths.db_file)
    try:
        return storage, AuditLog.open(storage, SecretStore(ctx.paths.data_dir),
                                      anchor_path=marker_path(ctx.paths))
    except BaseException:
        storage.close()
        raise


def run_list(args, ctx) -> int:
    storage, audit = open_audit(ctx)
    try:
        entries = audit.entries(args.limit, tool=args.tool)
    finally:
        storage.close()
    if args.json:
        print_json(entries)
        return 0
    if not entries:
        print("no audit entries" + (f" for tool {args.tool!r}" if args.tool else ""))
        return 0
    header = ("ID", "TIME", "KIND", "TOOL", "OUTCOME", "SOURCE", "DETAIL")
    table = [header] + [_row(e) for e in entries]
    widths = [max(len(r[i]) for r in table) for i in range(len(header) - 1)]
    for r in table:
        print("  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[-1]]))
    return 0


def _row(e: dict[str, Any]) -> tuple[str, ...]:
    when = dt.datetime.fromtimestamp(e["ts"]).strftime("%Y-%m-%d %H:%M:%S")
    kind = e["kind"]
    if kind == "decision":
        outcome, detail = str(e.get("decision", "")), str(e.get("reason", ""))
    elif kind == "call":
        outcome = str(e.get("status", ""))
        detail = " ".join(filter(None, [str(e.get("code") or ""), _args(e.get("args"))]))
    elif kind == "capability":
        outcome = "allowed" if e.get("allowed") else "blocked"
        detail = f"{e.get('scope', '')} {e.get('target', '')}".strip()
    else:
        outcome, detail = "", str(e.get("reason") or e.get("detail") or "")
    return (str(e["id"]), when, kind, str(e.get("tool", "")), outcome,
            str(e.get("source", "")), detail[:80])


def _args(args: Any) -> str:
    if not args:
        return ""
    if isinstance(args, dict):
        return ", ".join(f"{k}={v!r}" for k, v in args.items())
    return str(args)


def run_verify(args, ctx) -> int:
    storage, audit = open_audit(ctx)
    try:
        report = audit.check()
    finally:
        storage.close()
    if args.json:
        print_json(report.to_dict())
    else:
        for note in report.notes:
            print(f"note: {note}")
        if report.ok:
            print(f"audit log intact: {report.rows_checked} row(s) checked, chain and head "
                  "verified")
        else:
            for p in report.problems:
                print(f"TAMPERED  {p}")
            print(f"\n{len(report.problems)} problem(s) in {report.rows_checked} row(s) "
                  f"checked: the audit log was tampered with ({audit.head_path} holds the "
                  "chain head)")
    return 0 if report.ok else AuditError.exit_code


def run_reset(args, ctx) -> int:
    ctx.paths.data_dir.mkdir(parents=True, exist_ok=True)
    storage = Storage(ctx.paths.db_file)
    store = SecretStore(ctx.paths.data_dir)
    try:
        if not args.yes:
            plan = plan_reset(storage, store, marker_path(ctx.paths))
            raise ResetRefused(
                "audit.reset_unconfirmed",
                "not resetting the audit log without --yes: a reset moves the current rows "
                f"to an archive file and starts a new chain ({plan.describe()})",
                "if the key is only misplaced, restore it instead; otherwise run "
                "`heron audit reset --yes --reason \"why\"`")
        reason = args.reason or "requested with `heron audit reset --yes`"
        result = reset_chain(storage, store, reason, marker_path(ctx.paths))
    finally:
        storage.close()
    if args.json:
        print_json(result.to_dict())
        return 0
    print(f"started a new audit chain at row {result.row_id}: {result.plan.describe()}")
    if result.archive:
        print(f"the old rows are in {result.archive}")
    print("`heron audit verify` now checks the new chain; its first row records the old head")
    return 0
