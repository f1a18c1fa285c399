"""The checks behind `AuditLog.check()`: each row's mac and the chain order, then the
head file and the anchor against the table. Pure functions over the rows."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from assistant.audit.anchor import AnchorReading
from assistant.audit.report import AuditProblem, ChainHead, HeadState, ProblemKind

GENESIS = "0" * 64
GAP_KIND = "audit.gap"
RESET_KIND = "audit.reset"


def chain_problems(rows, mac_ok: list[bool], report_macs: bool) -> list[AuditProblem]:
    owner: dict[str, int] = {}
    problems: list[AuditProblem] = []
    for r in rows:
        if r["mac"] in owner:
            problems.append(AuditProblem(ProblemKind.DUPLICATED,
                                         f"a copy of row {owner[r['mac']]}", r["id"]))
        owner.setdefault(r["mac"], r["id"])
    prev_mac, prev_id = GENESIS, None
    for r, ok in zip(rows, mac_ok, strict=True):
        rid = r["id"]
        if report_macs and not ok:
            problems.append(AuditProblem(ProblemKind.EDITED, "contents altered after writing "
                                         "(data, time or kind changed)", rid))
        if r["prev_mac"] != prev_mac and (ok or not report_macs):
            after = f"row {prev_id}" if prev_id is not None else "the start"
            if r["prev_mac"] == GENESIS:
                text = f"out of order: it is the first row of the chain but is stored after {after}"
                problems.append(AuditProblem(ProblemKind.REORDERED, f"chain broken: {text}", rid))
            elif r["prev_mac"] in owner:
                text = (f"out of order: it follows row {owner[r['prev_mac']]} in the chain but "
                        f"is stored after {after}")
                problems.append(AuditProblem(ProblemKind.REORDERED, f"chain broken: {text}", rid))
            else:
                gap = rid - prev_id - 1 if prev_id is not None else rid - 1
                count = f"{gap} row(s)" if gap > 0 else "row(s)"
                text = f"{count} deleted between {after} and row {rid}"
                problems.append(AuditProblem(ProblemKind.MISSING, f"chain broken: {text}", rid))
        if ok and r["kind"] == GAP_KIND:
            problems.append(AuditProblem(ProblemKind.GAP, gap_text(r["data"]), rid))
        prev_mac, prev_id = r["mac"], rid
    return problems


def reset_note(rows, mac_ok: list[bool]) -> str | None:
    """The note a chain started by `heron audit reset` carries (not a problem)."""
    if not rows or not mac_ok[0] or rows[0]["kind"] != RESET_KIND:
        return None
    try:
        data = json.loads(rows[0]["data"])
        prev = data.get("previous") or {}
        before = (f"{prev['count']} rows ending at row {prev['last_id']}"
                  if prev.get("count") is not None else "no readable head")
        return (f"this chain was started by `heron audit reset` at {data['reset_at']} "
                f"({data['reason']}); the previous chain had {before}"
                + (f", archived in {data['archive']}" if data.get("archive") else ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return "this chain was started by `heron audit reset`"


def head_problems(rows, head: ChainHead | None, state: HeadState, where: str,
                  notes: list[str], structural: bool) -> list[AuditProblem]:
    if state == HeadState.MISSING:
        return [AuditProblem(ProblemKind.HEAD_MISSING, f"the chain head {where} is missing: "
                             "it was deleted, so truncation cannot be ruled out")]
    if state != HeadState.OK or head is None:
        return [AuditProblem(ProblemKind.HEAD_INVALID, f"the chain head {where} was edited "
                             "or signed with another key")]
    if head.count == 0:
        if rows:
            notes.append(behind(rows, 0))
        return []
    lost = _lost(rows, head, "the head records")
    if lost is not None:
        return [lost]
    index = next(i for i, r in enumerate(rows) if r["id"] == head.last_id)
    if index + 1 < len(rows):
        notes.append(behind(rows, index + 1))
    if index + 1 != head.count and not structural:
        return [AuditProblem(ProblemKind.MISSING, f"the head records {head.count} rows up to "
                             f"row {head.last_id}, the table has {index + 1}", head.last_id)]
    return []


def anchor_problems(rows, reading: AnchorReading, notes: list[str],
                    already: set[ProblemKind]) -> list[AuditProblem]:
    """The anchor lags the head by design, so only its last row must still be there."""
    best = reading.best
    for c in reading.copies:
        if c.state in (HeadState.CORRUPT, HeadState.BAD_MAC):
            if best is None:
                return [AuditProblem(ProblemKind.ANCHOR_INVALID, f"the chain anchor in "
                                     f"{c.where} was edited or signed with another key")]
            notes.append(f"the anchor copy in {c.where} is damaged; the one in "
                         f"{best.where} was used")
        elif c.state == HeadState.MISSING and best is not None:
            notes.append(f"the anchor copy in {c.where} is missing; the one in "
                         f"{best.where} was used (the next update rewrites it)")
    if best is None or best.anchor is None:
        return [AuditProblem(ProblemKind.ANCHOR_MISSING, "the chain anchor is missing from the "
                             "secret store and the marker file: it was deleted, so a wiped "
                             "log cannot be ruled out")]
    if best.anchor.count == 0:
        return []
    lost = _lost(rows, best.anchor.head, f"the anchor in {best.where} records")
    return [lost] if lost is not None and lost.kind not in already else []


def _lost(rows, head: ChainHead, who: str) -> AuditProblem | None:
    """Whether `head`'s last row is gone or moved (None when it is in place)."""
    row = next((r for r in rows if r["id"] == head.last_id), None)
    if row is not None and row["mac"] == head.last_mac:
        return None
    moved = next((r["id"] for r in rows if r["mac"] == head.last_mac), None)
    if moved is not None:
        return AuditProblem(ProblemKind.REORDERED, f"the last row of the chain was row "
                            f"{head.last_id} and is now stored as row {moved}", moved)
    if not rows:
        return AuditProblem(ProblemKind.TRUNCATED, f"all rows were deleted: {who} "
                            f"{head.count} rows ending at row {head.last_id}", head.last_id)
    lost = max(head.count - len(rows), 0)
    return AuditProblem(
        ProblemKind.TRUNCATED, f"rows were deleted from the end: {who} {head.count} rows "
        f"ending at row {head.last_id}, the table has {len(rows)} ending at row {rows[-1]['id']}"
        + (f" ({lost} missing)" if lost else ""), head.last_id)


def behind(rows, start: int) -> str:
    n = len(rows) - start
    return (f"the chain head is behind by {n} row(s) (rows {rows[start]['id']}–"
            f"{rows[-1]['id']}): they were written with the key but the head was not "
            "updated (a Heron process stopped mid-append); not tampering, and the next "
            "append updates the head")


def gap_found(cur, head: ChainHead | None, state: HeadState, tail,
              anchor: ChainHead | None) -> dict[str, Any] | None:
    """What an append must record before writing (None when head and anchor fit)."""
    table_last = tail["id"] if tail else 0
    reason = None
    if state == HeadState.MISSING:
        if tail is not None:
            reason = "the chain head file was missing"
    elif state != HeadState.OK or head is None:
        reason = "the chain head file was edited or signed with another key"
    elif head.count and not has_row(cur, head):
        reason = (f"rows were deleted: the head recorded {head.count} rows ending at row "
                  f"{head.last_id}, the table ended at row {table_last}")
    if reason is None and anchor is not None and anchor.count and not has_row(cur, anchor):
        reason = (f"rows were deleted: the anchor recorded {anchor.count} rows ending at "
                  f"row {anchor.last_id}, the table ended at row {table_last}")
    if reason is None:
        return None
    table_count = cur.execute("SELECT count(*) FROM audit").fetchone()[0]
    return {"reason": reason, "head": asdict(head) if head else None,
            "anchor": asdict(anchor) if anchor else None,
            "table_last_id": table_last, "table_count": table_count}


def has_row(cur, head: ChainHead) -> bool:
    """Whether the row `head` ends at is still in the table, unchanged."""
    row = cur.execute("SELECT mac FROM audit WHERE id = ?", (head.last_id,)).fetchone()
    return row is not None and row["mac"] == head.last_mac



def gap_text(data: str) -> str:
    try:
        reason = json.loads(data)["reason"]
    except (ValueError, KeyError, TypeError):
        reason = "the log was found damaged"
    return f"found when this row was written: {reason}"
