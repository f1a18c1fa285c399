"""What is secret only next to a payment card: the security code (CVC/CVV/CSC) and the
expiry date. A bare 3-digit number or a "12/29" elsewhere on the screen is kept; on the
line of a card number, or on the line before or after it, or after a CVC (expiry) label
on its line or the next, in a card form, it is masked. Lines are OCR lines joined by
newlines (vision/redact.py runs this after the card numbers are masked). Pure."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

CVC_MASK = "[cvc]"
EXPIRY_MASK = "[expiry]"

# A card as the card rule leaves it, or one it was told not to mask.
_CARD_MASKED = re.compile(r"\[card ••••\d{4}\]")
_CARD_DIGITS = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w])")
_CVC_LABEL = re.compile(r"\b(?:cvc2?|cvv2?|csc|cvn|cid|cav2|security\s*code|"
                        r"card\s*(?:verification|security)(?:\s*(?:code|value|number))?|"
                        r"card\s*code|pr[üu]fnummer|cryptogramme)\b", re.IGNORECASE)
# A code standing alone: not part of a longer number, a decimal, a date, an amount, a
# masked card's last four ("••••1111") or a word.
_BARE_CODE = re.compile(r"(?<![\w•.,/:$€£+#-])\d{3,4}(?![\w.,/:%€$-]|,\d)")
_EXPIRY_LABEL = re.compile(r"\b(?:exp(?:iry|ires|iration)?|valid\s*(?:thru|through|until|to)|"
                           r"good\s*thru|mm\s*/\s*yy(?:yy)?|g[üu]ltig\s*bis|ablaufdatum)\b",
                           re.IGNORECASE)
_EXPIRY = re.compile(r"(?<![\w/.:-])(?:0[1-9]|1[0-2])\s?/\s?(?:\d{2}|20\d{2})(?![\w/.:-])")


def mask_near_cards(text: str, card_ok: Callable[[re.Match[str]], str | None],
                    cvc: bool, expiry: bool) -> tuple[str, Counter[str]]:
    """`text` with the CVCs and expiry dates that sit by a card masked (`cvc`, `expiry`
    say which), and how many of each. `card_ok(match)` tells a real card number from a
    long number (the card rule's own check)."""
    counts: Counter[str] = Counter()
    if not (cvc or expiry):
        return text, counts
    lines = text.split("\n")
    card_lines = {i for i, line in enumerate(lines)
                  if _CARD_MASKED.search(line)
                  or any(card_ok(m) is not None for m in _CARD_DIGITS.finditer(line))}
    label_lines = {i for i, line in enumerate(lines) if _CVC_LABEL.search(line)}
    if not card_lines and not label_lines:
        return text, counts
    # A form's rows: "Expiry" and its value may be a few lines from the card number in
    # reading order; by a card or a CVC field, a date after an expiry label is masked.
    payment = card_lines | label_lines
    in_form = {i for i in range(len(lines)) if any(abs(i - j) <= 4 for j in payment)}

    def sub(pattern: re.Pattern[str], mask: str, kind: str, line: str, start: int = 0,
            limit: int = 0) -> tuple[str, int]:
        head, tail, n = line[:start], line[start:], 0

        def one(m: re.Match[str]) -> str:
            nonlocal n
            if _in_mask(tail, m.start()) or (limit and n >= limit):
                return m[0]
            n += 1
            return mask

        tail = pattern.sub(one, tail)
        counts[kind] += n
        return head + tail, n

    for i in range(len(lines)):
        near = bool({i - 1, i, i + 1} & card_lines)
        n = 0
        if expiry and near:
            lines[i], n = sub(_EXPIRY, EXPIRY_MASK, "card_expiry", lines[i])
        label = _EXPIRY_LABEL.search(lines[i]) if expiry and i in in_form else None
        if not n and label is not None:
            lines[i], n = sub(_EXPIRY, EXPIRY_MASK, "card_expiry", lines[i], label.end(), 1)
            if not n and i + 1 < len(lines):  # "Expiry" above or beside its field
                lines[i + 1], _ = sub(_EXPIRY, EXPIRY_MASK, "card_expiry", lines[i + 1], 0, 1)
        if not cvc:
            continue
        if near:
            lines[i], _ = sub(_BARE_CODE, CVC_MASK, "cvc", lines[i])
        elif i in label_lines:
            label = _CVC_LABEL.search(lines[i])
            assert label is not None
            lines[i], n = sub(_BARE_CODE, CVC_MASK, "cvc", lines[i], label.end(), 1)
            if not n and i + 1 < len(lines):  # "CVC" above its field
                lines[i + 1], _ = sub(_BARE_CODE, CVC_MASK, "cvc", lines[i + 1], 0, 1)
    return "\n".join(lines), counts


def _in_mask(text: str, at: int) -> bool:
    """Whether position `at` is inside a mask already written ("[card ••••1111]")."""
    opened, closed = text.rfind("[", 0, at), text.rfind("]", 0, at)
    return opened > closed and "]" in text[at:]


def mask_below_labels(texts: list[str], boxes: list[tuple[int, int, int, int]]
                      ) -> tuple[list[str], int]:
    """Forms put "CVC" above its field, and reading order may put other labels between
    them ("CVC  Expiry" / "737  12/29"): the first code in the line straight below a
    CVC label that has no code after it is masked. `boxes`: (x, y, w, h) per text."""
    out, n = list(texts), 0
    for i, text in enumerate(texts):
        label = _CVC_LABEL.search(text)
        if label is None or _BARE_CODE.search(text, label.end()):
            continue
        x, y, w, h = boxes[i]
        lx0 = x + round(w * label.start() / max(1, len(text)))
        lx1 = x + round(w * label.end() / max(1, len(text)))
        below = [j for j, (bx, by, bw, bh) in enumerate(boxes)
                 if y + h / 2 < by <= y + 3.5 * h and bx < lx1 + 2 * h and lx0 - 2 * h < bx + bw]
        if not below:
            continue
        j = min(below, key=lambda k: (boxes[k][1], abs(boxes[k][0] - lx0)))
        if _BARE_CODE.search(out[j]) and not _in_mask(out[j], _BARE_CODE.search(out[j]).start()):
            out[j] = _BARE_CODE.sub(CVC_MASK, out[j], count=1)
            n += 1
    return out, n
