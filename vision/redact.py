"""Mask secrets in recognised text (passwords, API keys and tokens, payment cards with
their security code and expiry, IBANs; e-mail addresses and phone numbers when asked)
before it reaches an LLM, a log, a notification or the phone. Pure: text in, text out."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from vision.redact_card import mask_below_labels, mask_near_cards
from vision.types import OcrLine, OcrResult


class SecretKind(StrEnum):
    """What a mask hides (also the names `[vision] redact_kinds` takes)."""

    PASSWORD = "password"
    API_KEY = "api_key"  # also a long high-entropy run: an unknown key
    TOKEN = "token"
    CARD = "card"  # a payment card number
    CVC = "cvc"  # a card's security code, by a card number or a CVC label
    CARD_EXPIRY = "card_expiry"  # MM/YY by a card number
    IBAN = "iban"  # a bank account number that passes the IBAN mod-97 check
    PRIVATE_KEY = "private_key"
    EMAIL = "email"  # off by default
    PHONE = "phone"  # off by default


# E-mail addresses and phone numbers are often what the user asks about ("what is the
# support address?"): masked only when [vision] redact_kinds lists them.
OPTIONAL_KINDS = frozenset({SecretKind.EMAIL, SecretKind.PHONE})
DEFAULT_KINDS = frozenset(SecretKind) - OPTIONAL_KINDS


@dataclass(frozen=True)
class RedactOptions:
    """On by default. `kinds`: which to mask. `generic_min_length`: a run of
    hex/base64 characters this long with high entropy is masked as an unknown key
    (shorter runs are kept: they are mostly ids and short hashes a user wants to read)."""

    enabled: bool = True
    kinds: frozenset[SecretKind] = DEFAULT_KINDS
    generic_min_length: int = 32


@dataclass(frozen=True)
class Redaction:
    """The text with secrets masked, and how many of each kind (never the secrets)."""

    text: str
    counts: tuple[tuple[SecretKind, int], ...] = ()

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)

    def count(self, kind: SecretKind) -> int:
        return dict(self.counts).get(kind, 0)

    def to_dict(self) -> dict:
        return {"text": self.text, "masked": dict(self.counts)}


# Every mask we write starts with "[" and names what it hides; a value that is already
# one of them is never masked again, so redacting twice changes nothing.
_MASK_WORDS = ("password", "secret", "token", "jwt", "private key", "card", "aws key",
               "github token", "slack token", "openai key", "google key", "stripe key",
               "cvc", "expiry", "iban", "email", "phone")
_ALREADY = r"(?!\[(?:" + "|".join(re.escape(w) for w in _MASK_WORDS) + r")[\] ])"

_PASSWORD_LABEL = (r"(?:password|passwd|passphrase|passcode|pass\s?code|pwd|pin|passwort|"
                   r"kennwort|mot\s+de\s+passe|contrase[ñn]a|senha|wachtwoord)")
_SECRET_LABEL = (r"(?:api[_ -]?key|apikey|secret(?:[_ -]?key)?|client[_ -]?secret|"
                 r"access[_ -]?token|auth[_ -]?token|refresh[_ -]?token|access[_ -]?key|"
                 r"aws_secret_access_key|private[_ -]?token|x-api-key)")


@dataclass(frozen=True)
class _Rule:
    kind: SecretKind
    pattern: re.Pattern[str]
    replace: Callable[[re.Match[str]], str | None]  # None: not a secret after all, keep


def _fixed(mask: str) -> Callable[[re.Match[str]], str]:
    return lambda m: mask


def _keep_label(mask: str) -> Callable[[re.Match[str]], str]:
    # group 1 is the label ("password: ", "Bearer "), which stays readable
    return lambda m: m.group(1) + mask


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(m: re.Match[str]) -> str | None:
    # A card followed by more digits ("4111 1111 1111 1111 08/27"): the longest run that
    # ends at a group boundary and is a card is the card; the rest stays.
    run = m.group(0)
    ends = [len(run)] + [i for i in range(len(run) - 1, 0, -1) if run[i] in " -"]
    for end in ends:
        digits = re.sub(r"\D", "", run[:end])
        # Issuer ranges start with 2-6 (Mastercard 2/5, Amex 3, Visa 4, Discover/UnionPay
        # 6); with Luhn that keeps order numbers, timestamps and phone numbers readable.
        if 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_ok(digits):
            return f"[card ••••{digits[-4:]}]" + run[end:]
    return None


def iban_ok(text: str) -> bool:
    """The ISO 13616 check: the country and check digits moved to the end, letters as
    numbers (A=10 … Z=35), the whole number mod 97 is 1."""
    code = re.sub(r"\s", "", text).upper()
    if not 15 <= len(code) <= 34 or not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", code):
        return False
    moved = code[4:] + code[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _iban(m: re.Match[str]) -> str | None:
    # The pattern may run on into a following word ("... 00 EUR"): the longest prefix
    # that passes the check is the IBAN; the rest stays.
    run = m.group(0)
    for end in range(len(run), 14, -1):
        if run[end - 1] != " " and iban_ok(run[:end]):
            code = re.sub(r"\s", "", run[:end])
            return f"[iban ••••{code[-4:]}]" + run[end:]
    return None


_PHONE_LABEL = re.compile(r"(?:tel|phone|mobile|cell|fax|call|whatsapp|telefon|handy)"
                          r"\w*\.?\s*[:#]?\s*$", re.IGNORECASE)
_DATE_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")


def _phone(m: re.Match[str]) -> str | None:
    run = m.group(0)
    digits = re.sub(r"\D", "", run)
    if not 7 <= len(digits) <= 15 or _DATE_LIKE.fullmatch(run.strip()):
        return None
    before = m.string[max(0, m.start() - 24):m.start()]
    shaped = run.startswith(("+", "(")) or re.fullmatch(r"\d{3}[-.]\d{3}[-.]\d{4}", run)
    return "[phone]" if shaped or _PHONE_LABEL.search(before) else None


def shannon_bits(text: str) -> float:
    """Entropy per character of `text`, in bits."""
    if not text:
        return 0.0
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def _generic_hex(m: re.Match[str]) -> str | None:
    run = m.group(0)
    has_both = any(c.isdigit() for c in run) and any(c.isalpha() for c in run)
    return "[secret]" if has_both and shannon_bits(run) >= 3.0 else None


def _wordiness(run: str) -> float:
    """Share of characters in lowercase runs of 3 or more: high for paths and
    identifiers ("site-packages/AbstractFactory": 0.7-0.9), under 0.53 for 99.9 % of
    random 40-character keys."""
    return sum(len(w) for w in re.findall(r"[a-z]{3,}", run)) / max(1, len(run))


def _generic_b64(m: re.Match[str]) -> str | None:
    run = m.group(0)
    # An absolute path is a run of these characters too, but it starts with "/";
    # relative paths and CamelCase names are made of words.
    if run.startswith("/") or _wordiness(run) >= 0.6 or not (any(c.islower() for c in run)
                                   and any(c.isupper() for c in run)
                                   and any(c.isdigit() for c in run)):
        return None
    return "[secret]" if shannon_bits(run) >= 4.0 else None


def _rules(min_len: int) -> tuple[_Rule, ...]:
    i = re.IGNORECASE
    n = max(8, min_len)
    return (
        _Rule(SecretKind.PRIVATE_KEY, re.compile(
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
            re.DOTALL), _fixed("[private key]")),
        _Rule(SecretKind.API_KEY, re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
              _fixed("[aws key]")),
        _Rule(SecretKind.API_KEY, re.compile(
            r"\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
            _fixed("[github token]")),
        _Rule(SecretKind.API_KEY, re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{10,}"),
              _fixed("[slack token]")),
        _Rule(SecretKind.API_KEY, re.compile(r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{10,}\b"),
              _fixed("[stripe key]")),
        _Rule(SecretKind.API_KEY, re.compile(r"(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,}"),
              _fixed("[openai key]")),
        _Rule(SecretKind.API_KEY, re.compile(r"\bAIza[0-9A-Za-z_-]{35}"), _fixed("[google key]")),
        _Rule(SecretKind.TOKEN, re.compile(
            r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"), _fixed("[jwt]")),
        _Rule(SecretKind.TOKEN, re.compile(r"(\b(?:Bearer|Basic|Token)\s+)" + _ALREADY
                                           + r"([A-Za-z0-9._~+/=-]{12,})", i),
              _keep_label("[token]")),
        _Rule(SecretKind.PASSWORD, re.compile(r"(\b" + _PASSWORD_LABEL + r"\s*[:=]\s*)"
                                              + _ALREADY + r"[\"']?([^\s\"']+)[\"']?", i),
              _keep_label("[password]")),
        # "Password:" alone at the end of a line: its field's value is on the next line.
        _Rule(SecretKind.PASSWORD, re.compile(r"(\b" + _PASSWORD_LABEL
                                              + r"\s*:[ \t]*\n[ \t]*)" + _ALREADY + r"(\S+)", i),
              _keep_label("[password]")),
        # A password field as the screen shows it: a run of dots. Already hidden, but its
        # length is a hint about the password; one mask for any length.
        _Rule(SecretKind.PASSWORD, re.compile(r"(?<!\[card )[•●∙·⋅◦*]{4,}"),
              _fixed("[password]")),
        _Rule(SecretKind.API_KEY, re.compile(r"(\b" + _SECRET_LABEL + r"[\"']?\s*[:=]\s*[\"']?)"
                                             + _ALREADY
                                             + r"([A-Za-z0-9_\-+/=.~]*\d[A-Za-z0-9_\-+/=.~]*)", i),
              lambda m: m.group(1) + "[secret]" if len(m.group(2)) >= 8 else None),
        _Rule(SecretKind.IBAN, re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}"
                                          r"(?![A-Za-z0-9])"), _iban),
        _Rule(SecretKind.CARD, re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w])"), _card),
        _Rule(SecretKind.EMAIL, re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+"
                                           r"(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"),
              _fixed("[email]")),
        _Rule(SecretKind.PHONE, re.compile(r"(?<![\w+/.-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)"
                                           r"[ .-]?)?\d{2,8}(?:[ .-]\d{2,8}){0,5}"
                                           r"(?![\w/]|[.,-]\d)"), _phone),
        _Rule(SecretKind.API_KEY, re.compile(r"(?<![A-Za-z0-9])[0-9a-fA-F]{" + str(n)
                                             + r",}(?![A-Za-z0-9])"), _generic_hex),
        _Rule(SecretKind.API_KEY, re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{" + str(n)
                                             + r",}={0,2}(?![A-Za-z0-9+/_=-])"), _generic_b64),
    )


_RULES_CACHE: dict[int, tuple[_Rule, ...]] = {}


def redact(text: str, options: RedactOptions = RedactOptions()) -> Redaction:
    """Mask every secret of the kinds in `options`; rules run from the most specific
    (a GitHub token) to the most generic (any long high-entropy run)."""
    if not options.enabled or not text:
        return Redaction(text)
    rules = _RULES_CACHE.get(options.generic_min_length)
    if rules is None:
        rules = _RULES_CACHE.setdefault(options.generic_min_length,
                                        _rules(options.generic_min_length))
    counts: Counter[SecretKind] = Counter()
    for rule in rules:
        if rule.kind not in options.kinds:
            continue

        def sub(m: re.Match[str], rule: _Rule = rule) -> str:
            mask = rule.replace(m)
            if mask is None:
                return m.group(0)
            counts[rule.kind] += 1
            return mask

        text = rule.pattern.sub(sub, text)
    cvc, expiry = SecretKind.CVC in options.kinds, SecretKind.CARD_EXPIRY in options.kinds
    if cvc or expiry:  # after the card rule: a masked card still says "a card is here"
        text, near = mask_near_cards(text, _card, cvc, expiry)
        counts.update({SecretKind(k): n for k, n in near.items() if n})
    return Redaction(text, tuple(sorted(counts.items())))


def redact_all(texts: list[str], options: RedactOptions = RedactOptions()
               ) -> tuple[list[str], Redaction]:
    """Redact each text (e.g. OCR lines) alone; the summary's text is them joined by
    newlines, and its counts are totals. A label on one line and its value on the next
    are found only in the joined text, so callers that have lines should use `redact`
    on "\\n".join(lines) when the line structure allows it."""
    out: list[str] = []
    counts: Counter[SecretKind] = Counter()
    for t in texts:
        r = redact(t, options)
        out.append(r.text)
        counts.update(dict(r.counts))
    return out, Redaction("\n".join(out), tuple(sorted(counts.items())))


def redact_ocr(result: OcrResult, options: RedactOptions = RedactOptions()
               ) -> tuple[OcrResult, Redaction]:
    """Redact OCR lines (in reading order) with their neighbours as context, so a
    "Password:" label on one line masks the value read on the next. Boxes stay, so a
    masked line can still be pointed at; a joined line's parts are cut from its masked
    text, so no part keeps what the line masked."""
    texts = [line.text for line in result.lines]
    joined = redact("\n".join(texts), options)
    parts = joined.text.split("\n")
    if len(parts) != len(texts):  # a multi-line mask (a private key) merged lines
        parts, joined = redact_all(texts, options)
    if options.enabled and SecretKind.CVC in options.kinds:
        boxes = [(ln.box.x, ln.box.y, ln.box.w, ln.box.h) for ln in result.lines]
        parts, n = mask_below_labels(parts, boxes)
        if n:
            counts = dict(joined.counts)
            counts[SecretKind.CVC] = counts.get(SecretKind.CVC, 0) + n
            joined = Redaction("\n".join(parts), tuple(sorted(counts.items())))
    lines = tuple(line if text == line.text else _masked_line(line, text)
                  for text, line in zip(parts, result.lines, strict=True))
    return OcrResult(lines, result.stats), joined


def _masked_line(line: OcrLine, text: str) -> OcrLine:
    """`line` with its masked `text`; its parts are cut from `text` where the old part
    boundaries map to (a mask across a boundary goes to the part it starts in)."""
    if not line.parts:
        return OcrLine(text, line.box, line.confidence)
    ends, at = [], 0
    for part in line.parts[:-1]:
        at += len(part.text)
        ends.append(at)  # the space after this part
        at += 1
    where = _map_positions(line.text, text, ends)
    cuts = [0, *where, len(text)]
    pieces = [text[a:b].strip() for a, b in zip(cuts, cuts[1:], strict=False)]
    parts = tuple(OcrLine(t, p.box, p.confidence) for t, p in zip(pieces, line.parts,
                                                                    strict=True) if t)
    if " ".join(p.text for p in parts) != text or len(parts) < 2:
        parts = ()  # the line's box alone: never a part that disagrees with the text
    return OcrLine(text, line.box, line.confidence, parts)


def _map_positions(old: str, new: str, positions: list[int]) -> list[int]:
    """Where each position in `old` is in `new` (positions inside a replaced stretch
    go to its end, so a mask stays whole)."""
    import difflib

    blocks = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    out = []
    for pos in positions:
        for tag, i1, i2, j1, j2 in blocks:
            if i1 <= pos < i2 or (pos == i2 and tag != "equal" and i1 < i2):
                out.append(j1 + (pos - i1) if tag == "equal" else j2)
                break
        else:
            out.append(len(new))
    return sorted(out)
