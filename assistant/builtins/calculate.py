"""Built-in tool calculate: spoken arithmetic ("7 times 8", "15 percent of 80",
"square root of 81") read by a small recursive-descent parser. Nothing is ever
evaluated as Python: the parser knows numbers, + - * / ^, mod, percent, square and
cube roots and parentheses, and refuses everything else with a coded error."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.agent.numbers import parse_number
from assistant.tools.manifest import ToolManifest
from assistant.tools.registry import ToolError

if TYPE_CHECKING:
    from assistant.tools.registry import ToolContext

MAX_EXPRESSION_CHARS = 200
MAX_EXPONENT = 1000  # 2 ^ 1000 is fine; 10 ^ 100000 is refused before it is tried
MAX_DEPTH = 40  # nested brackets and prefixes: deeper is refused, never a RecursionError
EXAMPLE = "say, for example: what's 7 times 8"

# Phrases → symbols, longest first (applied to lower-case text with single spaces).
_PHRASES = (
    (r"raised to the power of|to the power of|to the power|raised to|to the", " ^ "),
    (r"multiplied by|times|x|×", " * "),
    (r"divided by|divided into|over|÷", " / "),
    (r"(?:the )?square root of|sqrt", " sqrt "),
    (r"(?:the )?cube root of|cbrt", " cbrt "),
    (r"percent off|per cent off|% off", " % off "),  # "10 % off 50" = 50 - 10 % = 45
    (r"percent of|per cent of|% of", " % of "),
    (r"percent|per cent", " % "),
    (r"squared", " ^ 2 "),
    (r"cubed", " ^ 3 "),
    (r"plus", " + "),
    (r"minus|negative|less", " - "),
    (r"modulo|mod", " mod "),
    (r"\*\*", " ^ "),
)
_FILLER = {"what", "what's", "whats", "is", "are", "the", "calculate", "compute", "how",
           "much", "many", "please", "equals", "equal", "to", "work", "out", "tell", "me",
           "hey", "heron", "can", "you", "solve", "of"}
_TOKEN = re.compile(r"\d+(?:\.\d+)?|\.\d+|[a-z]+(?:'[a-z]+)?|[-+*/^%()]")
_SPOKEN = {"(": "(", ")": ")", "+": "plus", "-": "minus", "*": "times", "/": "divided by",
           "^": "to the power of", "%": "percent", "of": "of", "off": "off", "mod": "mod",
           "sqrt": "the square root of", "cbrt": "the cube root of"}


@dataclass(frozen=True)
class Token:
    kind: str  # "num" | "op"
    value: float | str


@dataclass(frozen=True)
class Value:
    number: float
    percent: bool = False  # "15 %": plus/minus a percentage means of the left side


class CalcError(ToolError):
    """The expression cannot be read or has no value."""


def tokenize(text: str) -> list[Token]:
    """Spoken or typed arithmetic as number and operator tokens."""
    text = text.lower().replace("’", "'").replace("?", " ").replace("=", " ")
    while re.search(r"\d,\d{3}\b", text):  # 1,000,000 (thousands separators)
        text = re.sub(r"(\d),(\d{3})\b", r"\1\2", text)
    text = re.sub(r"\s+", " ", text).strip()
    for pattern, symbol in _PHRASES:  # whole words only: "off" never leaves an "f"
        text = re.sub(rf"(?<![a-z])(?:{pattern})(?![a-z])", symbol, text)
    raw = _TOKEN.findall(text)
    leftover = _TOKEN.sub(" ", text).strip()
    if leftover:
        raise CalcError("calculate.unknown_word",
                        f"I can't read {leftover.split()[0]!r} in a sum; {EXAMPLE}.")
    tokens: list[Token] = []
    i = 0
    while i < len(raw):
        word = raw[i]
        if word in ("^", "+", "-", "*", "/", "%", "(", ")", "mod", "sqrt", "cbrt"):
            tokens.append(Token("op", word))
            i += 1
            continue
        if word in ("of", "off") and tokens and tokens[-1].value == "%":
            tokens.append(Token("op", word))
            i += 1
            continue
        if word.startswith("."):
            tokens.append(Token("num", float(word)))
            i += 1
            continue
        number = parse_number(raw, i) if word not in ("a", "an") else None
        if number is not None:
            tokens.append(Token("num", number[0]))
            i += number[1]
            continue
        if word in _FILLER or word in ("a", "an", "and"):
            i += 1
            continue
        raise CalcError("calculate.unknown_word",
                        f"I can't read {word!r} in a sum; {EXAMPLE}.")
    if not any(t.kind == "num" for t in tokens):
        raise CalcError("calculate.empty", f"I didn't hear a sum to work out; {EXAMPLE}.")
    return tokens


class _Parser:
    """expr := term (('+'|'-') term)*; term := unary (('*'|'/'|'of'|'off'|'mod') unary)*;
    unary := ('-'|'+') unary | power; power := postfix ('^' unary)?;
    postfix := atom '%'*; atom := number | '(' expr ')' | ('sqrt'|'cbrt') unary."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def parse(self) -> float:
        value = self.expr()
        if self.pos < len(self.tokens):
            raise self._unexpected()
        return value.number

    def _peek(self) -> str | None:
        if self.pos < len(self.tokens) and self.tokens[self.pos].kind == "op":
            return str(self.tokens[self.pos].value)
        return None

    def _take(self, *ops: str) -> str | None:
        op = self._peek()
        if op in ops:
            self.pos += 1
            return op
        return None

    def _unexpected(self) -> CalcError:
        if self.pos >= len(self.tokens):
            return CalcError("calculate.incomplete", f"That sum stops too early; {EXAMPLE}.")
        tok = self.tokens[self.pos]
        shown = _SPOKEN.get(str(tok.value), str(tok.value)) if tok.kind == "op" \
            else spoken_number(float(tok.value))
        return CalcError("calculate.syntax", f"I can't follow the sum at {shown!r}; "
                         f"{EXAMPLE}.")

    def _nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise CalcError("calculate.too_deep", "That sum is nested too deeply for me.")

    def expr(self) -> Value:
        left = self.term()
        while (op := self._take("+", "-")) is not None:
            right = self.term()
            if right.percent and not left.percent:  # "80 plus 15 %" = 80 * 1.15
                change = left.number * right.number
            else:
                change = right.number
            left = Value(_check(left.number + change if op == "+" else left.number - change))
        return left

    def term(self) -> Value:
        left = self.unary()
        while (op := self._take("*", "/", "of", "off", "mod")) is not None:
            right = self.unary().number
            if op == "off":  # "10 % off 50": 50 less 10 % of it
                left = Value(_check(right * (1 - left.number)))
                continue
            if op in ("/", "mod") and right == 0:
                raise CalcError("calculate.divide_by_zero",
                                "I can't divide by zero: that has no answer.")
            if op in ("*", "of"):
                left = Value(_check(left.number * right))
            elif op == "/":
                left = Value(_check(left.number / right))
            else:
                left = Value(math.fmod(left.number, right))
        return left

    def unary(self) -> Value:
        self._nested()
        try:
            if (op := self._take("-", "+")) is not None:
                inner = self.unary()
                return Value(-inner.number, inner.percent) if op == "-" else inner
            return self.power()
        finally:
            self.depth -= 1

    def power(self) -> Value:
        base = self.postfix()
        if self._take("^") is None:
            return base
        exponent = self.unary().number
        if abs(exponent) > MAX_EXPONENT:
            raise CalcError("calculate.too_big", f"That power is too big: I work with "
                            f"exponents up to {MAX_EXPONENT}.")
        if base.number == 0 and exponent < 0:
            raise CalcError("calculate.divide_by_zero",
                            "I can't divide by zero: that has no answer.")
        if base.number < 0 and not float(exponent).is_integer():
            raise CalcError("calculate.undefined", "A negative number has no real root "
                            "like that.")
        try:
            return Value(_check(math.pow(base.number, exponent)))
        except OverflowError:
            raise CalcError("calculate.too_big", "The answer is too big for me.") from None

    def postfix(self) -> Value:
        value = self.atom()
        while self._take("%") is not None:
            value = Value(value.number / 100, percent=True)
        return value

    def atom(self) -> Value:
        if self.pos >= len(self.tokens):
            raise self._unexpected()
        tok = self.tokens[self.pos]
        if tok.kind == "num":
            self.pos += 1
            return Value(float(tok.value))
        if self._take("(") is not None:
            self._nested()
            inner = self.expr()
            self.depth -= 1
            if self._take(")") is None:
                raise CalcError("calculate.syntax", "A bracket is not closed; "
                                f"{EXAMPLE}.")
            return Value(inner.number)
        if (fn := self._take("sqrt", "cbrt")) is not None:
            arg = self.unary().number
            if fn == "sqrt":
                if arg < 0:
                    raise CalcError("calculate.undefined",
                                    "A negative number has no real square root.")
                return Value(math.sqrt(arg))
            return Value(math.copysign(abs(arg) ** (1 / 3), arg))
        raise self._unexpected()


def _check(x: float) -> float:
    if not math.isfinite(x):
        raise CalcError("calculate.too_big", "The answer is too big for me.")
    return x


def evaluate(text: str) -> tuple[float, list[Token]]:
    """The value of a spoken or typed sum and its tokens; CalcError when unreadable."""
    tokens = tokenize(text)
    return _Parser(tokens).parse(), tokens


def spoken_number(x: float) -> str:
    """A number as Heron says it: whole numbers plain, others to 10 significant digits."""
    if x == 0:
        return "0"
    if abs(x) >= 1e15 or abs(x) < 1e-6:
        mantissa, exponent = f"{x:.3e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')} times 10 to the power of {int(exponent)}"
    rounded = float(f"{x:.10g}")
    if rounded.is_integer():
        return str(int(rounded))
    return f"{rounded:.10f}".rstrip("0").rstrip(".")


def spoken_sum(tokens: list[Token]) -> str:
    words = [spoken_number(float(t.value)) if t.kind == "num" else _SPOKEN.get(str(t.value), "")
             for t in tokens]
    text = " ".join(w for w in words if w)  # brackets stay, attached to what they enclose
    return text.replace("( ", "(").replace(" )", ")")


class Calculate:
    manifest = ToolManifest(
        name="calculate", title="Calculate", builtin=True, effects="read",
        description="Work out arithmetic said in words or digits: plus, minus, times, "
                    "divided by, powers, square roots and percentages (\"15 percent of "
                    "80\"). Pass the sum as the user said it.",
        input_schema={
            "type": "object", "additionalProperties": False, "required": ["expression"],
            "properties": {"expression": {"type": "string", "minLength": 1,
                                          "maxLength": MAX_EXPRESSION_CHARS,
                                          "x-slot": "expression",
                                          "description": 'e.g. "7 times 8" or "12/4"'}},
        },
        output_schema={"type": "object", "properties": {
            "expression": {"type": "string"}, "value": {"type": "number"}}},
        # {expression} holds a sum only (numbers and an operator), so "what is
        # {expression}" leaves "what is the weather like" alone.
        examples=("calculate {expression}", "how much is {expression}",
                  "how much makes {expression}",
                  "work out {expression}", "compute {expression}",
                  "what is the answer to {expression}", "do the math {expression}",
                  "what is {expression}", "{expression}",
                  "what does {expression} come to", "what does {expression} make",
                  "add up {expression}", "what's {expression}", "sum of {expression}",
                  "total of {expression}", "work out {expression} for me",
                  "figure out {expression}", "can you calculate {expression}",
                  "what do you get for {expression}", "tell me {expression}",
                  "quick maths {expression}"),
    )

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        value, tokens = evaluate(args["expression"])
        said = spoken_sum(tokens)
        answer = spoken_number(value) if value >= 0 else f"minus {spoken_number(-value)}"
        plain: float | int = int(value) if float(value).is_integer() and abs(value) < 2**53 \
            else value
        return {"expression": said, "value": plain, "speech": f"{said} is {answer}."}
