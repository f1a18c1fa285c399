"""The instant router (no LLM): match an utterance to a tool manifest's example
phrases and fill its slots (durations in words or digits, labels)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from assistant.agent.numbers import find_duration, tokenize
from assistant.tools.manifest import ToolManifest

# Said before the command and meaningless to routing.
_LEADING_FILLER = {"hey", "hi", "ok", "okay", "jarvis", "heron", "please", "so", "um", "uh",
                   "can", "could", "would", "will", "you", "tell", "me"}
_LABEL_STOP = {"a", "an", "the", "my", "new", "this", "that", "all", "timer", "timers", "for",
               "set", "start", "cancel", "stop", "delete", "please", "and", "of", "in", "at",
               "to", "on", "up", "is", "it", "one", "another"}
_IS_WORDS = {"what", "it", "that", "there", "how", "who", "where", "when", "here"}
_SLOT = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class RouteMatch:
    tool: str
    args: dict[str, Any]
    score: float
    example: str
    missing: tuple[str, ...] = field(default=())  # required slots not heard


@dataclass(frozen=True)
class _Example:
    tool: ToolManifest
    text: str
    tokens: tuple[str, ...]  # slots as "<duration>" / "<label>"; label removed for fuzzy
    pattern: re.Pattern[str]


class Router:
    def __init__(self, manifests: list[ToolManifest], threshold: float = 0.7) -> None:
        self.threshold = threshold
        self._examples = [self._compile(m, ex) for m in manifests for ex in m.examples]

    @staticmethod
    def _compile(m: ToolManifest, example: str) -> _Example:
        slots = m.slots()
        # Normalise the example exactly like an utterance, slots kept as marker words.
        marked = _SLOT.sub(lambda g: f" zslot{g.group(1)} ", example)
        words, regex = [], []
        for tok in normalize(marked):
            if not tok.startswith("zslot"):
                words.append(tok)
                regex.append(re.escape(tok))
            elif slots.get(tok[5:]) == "duration":
                words.append("<duration>")
                regex.append("<duration>")
            else:
                regex.append(rf"(?P<{tok[5:]}>[a-z0-9']+(?: [a-z0-9']+){{0,2}})")
        return _Example(m, example, tuple(words), re.compile("^" + " ".join(regex) + "$"))

    def route(self, text: str) -> RouteMatch | None:
        tokens = normalize(text)
        duration = find_duration(" ".join(tokens))
        masked = list(tokens)
        if duration:
            masked[duration.start:duration.end] = ["<duration>"]
        masked_text = " ".join(masked)
        best: RouteMatch | None = None
        for ex in self._examples:
            exact = ex.pattern.match(masked_text)
            if exact:
                score = 1.0
                labels = {k: v for k, v in exact.groupdict().items() if v}
            else:
                score = SequenceMatcher(None, masked, ex.tokens, autojunk=False).ratio()
                labels = {}
            if best is not None and score <= best.score:
                continue
            best = self._fill(ex, score, labels, masked, duration.seconds if duration else None)
        if best is None or best.score < self.threshold:
            return None
        return best

    @staticmethod
    def _fill(ex: _Example, score: float, labels: dict[str, str], masked: list[str],
              seconds: int | None) -> RouteMatch:
        args: dict[str, Any] = {}
        missing = []
        required = set(ex.tool.input_schema.get("required", ()))
        for name, kind in ex.tool.slots().items():
            if kind == "duration":
                if seconds is not None:
                    args[name] = seconds
            else:
                value = labels.get(name) or _guess_label(masked)
                if value and value not in _LABEL_STOP:
                    args[name] = value
            if name in required and name not in args:
                missing.append(name)
        return RouteMatch(ex.tool.name, args, score, ex.text, tuple(missing))


def normalize(text: str) -> list[str]:
    """Tokens with contractions expanded ("what's" → "what is") and leading filler
    ("hey jarvis, could you") dropped."""
    out: list[str] = []
    for tok in tokenize(text):
        base, _, tail = tok.partition("'")
        if tail == "s":
            out.extend([base, "is"] if base in _IS_WORDS else [base])
        elif tail == "re":
            out.extend([base, "are"])
        elif tail == "ll":
            out.extend([base, "will"])
        elif tail == "t" and base.endswith("n"):
            out.extend([base[:-1] or base, "not"])
        else:
            out.append(tok)
    return _strip_filler(out)


def _strip_filler(tokens: list[str]) -> list[str]:
    i = 0
    while i < len(tokens) - 1 and tokens[i] in _LEADING_FILLER:
        i += 1
    return tokens[i:]


def _guess_label(masked: list[str]) -> str:
    """'... called pasta' / 'the tea timer' → the label; '' when there is none."""
    for i, tok in enumerate(masked):
        if tok in ("called", "named", "labelled", "labeled") and i + 1 < len(masked):
            return " ".join(masked[i + 1:i + 3])
    for i, tok in enumerate(masked):
        if tok in ("timer", "timers") and i > 0:
            j = i - 1
            words = []
            while j >= 0 and masked[j] not in _LABEL_STOP and masked[j] != "<duration>":
                words.insert(0, masked[j])
                j -= 1
            if words and len(words) <= 2:
                return " ".join(words)
    return ""
