import pytest

from assistant.agent.numbers import find_duration, spoken_duration


@pytest.mark.parametrize("text,seconds", [
    ("two minutes and thirty seconds", 150),
    ("set a timer for 5 minutes", 300),
    ("an hour and a half", 5400),
    ("half an hour", 1800),
    ("a quarter of an hour", 900),
    ("1 hour 20 minutes", 4800),
    ("ninety seconds", 90),
    ("one hundred and twenty seconds", 120),
    ("a minute", 60),
    ("twenty-five minutes", 1500),
    ("2.5 minutes", 150),
    ("two and a half minutes", 150),
    ("set a timer for ten seconds.", 10),
    ("three hours, fifteen minutes and 10 seconds", 11710),
    ("for 90s", 90),
    ("2 minutes in 30 seconds", 150),  # whisper's "and", misheard
    ("5 minutes in the kitchen", 300),
    ("5 minutes in 10 minutes", 300),  # not a join: the unit does not get smaller
    ("a timer 1 hour 15 for the lamb", 4500),  # the smaller unit left unsaid
    ("two hours thirty", 9000),
    ("5 minutes 30", 330),
    ("10 minutes 2 times", 600),  # a count, not seconds
    ("1 hour 15 percent", 3600),
    ("an hour 90", 3600),  # no minute count past 59
    ("one and half hour", 5400),  # "and half" without its article
    ("an hour and half", 5400),
])
def test_durations_in_words_and_digits(text, seconds):
    match = find_duration(text)
    assert match is not None, text
    assert match.seconds == seconds


@pytest.mark.parametrize("text", ["what time is it", "set a timer", "one two three",
                                  "the five of us"])
def test_no_duration(text):
    assert find_duration(text) is None


def test_span_points_at_the_duration_tokens():
    m = find_duration("set a tea timer for three minutes please")
    assert (m.start, m.end) == (5, 7)


@pytest.mark.parametrize("seconds,text", [
    (150, "2 minutes and 30 seconds"), (60, "1 minute"), (3601, "1 hour and 1 second"),
    (3723, "1 hour, 2 minutes and 3 seconds"), (0, "0 seconds"),
])
def test_spoken_duration(seconds, text):
    assert spoken_duration(seconds) == text
