"""Built-in tool convert: units as people say them ("5 miles to kilometers", "100
fahrenheit in celsius", "3 cups to ml") through pint, with one UnitRegistry loaded
lazily and shared. Currencies need live rates, so they are refused, offline."""

from __future__ import annotations

import asyncio
import math
import re
import threading
from functools import cache
from typing import TYPE_CHECKING, Any

from assistant.builtins.calculate import spoken_number
from assistant.tools.manifest import ToolManifest
from assistant.tools.registry import ToolError

if TYPE_CHECKING:
    import pint

    from assistant.tools.registry import ToolContext

MAX_UNIT_CHARS = 40
# What a unit may be written with: letters, spaces, "/", "°" and the powers 2 and 3
# ("m^2", "cm**3"); anything else (other numbers, brackets) is refused before pint.
_UNIT_TEXT = re.compile(r"^(?:[^\W\d_]|[ /°.-]|(?:\^|\*\*)?[23](?![\d]))+$")
_LOCK = threading.Lock()
_TEMPERATURES = {"celsius": "degC", "centigrade": "degC", "c": "degC", "°c": "degC",
                 "fahrenheit": "degF", "f": "degF", "°f": "degF", "kelvin": "kelvin",
                 "k": "kelvin"}
_ALIASES = {"kph": "km/h", "kmh": "km/h", "mph": "mile/hour", "cc": "cm**3", "lbs": "lb",
            "mins": "minute", "secs": "second", "hrs": "hour", "ltr": "liter",
            "litre": "liter", "litres": "liter", "metre": "meter", "metres": "meter",
            "kilo": "kilogram", "kilos": "kilogram", "kgs": "kg", "gramme": "gram",
            "grammes": "gram", "tonnes": "tonne",
            # data sizes as people type them (pint reads "mb" as a millibarn)
            "kb": "kilobyte", "mb": "megabyte", "gb": "gigabyte", "tb": "terabyte",
            "pb": "petabyte", "kib": "kibibyte", "mib": "mebibyte", "gib": "gibibyte",
            "tib": "tebibyte", "gigs": "gigabyte", "gig": "gigabyte", "megs": "megabyte"}
_CURRENCIES = frozenset({
    "dollar", "dollars", "usd", "euro", "euros", "eur", "gbp", "sterling", "yen", "jpy",
    "yuan", "renminbi", "cny", "rmb", "rupee", "rupees", "inr", "peso", "pesos", "mxn",
    "franc", "francs", "chf", "bitcoin", "bitcoins", "btc", "ruble", "rubles", "rouble",
    "roubles", "rub", "won", "krw", "krona", "kronor", "krone", "kroner", "sek", "nok",
    "dkk", "lira", "try", "real", "reais", "brl", "dirham", "dirhams", "aed", "riyal",
    "riyals", "sar", "rand", "zar", "zloty", "pln", "cad", "aud", "cent", "cents",
    "bucks", "quid", "pound sterling", "pounds sterling", "british pounds", "dinar",
    "dinars", "shekel", "shekels", "ils", "egp", "hkd", "sgd", "nzd"})
_DIMENSIONS = {"[length]": "a length", "[mass]": "a mass", "[time]": "a time",
               "[temperature]": "a temperature", "[length] ** 2": "an area",
               "[length] ** 3": "a volume", "[length] / [time]": "a speed",
               "[mass] * [length] ** 2 / [time] ** 2": "an energy",
               "[mass] * [length] ** 2 / [time] ** 3": "a power",
               "[mass] / [length] / [time] ** 2": "a pressure",
               "[length] / [time] ** 2": "an acceleration", "[information]": "an amount of data",
               "1 / [time]": "a frequency", "dimensionless": "a plain number"}
# Words that end a unit said in a sentence: "celsius for my recipe", "minutes are in …".
_AFTER_UNIT = ["is", "are", "in", "into", "to", "for", "so", "please", "equals", "make",
               "makes", "then", "and"]
_IRREGULAR = {"foot": "feet", "inch": "inches", "century": "centuries", "hertz": "hertz",
              "kelvin": "kelvin", "siemens": "siemens", "lux": "lux", "stone": "stone"}


@cache
def unit_registry() -> pint.UnitRegistry:
    """The one UnitRegistry (loading it parses pint's definitions: ~0.1-0.3 s)."""
    with _LOCK:
        import pint

        return pint.UnitRegistry(autoconvert_offset_to_baseunit=False)


def unit_expression(name: str) -> str:
    """A unit as said ("degrees fahrenheit", "square meters", "kilometers per hour")
    as a pint unit expression."""
    text = re.sub(r"\s+", " ", name.strip().lower().replace("º", "°"))
    text = re.sub(r"^(?:a|an|the)\s+", "", text)
    text = re.sub(r"^degrees? ", "", text) if re.match(r"^degrees? \S", text) else text
    if text in _TEMPERATURES:
        return _TEMPERATURES[text]
    if " per " in text:
        return "/".join(f"({unit_expression(p)})" for p in text.split(" per "))
    power = re.match(r"^(square|sq|cubic|cu) (.+)$", text)
    if power:
        exponent = 2 if power.group(1) in ("square", "sq") else 3
        return f"({unit_expression(power.group(2))})**{exponent}"
    text = _ALIASES.get(text, text)
    return text.replace(" ", "_")


def is_currency(name: str) -> bool:
    text = re.sub(r"\s+", " ", name.strip().lower())
    return text in _CURRENCIES or any(w in _CURRENCIES - {"try", "real", "won", "rand"}
                                      for w in text.split()) or "$" in text or "€" in text


def parse_unit(name: str) -> pint.Unit:
    """The pint unit for what the user said; ToolError convert.unknown_unit names it."""
    ureg = unit_registry()
    shown = name.strip()
    try:
        if len(shown) > MAX_UNIT_CHARS or not _UNIT_TEXT.match(shown):
            raise ValueError(shown)
        units = ureg.parse_units(unit_expression(shown))
    except Exception:  # noqa: BLE001 - pint's parser raises many kinds; all mean "unknown"
        raise ToolError("convert.unknown_unit", f"I don't know the unit {shown!r}. Try a "
                        "common name such as kilometers, pounds, cups or celsius.") from None
    return units


def spoken_unit(units: pint.Unit, value: float) -> str:
    """"kilometers", "degrees Celsius", "square meters", "miles per hour"."""
    top, bottom = [], []
    for name, power in units._units.items():
        prefix = {2: "square ", 3: "cubic "}.get(abs(int(power)), "")
        (top if power > 0 else bottom).append(prefix + name.replace("_", " "))
    if top and value != 1:
        words = top[0].split(" ")
        # the noun: "degrees Celsius", "miles per hour", "fluid ounces"
        i = 0 if words[0] == "degree" else (words.index("per") - 1 if "per" in words
                                            else len(words) - 1)
        words[i] = _plural(words[i])
        top[0] = " ".join(words)
    return " ".join(top or ["1"]) + "".join(f" per {b}" for b in bottom)


def _plural(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def convert(value: float, from_unit: str, to_unit: str) -> dict[str, Any]:
    """The converted value with its spoken sentence; ToolError with a code otherwise."""
    if is_currency(from_unit) or is_currency(to_unit):
        raise ToolError("convert.currency", "I can't convert currencies offline: exchange "
                        "rates change by the minute.")
    import pint

    source, target = parse_unit(from_unit), parse_unit(to_unit)
    ureg = unit_registry()
    try:
        # Quantity(value, unit), not value * unit: offset units (°F, °C) need it.
        result = ureg.Quantity(value, source).to(target)
    except pint.errors.DimensionalityError:
        raise ToolError("convert.incompatible", f"I can't convert {from_unit.strip()} to "
                        f"{to_unit.strip()}: {_kind(source)} is not {_kind(target)}.") \
            from None
    except pint.errors.OffsetUnitCalculusError:
        raise ToolError("convert.incompatible", f"I can't convert {from_unit.strip()} to "
                        f"{to_unit.strip()} that way.") from None
    except (OverflowError, ZeroDivisionError):
        number = float("inf")
    else:
        number = float(result.magnitude)
    if not math.isfinite(number):
        raise ToolError("convert.too_big", "That number is too big for me to convert.")
    shown = float(f"{number:.4g}") if abs(number) < 1e15 else number
    said = (f"{spoken_number(value)} {spoken_unit(source, value)} is "
            f"{spoken_number(shown)} {spoken_unit(target, shown)}.")
    return {"value": number, "unit": str(target), "from_value": value,
            "from_unit": str(source), "speech": said[0].upper() + said[1:]}


def _kind(units: pint.Unit) -> str:
    dim = str(units.dimensionality)
    return _DIMENSIONS.get(dim, f"a {dim}")


class Convert:
    manifest = ToolManifest(
        name="convert", title="Convert units", builtin=True, effects="read",
        description="Convert a quantity between units of length, weight, volume, "
                    "temperature, speed, area, time, data and more (not currencies).",
        input_schema={
            "type": "object", "additionalProperties": False,
            "required": ["value", "from_unit", "to_unit"],
            "properties": {
                "value": {"type": "number", "x-slot": "number"},
                "from_unit": {"type": "string", "minLength": 1, "maxLength": MAX_UNIT_CHARS,
                              "x-slot": "text", "x-max-words": 4,
                              "x-ends-before": _AFTER_UNIT, "x-any-words": True,
                              "description": 'e.g. "miles"'},
                "to_unit": {"type": "string", "minLength": 1, "maxLength": MAX_UNIT_CHARS,
                            "x-slot": "text", "x-max-words": 4,
                            "x-ends-before": _AFTER_UNIT, "x-any-words": True,
                            "description": 'e.g. "kilometers"'},
            },
        },
        output_schema={"type": "object", "properties": {
            "value": {"type": "number"}, "unit": {"type": "string"}}},
        examples=("convert {value} {from_unit} to {to_unit}",
                  "how many {to_unit} is {value} {from_unit}",
                  "how many {to_unit} are in {value} {from_unit}",
                  "what is {value} {from_unit} in {to_unit}",
                  "change {value} {from_unit} into {to_unit}",
                  "change {value} {from_unit} to {to_unit}",
                  "convert {value} {from_unit} in {to_unit}",
                  "{value} {from_unit} in {to_unit}", "{value} {from_unit} to {to_unit}",
                  "how much is {value} {from_unit} in {to_unit}",
                  "turn {value} {from_unit} into {to_unit}",
                  "{value} {from_unit} is how many {to_unit}",
                  "convert {value} {from_unit} into {to_unit}",
                  "express {value} {from_unit} in {to_unit}",
                  "how many {to_unit} in {value} {from_unit}",
                  "{to_unit} in {value} {from_unit}"),
    )

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        # The first call loads pint's definitions: off the event loop.
        return await asyncio.to_thread(convert, float(args["value"]), args["from_unit"],
                                       args["to_unit"])
