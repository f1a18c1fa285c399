"""What is secret only next to a payment card (the CVC and the expiry), IBANs, and the
optional e-mail and phone masks: masked where they are secrets, kept elsewhere, and
masked across OCR boxes (a label in one box, the value in the next, or the label on
the line above)."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vision.lines import merge_lines
from vision.redact import (
    DEFAULT_KINDS,
    RedactOptions,
    SecretKind,
    iban_ok,
    redact,
    redact_ocr,
)
from vision.types import Box, OcrLine, OcrResult

ALL = RedactOptions(kinds=frozenset(SecretKind))
IBANS = ("DE89 3704 0044 0532 0130 00", "GB82 WEST 1234 5698 7654 32",
         "FR14 2004 1010 0505 0001 3M02 606", "NL91ABNA0417164300")


@pytest.mark.parametrize(("text", "gone", "kept"), [
    ("Card 4111 1111 1111 1111 exp 12/29 CVC 123", ["12/29", "123"], ["exp", "CVC"]),
    ("Card number\n4111 1111 1111 1111\n12/29  737", ["12/29", "737"], ["Card number"]),
    ("4111 1111 1111 1111 08/2027 4321", ["08/2027", "4321"], []),
    ("CVV\n482", ["482"], ["CVV"]),
    ("Security code: 9921", ["9921"], ["Security code"]),
    ("Expiry / CVC\n08/27 737", ["737"], []),
    ("Card number\n4242 4242 4242 4242\nExpiry\n08/27\nCVC\n737", ["08/27", "737"],
     ["Expiry", "CVC"]),  # a form's rows, each label in its own box
])
def test_cvc_and_expiry_beside_a_card_or_a_cvc_label_are_masked(text, gone, kept):
    result = redact(text)
    for secret in gone:
        assert secret not in result.text, result.text
    for word in kept:
        assert word in result.text
    assert result.total >= len(gone)


@pytest.mark.parametrize("text", [
    "Order 123 shipped in 3 days",
    "Room 404, floor 12/29 of the plan",
    "Total 129.00 EUR for 3 items",
    "Expires 12/29",  # a date with no card near is not a card's expiry
    "Card number\n4111 1111 1111 1111\nName Ana\nOrder 737 on page 12/29",  # 2 lines away
])
def test_bare_numbers_and_dates_away_from_a_card_survive(text):
    masked = redact(text).text
    for token in ("123", "404", "129.00", "737"):
        if token in text:
            assert token in masked, masked
    if "12/29" in text and "Name Ana" not in text:
        assert "12/29" in masked


@pytest.mark.parametrize("iban", IBANS)
def test_ibans_that_pass_mod_97_are_masked_others_kept(iban):
    assert iban_ok(iban)
    result = redact(f"Pay to IBAN {iban} by Friday")
    assert iban.replace(" ", "")[4:12] not in result.text.replace(" ", "")
    assert result.count("iban") == 1 and "by Friday" in result.text
    broken = iban[:-1] + str((int(iban[-1], 36) + 1) % 10)
    assert not iban_ok(broken)
    assert redact(f"ref {broken}", RedactOptions(kinds=frozenset({SecretKind.IBAN}))
                  ).count("iban") == 0


def test_email_and_phone_are_kept_by_default_and_masked_when_asked():
    text = "Write to ana.smith@example.com or call +49 30 1234567 (Invoice 2024-03-15)"
    assert redact(text).text == text
    assert SecretKind.EMAIL not in DEFAULT_KINDS and SecretKind.PHONE not in DEFAULT_KINDS
    masked = redact(text, ALL)
    assert "ana.smith" not in masked.text and "1234567" not in masked.text
    assert masked.count("email") == 1 and masked.count("phone") == 1
    assert "2024-03-15" in masked.text  # a date is not a phone number
    for kept in ("ana@desk:~/projects$ ls", "version 1.2.3 build 20240315",
                 "Total 1234.56"):
        assert redact(kept, ALL).text == kept


def _box(text: str, x: int, y: int) -> OcrLine:
    return OcrLine(text, Box(x, y, 10 * len(text), 20), 0.95)


def test_a_label_in_one_box_and_its_value_in_the_next_are_masked_after_joining():
    raw = [_box("Card number: 4111 1111", 20, 40), _box("1111 1111", 250, 40),
           _box("CVC", 20, 80), _box("737", 62, 80)]
    result, summary = redact_ocr(OcrResult(merge_lines(raw)))
    assert "737" not in result.text and "1111 1111" not in result.text
    for line in result.lines:  # no part of a joined line keeps what the line masked
        for part in line.parts:
            assert "737" not in part.text and "1111 1111" not in part.text
    assert summary.count("cvc") == 1 and summary.count("card") == 1


def test_a_cvc_label_on_the_line_above_masks_the_value_below():
    raw = [_box("CVC", 20, 40), _box("Expiry", 300, 40), _box("737", 20, 80),
           _box("12/29", 300, 80)]
    result, _ = redact_ocr(OcrResult(merge_lines(raw)))
    assert "737" not in result.text


# -- property tests: generated secrets never survive --------------------------------------
def _luhn_digit(body: str) -> str:
    from vision.redact import luhn_ok

    return next(d for d in string.digits if luhn_ok(body + d))


@st.composite
def card_context(draw) -> tuple[str, list[str]]:
    """A card number with its expiry and CVC, laid out as checkout pages do."""
    body = draw(st.sampled_from("2345")) + "".join(
        draw(st.lists(st.sampled_from(string.digits), min_size=14, max_size=14)))
    digits = body + _luhn_digit(body)
    card = " ".join(digits[i:i + 4] for i in range(0, 16, 4))
    month = draw(st.integers(1, 12))
    year = draw(st.sampled_from([f"{draw(st.integers(25, 39))}",
                                 f"20{draw(st.integers(25, 39))}"]))
    expiry = f"{month:02d}/{year}"
    cvc = "".join(draw(st.lists(st.sampled_from(string.digits), min_size=3, max_size=4)))
    layout = draw(st.sampled_from([
        "Card {card} exp {expiry} CVC {cvc}",
        "Card number\n{card}\n{expiry}  {cvc}",
        "{card}\nExpiry {expiry}\nCVV {cvc}",
        "Pay with {card}\nValid thru {expiry} security code {cvc}",
    ]))
    return layout.format(card=card, expiry=expiry, cvc=cvc), [digits, expiry, cvc]


def _gone(secret: str, text: str) -> bool:
    return secret not in text and secret not in text.replace(" ", "")


@settings(max_examples=150)
@given(card_context())
def test_any_card_with_its_expiry_and_cvc_is_masked_whole(case):
    text, (digits, expiry, cvc) = case
    masked = redact(text).text
    assert _gone(digits, masked) and expiry not in masked
    # the CVC never stands alone: only inside the card's last four can its digits show
    assert cvc not in masked.replace(f"••••{digits[-4:]}", ""), masked


@st.composite
def ibans(draw) -> str:
    country = draw(st.sampled_from(["DE", "FR", "GB", "NL", "ES", "IT", "CH"]))
    bban = "".join(draw(st.lists(st.sampled_from(string.digits + string.ascii_uppercase),
                                 min_size=12, max_size=26)))
    rest = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    code = f"{country}{98 - rest % 97:02d}{bban}"
    spaced = draw(st.booleans())
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4)) if spaced else code


@settings(max_examples=150)
@given(ibans(), st.sampled_from(["IBAN: {} ", "Pay to {}.", "{}\nBIC COBADEFFXXX"]))
def test_any_valid_iban_is_masked(iban, layout):
    assert iban_ok(iban)
    masked = redact(layout.format(iban)).text
    assert iban.replace(" ", "")[4:] not in masked.replace(" ", "")


@settings(max_examples=100)
@given(st.from_regex(r"[a-z]{1,8}(\.[a-z]{1,8})?@[a-z]{2,10}\.(com|org|de|co\.uk)",
                     fullmatch=True),
       st.from_regex(r"\+[1-9]\d{1,2} \d{2,4} \d{4,8}", fullmatch=True))
def test_any_email_and_phone_are_masked_when_turned_on(email, phone):
    masked = redact(f"Contact: {email}, phone {phone}", ALL).text
    assert email not in masked and phone not in masked
    assert email in redact(f"Contact: {email}").text  # off by default


def test_config_turns_email_and_phone_on_and_rejects_unknown_kinds():
    from assistant.config import from_dict

    default = from_dict({}).vision.redact_options
    assert default.kinds == DEFAULT_KINDS
    on = from_dict({"vision": {"redact_kinds": [*sorted(DEFAULT_KINDS), "email", "phone"]}})
    assert on.vision.redact_options.kinds == frozenset(SecretKind)
    with pytest.raises(Exception, match="emails"):
        from_dict({"vision": {"redact_kinds": ["emails"]}})
