"""calculate: spoken arithmetic read by our own parser (never eval), the answer said
back with the sum, and coded errors for what has no answer or cannot be read."""

import pytest
from builtin_support import ctx_for, run

from assistant.agent.router import Router
from assistant.builtins.calculate import EXAMPLE, MAX_EXPONENT, Calculate
from assistant.builtins.clock import GetDate, GetTime
from assistant.builtins.convert import Convert
from assistant.builtins.timers import ListTimers
from assistant.builtins.volume import ChangeVolume, SetVolume
from assistant.tools.registry import ToolError


def calculate(expression):
    tool = Calculate()
    return run(tool.run({"expression": expression}, ctx_for(tool, None)))


@pytest.mark.parametrize(("said", "speech", "value"), [
    ("7 times 8", "7 times 8 is 56.", 56),
    ("what's 2 plus 2", "2 plus 2 is 4.", 4),
    ("15 percent of 80", "15 percent of 80 is 12.", 12),
    ("square root of 81", "the square root of 81 is 9.", 9),
    ("10 divided by 4", "10 divided by 4 is 2.5.", 2.5),
    ("2 to the power of 10", "2 to the power of 10 is 1024.", 1024),
    ("seven times eight", "7 times 8 is 56.", 56),
    ("one hundred and five minus twenty", "105 minus 20 is 85.", 85),
    ("What is 3 x 4?", "3 times 4 is 12.", 12),
    ("80 plus 15%", "80 plus 15 percent is 92.", 92),
    ("(2 + 3) * 4", "(2 plus 3) times 4 is 20.", 20),
    ("2 + 3 * 4", "2 plus 3 times 4 is 14.", 14),
    ("-2^2", "minus 2 to the power of 2 is minus 4.", -4),
    ("0.1 + 0.2", "0.1 plus 0.2 is 0.3.", 0.30000000000000004),
    ("1,000,000 divided by 8", "1000000 divided by 8 is 125000.", 125000),
    ("nine squared", "9 to the power of 2 is 81.", 81),
    ("17 mod 5", "17 mod 5 is 2.", 2),
    ("cube root of 27", "the cube root of 27 is 3.", 3),
    ("10 percent off 50", "10 percent off 50 is 45.", 45),
    ("what's 20% off 80", "20 percent off 80 is 64.", 64),
    ("twenty five per cent off two hundred", "25 percent off 200 is 150.", 150),
    ("5x3", "5 times 3 is 15.", 15),
])
def test_spoken_sums_are_worked_out_and_said_back(said, speech, value):
    out = calculate(said)
    assert out["speech"] == speech
    assert out["value"] == pytest.approx(value)


@pytest.mark.parametrize(("said", "code"), [
    ("5 divided by 0", "calculate.divide_by_zero"),
    ("7 mod 0", "calculate.divide_by_zero"),
    (f"2 to the power of {MAX_EXPONENT + 1}", "calculate.too_big"),
    ("10 ^ 400", "calculate.too_big"),  # within the exponent bound, past a float
    ("9 ^ 9 ^ 9", "calculate.too_big"),
    ("square root of minus 4", "calculate.undefined"),
    ("what is the weather", "calculate.unknown_word"),
    ("__import__('os').system('id')", "calculate.unknown_word"),
    ("2 plus", "calculate.incomplete"),
    ("(2 plus 3", "calculate.syntax"),
    ("what is", "calculate.empty"),
    ("(" * 100 + "1" + ")" * 100, "calculate.too_deep"),
    ("- " * 150 + "1", "calculate.too_deep"),
])
def test_what_has_no_answer_is_a_coded_error_a_user_can_act_on(said, code):
    with pytest.raises(ToolError) as err:
        calculate(said)
    assert err.value.code == code
    assert err.value.message and "Traceback" not in err.value.message


@pytest.mark.parametrize(("said", "word"), [
    ("10 percent offset 50", "offset"), ("7 timesheet 8", "timesheet"),
    ("2 overall 3", "overall"), ("what is 5 plus xylophone", "xylophone"),
])
def test_a_word_that_is_not_arithmetic_is_named_whole(said, word):
    with pytest.raises(ToolError) as caught:
        calculate(said)
    assert caught.value.code == "calculate.unknown_word"
    assert caught.value.message == f"I can't read {word!r} in a sum; {EXAMPLE}."


def test_the_router_hands_calculate_the_whole_sum():
    router = Router([Calculate.manifest])
    for said, expression in [("calculate 7 times 8", "7 times 8"),
                             ("how much is 15 percent of 80", "15 percent of 80"),
                             ("work out 2 to the power of 10", "2 to the power of 10")]:
        match = router.route(said)
        assert match is not None and match.tool == "calculate", said
        assert match.args == {"expression": expression}
        assert calculate(match.args["expression"])["speech"].startswith(expression)


@pytest.mark.parametrize(("said", "expression"), [
    ("what is 99 divided by 3", "99 divided by 3"),
    ("what's 7 times 8", "7 times 8"),
    ("15 percent of 80", "15 percent of 80"),
    ("what is (4 + 6) * 3", "(4 + 6) * 3"),
    ("what's 3 squared", "3 squared"),
    ("what does 45 times 3 come to", "45 times 3"),
])
def test_what_is_a_sum_goes_to_calculate(said, expression):
    match = Router([Calculate.manifest, *_OTHERS]).route(said)
    assert match is not None and (match.tool, match.args) == ("calculate",
                                                             {"expression": expression})
    calculate(match.args["expression"])  # a sum calculate can read


@pytest.mark.parametrize(("said", "tool"), [
    ("what's the date tomorrow", "get_date"),
    ("what is the time", "get_time"),
    ("set the volume to 50%", "set_volume"),
    ("turn the volume up by 5 percent", "change_volume"),
    ("how much time is left", "list_timers"),
])
def test_a_question_with_no_sum_is_left_to_its_own_tool(said, tool):
    """{expression} takes numbers and an operator only: "what is" alone is no sum."""
    match = Router([Calculate.manifest, *_OTHERS]).route(said)
    assert match is not None and match.tool == tool, said


_OTHERS = [GetDate.manifest, GetTime.manifest, ListTimers.manifest, SetVolume.manifest,
           ChangeVolume.manifest, Convert.manifest]
