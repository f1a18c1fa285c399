"""The error-screen corpus (issue 18): rows in bench/corpora/error_screens/, the dev /
held-out split, and how an answer is scored. See that folder's README."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpora" / "error_screens"
DEV_SHARE = 0.55
SEED = "18"


@dataclass(frozen=True)
class ErrorScreen:
    """One screen: how it is drawn (`style`, the window `title`, its `lines`, dialog
    `buttons`) and what a right answer says: the `key` name (alternatives split by " | ",
    "" for none) and every entry of `fix` (each with alternatives split by " | ")."""

    id: str
    family: str
    style: str
    title: str
    lines: tuple[str, ...]
    key: str
    fix: tuple[str, ...]
    buttons: tuple[str, ...] = field(default=())

    @classmethod
    def from_dict(cls, row: dict) -> ErrorScreen:
        return cls(row["id"], row["family"], row["style"], row["title"], tuple(row["lines"]),
                   row["key"], tuple(row["fix"]), tuple(row.get("buttons", ())))

    def to_dict(self) -> dict:
        row = {"id": self.id, "family": self.family, "style": self.style,
               "title": self.title, "lines": list(self.lines), "key": self.key,
               "fix": list(self.fix)}
        if self.buttons:
            row["buttons"] = list(self.buttons)
        return row


def _any(alternatives: str, text: str) -> bool:
    return any(alt.strip().casefold() in text.casefold() for alt in alternatives.split(" | "))


def judge(screen: ErrorScreen, answer: str) -> dict:
    """Whether `answer` names the key and gives the right fix (case-insensitive)."""
    key_ok = not screen.key or _any(screen.key, answer)
    fix_ok = all(_any(want, answer) for want in screen.fix)
    return {"key_ok": key_ok, "fix_ok": fix_ok, "right": key_ok and fix_ok}


def split(rows: Iterable[ErrorScreen]) -> tuple[list[ErrorScreen], list[ErrorScreen]]:
    """Dev and held-out: per family, sorted by id, shuffled with Random("18:<family>"),
    the first round(0.55 n) to dev."""
    by_family: dict[str, list[ErrorScreen]] = {}
    for row in rows:
        by_family.setdefault(row.family, []).append(row)
    dev, held = [], []
    for family in sorted(by_family):
        group = sorted(by_family[family], key=lambda r: r.id)
        random.Random(f"{SEED}:{family}").shuffle(group)
        cut = round(DEV_SHARE * len(group))
        dev += group[:cut]
        held += group[cut:]
    return dev, held


def load(name: str) -> list[ErrorScreen]:
    """`dev` or `heldout`."""
    path = CORPUS / f"{name}.jsonl"
    return [ErrorScreen.from_dict(json.loads(line))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write(name: str, rows: Sequence[ErrorScreen]) -> None:
    with (CORPUS / f"{name}.jsonl").open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row.to_dict(), ensure_ascii=False) + "\n")
