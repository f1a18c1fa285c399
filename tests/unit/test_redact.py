"""Secrets in recognised text are masked before the text goes anywhere; ordinary text
(tracebacks, order numbers, paths) stays readable."""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vision.redact import RedactOptions, SecretKind, luhn_ok, redact, redact_all

GITHUB = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
AWS = "AKIAIOSFODNN7EXAMPLE"
SLACK = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
OPENAI = "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
       "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U")


@pytest.mark.parametrize(("text", "secret", "kind", "mask"), [
    (f"export GITHUB_TOKEN={GITHUB}", GITHUB, "api_key", "[github token]"),
    (f"key id {AWS} in us-east-1", AWS, "api_key", "[aws key]"),
    (f"SLACK_BOT={SLACK}", SLACK, "api_key", "[slack token]"),
    (f"OPENAI_API_KEY={OPENAI}", OPENAI, "api_key", "[openai key]"),
    (f"cookie session={JWT}; path=/", JWT, "token", "[jwt]"),
    ("Authorization: Bearer 9f8e7d6c5b4a39281706abcdef", "9f8e7d6c5b4a39281706abcdef", "token",
     "Bearer [token]"),
    ("Password: hunter2", "hunter2", "password", "Password: [password]"),
    ("db password = 'S3cr3t!x'", "S3cr3t!x", "password", "password = [password]"),
    ("Passwort: geheim123", "geheim123", "password", "[password]"),
    ("client_secret: 8d7f6e5d4c3b2a1908f7e6d5", "8d7f6e5d4c3b2a1908f7e6d5", "api_key", "[secret]"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "api_key", "[secret]"),
])
def test_each_kind_of_secret_is_masked_and_counted(text, secret, kind, mask):
    result = redact(text)
    assert secret not in result.text
    assert mask in result.text
    assert result.count(kind) == 1 and result.total == 1
    assert secret not in repr(result.counts)


def test_a_password_on_the_line_after_its_label_is_masked():
    result = redact("Username: ana\nPassword:\n  correct-horse\nRemember me")
    assert "correct-horse" not in result.text
    assert result.text.splitlines()[0] == "Username: ana"
    assert result.text.splitlines()[-1] == "Remember me"


def test_a_password_field_shown_as_dots_is_one_mask_whatever_its_length():
    assert redact("Password ••••••••••••").text == "Password [password]"
    assert redact("PIN ●●●●").text == "PIN [password]"
    assert redact("Bullet list • one").text == "Bullet list • one"  # one dot is punctuation


def test_card_numbers_are_masked_to_their_last_four_digits():
    for text in ("Card: 4111 1111 1111 1111", "card 4111-1111-1111-1111", "4111111111111111"):
        result = redact(text)
        assert "[card ••••1111]" in result.text
        assert result.count("card") == 1
    assert redact("Amex 3782 822463 10005 exp 04/27").text == "Amex [card ••••0005] exp [expiry]"


def test_long_numbers_that_are_not_cards_stay():
    for text in ("Order 1234567890123456 shipped",  # starts with 1: no card issuer
                 "4111 1111 1111 1112",  # fails the Luhn check
                 "Invoice 2024-03-15 total 1234.56",
                 "+49 30 1234567",
                 "id 41111111111111111111111"):  # 23 digits: longer than any card
        assert redact(text).text == text, text


@pytest.mark.parametrize("text", [
    'Traceback (most recent call last):\n  File "/home/ana/app.py", line 42, in <module>',
    "TypeError: unsupported operand type(s) for +: 'int' and 'str'",
    "/usr/lib/python3.11/site-packages/AbstractFactory2/x.py",
    "def test_incremental_ocr_rereads_only_changed_tiles():",
    "Error: password must be at least 8 characters",
    "550e8400-e29b-41d4-a716-446655440000",  # a UUID is an id, not a key
    "Press Ctrl+Shift+P to open the command palette",
])
def test_ordinary_screen_text_is_untouched(text):
    result = redact(text)
    assert result.text == text and result.total == 0


def test_high_entropy_runs_are_masked_but_short_ids_are_not():
    hexkey = "9a3f1c7e5b2d8f4a6c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a"
    assert redact(f"key {hexkey}").text == "key [secret]"
    b64 = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1u"
    assert redact(f"blob {b64} end").text == "blob [secret] end"
    assert redact("short 3f786850e387").total == 0
    assert redact("not random " + "ab12" * 10).total == 0  # repeated: low entropy


def test_options_turn_kinds_off_or_everything_off():
    text = f"Password: hunter2 card 4111 1111 1111 1111 token {GITHUB}"
    only_cards = redact(text, RedactOptions(kinds=frozenset({SecretKind.CARD})))
    assert "hunter2" in only_cards.text and GITHUB in only_cards.text
    assert "[card ••••1111]" in only_cards.text
    off = redact(text, RedactOptions(enabled=False))
    assert off.text == text and off.total == 0
    # everything but e-mail addresses and phone numbers is masked unless turned off
    assert set(SecretKind) - set(RedactOptions().kinds) == {"email", "phone"}


def test_redact_all_masks_each_line_and_sums_the_counts():
    lines, summary = redact_all(["Password: a1b2c3d4", "ok", f"t {GITHUB}", "Password: x"])
    assert lines[1] == "ok" and "[github token]" in lines[2]
    assert summary.count("password") == 2 and summary.count("api_key") == 1
    assert summary.to_dict()["masked"] == {"api_key": 1, "password": 2}


def _luhn_complete(body: str) -> str:
    for d in "0123456789":
        if luhn_ok(body + d):
            return body + d
    raise AssertionError("unreachable")


@st.composite
def card_numbers(draw) -> str:
    length = draw(st.integers(13, 19))
    first = draw(st.sampled_from("3456"))
    body = first + "".join(draw(st.lists(st.sampled_from(string.digits),
                                         min_size=length - 2, max_size=length - 2)))
    digits = _luhn_complete(body)
    sep = draw(st.sampled_from(["", " ", "-"]))
    group = draw(st.sampled_from([4, 5]))
    return sep.join(digits[i:i + group] for i in range(0, len(digits), group))


@given(card_numbers(), st.sampled_from(["Card ", "pay with ", ""]),
       st.sampled_from([" now", ".", ""]))
def test_any_valid_card_number_is_masked(number, before, after):
    result = redact(before + number + after)
    digits = number.replace(" ", "").replace("-", "")
    assert digits not in result.text.replace(" ", "").replace("-", "")
    assert f"••••{digits[-4:]}]" in result.text
    assert result.count("card") == 1


@given(st.text(alphabet=string.ascii_letters + string.digits, min_size=36, max_size=60))
def test_any_github_token_is_masked(tail):
    token = "ghp_" + tail
    result = redact(f"token: {token} ok")
    assert token not in result.text and result.total >= 1


@settings(max_examples=200)
@given(st.text(alphabet=string.printable + "•●", max_size=120))
def test_redacting_twice_changes_nothing_more(text):
    once = redact(text)
    twice = redact(once.text)
    assert twice.text == once.text
    assert twice.total == 0


@given(st.text(alphabet=string.ascii_lowercase + " ,.!?'\n", max_size=200))
def test_plain_prose_without_digits_is_never_changed(text):
    assert redact(text).text == text or "password" in text or "pin" in text


def test_random_api_keys_of_many_shapes_never_survive():
    rng = random.Random(5)
    alphabet = string.ascii_letters + string.digits
    for _ in range(200):
        key = "".join(rng.choice(alphabet) for _ in range(40))
        if not (any(c.isdigit() for c in key) and any(c.isupper() for c in key)
                and any(c.islower() for c in key)):
            continue
        assert key not in redact(f"API_KEY={key}").text
        assert key not in redact(f"here is {key} for you").text
