"""convert: units as people say them, through pint; offset temperatures done right;
coded errors naming the unknown or mismatched unit; currencies refused, offline."""

import pytest
from builtin_support import ctx_for, run

from assistant.agent.router import Router
from assistant.builtins.calculate import Calculate
from assistant.builtins.convert import Convert, unit_registry
from assistant.tools.registry import ToolError


def convert(value, from_unit, to_unit):
    tool = Convert()
    args = {"value": value, "from_unit": from_unit, "to_unit": to_unit}
    return run(tool.run(args, ctx_for(tool, None)))


@pytest.mark.parametrize(("args", "speech", "value"), [
    ((5, "miles", "kilometers"), "5 miles is 8.047 kilometers.", 8.04672),
    ((100, "fahrenheit", "celsius"), "100 degrees Fahrenheit is 37.78 degrees Celsius.",
     37.7778),
    ((3, "cups", "ml"), "3 cups is 709.8 milliliters.", 709.765),
    ((0, "degrees celsius", "degrees fahrenheit"),
     "0 degrees Celsius is 32 degrees Fahrenheit.", 32),
    ((-40, "°C", "°F"), "-40 degrees Celsius is -40 degrees Fahrenheit.", -40),
    ((300, "kelvin", "c"), "300 kelvin is 26.85 degrees Celsius.", 26.85),
    ((1, "mile", "km"), "1 mile is 1.609 kilometers.", 1.609344),
    ((60, "mph", "kilometers per hour"), "60 miles per hour is 96.56 kilometers per hour.",
     96.5606),
    ((2, "square meters", "square feet"), "2 square meters is 21.53 square feet.", 21.5278),
    ((10, "pounds", "kg"), "10 pounds is 4.536 kilograms.", 4.53592),
    ((5, "feet", "inches"), "5 feet is 60 inches.", 60),
    ((1, "gallon", "litres"), "1 gallon is 3.785 liters.", 3.78541),
    ((2, "hours", "minutes"), "2 hours is 120 minutes.", 120),
    # data sizes as typed: "MB" is a megabyte, never pint's millibarn
    ((1500, "MB", "GB"), "1500 megabytes is 1.5 gigabytes.", 1.5),
    ((2, "GiB", "mib"), "2 gibibytes is 2048 mebibytes.", 2048),
])
def test_units_are_converted_and_said(args, speech, value):
    out = convert(*args)
    assert out["speech"] == speech
    assert out["value"] == pytest.approx(value, rel=1e-4)


def test_one_unit_registry_is_shared():
    assert unit_registry() is unit_registry()


@pytest.mark.parametrize(("args", "code", "words"), [
    ((5, "blorps", "meters"), "convert.unknown_unit", "'blorps'"),
    ((5, "meters", "wibbles"), "convert.unknown_unit", "'wibbles'"),
    ((5, "meter**99999", "mile**99999"), "convert.unknown_unit", "meter**99999"),
    ((1, "(", "meters"), "convert.unknown_unit", "'('"),
    ((5, "miles", "kilograms"), "convert.incompatible", "a length is not a mass"),
    ((3, "cups", "celsius"), "convert.incompatible", "a volume is not a temperature"),
    ((10, "dollars", "euros"), "convert.currency", "I can't convert currencies offline"),
    ((10, "pounds", "usd"), "convert.currency", "I can't convert currencies offline"),
    ((1e308, "km", "mm"), "convert.too_big", "too big"),
])
def test_what_cannot_be_converted_is_a_coded_error_naming_why(args, code, words):
    with pytest.raises(ToolError) as err:
        convert(*args)
    assert err.value.code == code
    assert words in err.value.message


@pytest.mark.parametrize(("said", "args"), [
    ("convert 5 miles to kilometers", (5, "miles", "kilometers")),
    ("how many kilometers is 5 miles", (5, "miles", "kilometers")),
    ("what is 100 fahrenheit in celsius", (100, "fahrenheit", "celsius")),
    ("convert 3 cups to ml", (3, "cups", "ml")),
    ("how many ml are in three cups", (3, "cups", "ml")),
    ("convert 2.5 square meters to square feet", (2.5, "square meters", "square feet")),
    # a length of time is heard as a duration: its number and unit still go apart
    ("convert 2 hours to minutes", (2, "hours", "minutes")),
    ("how many minutes are in 2.5 hours", (2.5, "hours", "minutes")),
])
def test_the_router_fills_value_and_units(said, args):
    match = Router([Convert.manifest, Calculate.manifest]).route(said)
    assert match is not None and match.tool == "convert", said
    assert match.args == dict(zip(("value", "from_unit", "to_unit"), args, strict=True))
    assert convert(**match.args)["value"] > 0
