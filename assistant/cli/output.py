"""Printing results and errors, as text or JSON."""

from __future__ import annotations

import json
import sys
from typing import Any

from models.errors import CodedError


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
    sys.stdout.flush()


def print_error(err: CodedError, as_json: bool) -> None:
    if as_json:
        print_json({"error": err.to_dict()})
    else:
        print(f"heron: {err.message} [{err.code}]", file=sys.stderr)
        if err.hint:
            print(f"  → {err.hint}", file=sys.stderr)


def progress_bar(label: str, stream=None):
    """A callback(done, total) drawing a one-line bar on a terminal (stderr)."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return None
    state = {"last": -1}

    def update(done: int, total: int) -> None:
        pct = int(100 * done / total) if total else 100
        if pct == state["last"]:
            return
        state["last"] = pct
        filled = pct * 30 // 100
        stream.write(f"\r{label:<28} [{'#' * filled}{'.' * (30 - filled)}] {pct:3d}%")
        if pct >= 100:
            stream.write("\n")
        stream.flush()

    return update
