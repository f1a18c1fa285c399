"""Property: a secret shown on the screen never leaves unmasked. Generated secrets of
every kind (card with its expiry and CVC, IBAN, password, API token, and e-mail and
phone with those masks turned on) are drawn into a picture that a real Qt window shows
on a real X server (Xvfb); the real core reads the screen (capture, OCR, registry,
policy, audit) through the router, through `explain_error` with an LLM, and through an
LLM turn that reads the screen and notifies the phone. The secret must not be in:
the log records, any file Heron wrote (the audit log and history in SQLite, with its
WAL), any request body the OpenAI-compatible server received, or what the phone gets
(the companion hub's history and the notification outbox)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import string
import sys
from pathlib import Path

import pytest
from helpers import User
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from llm_peer import ScriptedServer, text_chunks, tool_chunks

from assistant.agent.llm import LlmOptions
from assistant.companion.hub import Hub
from assistant.config import HeronConfig
from assistant.core import build_core
from assistant.paths import HeronPaths
from assistant.permissions.prompters import CallbackPrompter, FanOutPrompter
from vision.image import save_image
from vision.options import VisionOptions
from vision.redact import SecretKind, luhn_ok
from vision.testscreens import MONO, ScreenPainter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fixtures.windows.xdesktop import DesktopError, start_desktop, stop_desktop  # noqa: E402

# Characters OCR does not confuse with one another (no O/0, l/1/I, S/5, B/8, Z/2).
CLEAR = "ACDEFGHJKMNPQRTUVWXYacdefghijkmnpqrtuvwxy34679"


class Records(logging.Handler):
    """Every log record of the test process, formatted (what a log file would hold)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("sinks")
    image = root / "screen.png"
    save_image(image, ScreenPainter((1100, 560), (255, 255, 255)).finish("blank").image)
    try:
        desk = start_desktop()
    except DesktopError as err:  # a failure, not a skip: the machine lacks a test tool
        pytest.fail(str(err), pytrace=False)
    server = ScriptedServer()
    records = Records()
    logging.getLogger().addHandler(records)
    old_level = logging.getLogger().level
    logging.getLogger().setLevel(logging.DEBUG)
    window = core = None
    try:
        window = desk.open("image", "Invoices", 40, 40, 1100, 560,
                           env={"HERON_TEST_IMAGE": str(image)})
        window.lines(timeout_s=2.0)
        config = HeronConfig(
            vision=VisionOptions(display=desk.display,
                                 redact_kinds=tuple(SecretKind)),  # e-mail, phone too
            llm=LlmOptions(mode="openai", base_url=server.url, max_tokens=40,
                           backoff_base_s=0.05, backoff_max_s=0.2))
        core = build_core(HeronPaths(root / "c", root / "d", root / "k"), config,
                          prompter=FanOutPrompter([CallbackPrompter(User())], timeout_s=5))
        hub = Hub(core.bus, core.outbox, ask=lambda text: asyncio.sleep(0, {}))
        hub.attach()
        yield {"root": root, "image": image, "window": window, "core": core,
               "server": server, "records": records, "hub": hub}
        hub.detach()
    finally:
        if core is not None:
            core.close()
        if window is not None:
            desk.close(window)
        stop_desktop(desk)
        server.close()
        logging.getLogger().removeHandler(records)
        logging.getLogger().setLevel(old_level)


def _card(draw) -> str:
    body = draw(st.sampled_from("345")) + "".join(
        draw(st.lists(st.sampled_from("34679"), min_size=14, max_size=14)))
    return body + next(d for d in string.digits if luhn_ok(body + d))


def _iban(draw) -> str:
    bban = "".join(draw(st.lists(st.sampled_from("34679"), min_size=18, max_size=18)))
    rest = int("".join(str(int(c, 36)) for c in bban + "DE00"))
    return f"DE{98 - rest % 97:02d}{bban}"


@st.composite
def screens(draw) -> tuple[list[str], dict[str, str]]:
    """Lines of a screen with secrets in them, and the secrets by kind."""
    card = _card(draw)
    expiry = f"{draw(st.integers(1, 12)):02d}/{draw(st.integers(27, 39))}"
    cvc = "".join(draw(st.lists(st.sampled_from("34679"), min_size=3, max_size=3)))
    iban = _iban(draw)
    password = "".join(draw(st.lists(st.sampled_from(CLEAR), min_size=10, max_size=14)))
    token = "ghp_" + "".join(draw(st.lists(st.sampled_from(CLEAR), min_size=36,
                                           max_size=36)))
    user = "".join(draw(st.lists(st.sampled_from("acdefhkmnprtuvwxy"), min_size=4,
                                 max_size=8)))
    phone = "+49 " + "".join(draw(st.lists(st.sampled_from("34679"), min_size=3,
                                           max_size=3))) + " " + "".join(
        draw(st.lists(st.sampled_from("34679"), min_size=7, max_size=7)))
    grouped = " ".join(card[i:i + 4] for i in range(0, 16, 4))
    spaced_iban = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    lines = [
        "Error: payment failed for card " + grouped,
        f"Expires {expiry}   CVC {cvc}",
        f"error: transfer to IBAN {spaced_iban} was refused",
        f"Password: {password}",
        f"GITHUB_TOKEN={token}",
        f"Contact {user}@example.com or call {phone}",
    ]
    # A 3-digit code or a date is found by chance in any database page or log time
    # stamp: those are looked for with the label the screen shows beside them (kept
    # readable by the masks), "CVC 737", not alone.
    return lines, {"card": card, "expiry": f"Expires {expiry}", "cvc": f"CVC {cvc}",
                   "iban": iban,
                   "password": password, "token": token, "email": f"{user}@example.com",
                   "phone": phone}


def _show(world, lines: list[str]) -> None:
    p = ScreenPainter((1100, 560), (255, 255, 255))
    font = p.font(MONO, 22)
    for i, line in enumerate(lines):
        p.text(30, 30 + 44 * i, line, font, (0, 0, 0))
    save_image(world["image"], p.finish("secrets").image)
    assert "shown" in world["window"].lines(timeout_s=5.0)


def _leaks(secret: str, haystack: str) -> bool:
    # A card's or an IBAN's mask shows its last four digits by design ("[card ••••3331]");
    # a short secret (a CVC "333") inside them is not a leak.
    haystack = re.sub(r"\[(?:card|iban) ••••\d{4}\]", "[masked]", haystack)
    squashed = "".join(haystack.split())
    return secret in haystack or "".join(secret.split()) in squashed


def _files_text(root: Path) -> str:
    """Every file Heron wrote (SQLite databases and their WAL included), as text."""
    return "\n".join(p.read_bytes().decode("utf-8", "replace")
                     for p in sorted(root.rglob("*")) if p.is_file() and p.suffix != ".png")


@pytest.mark.gui
@pytest.mark.slow
@settings(max_examples=4, deadline=None, derandomize=True, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(case=screens())
def test_no_secret_on_the_screen_reaches_a_log_a_file_the_llm_or_the_phone(world, case):
    lines, secrets_ = case
    core, server, hub = world["core"], world["server"], world["hub"]
    _show(world, lines)
    # What the screen really says, read without masks: the secrets are on it, readable.
    raw = core.ocr.reader().read(core.registry.backends.screen.grab("all")).text
    for kind, secret in secrets_.items():
        assert _leaks(secret, raw), (kind, secret, raw)
    n_requests = len(server.requests)
    server.script = [
        (200, {}, text_chunks("Check the card details and try again.")),  # explain_error
        (200, {}, tool_chunks((0, "c1", "read_screen", ["{}"]))),  # an LLM turn
        (200, {}, tool_chunks((0, "c2", "notify_phone",
                               [json.dumps({"text": "Your screen shows a payment error."})]))),
        (200, {}, text_chunks("I sent a summary to your phone.")),
    ]

    async def turns():
        read = await core.agent.handle("read the screen")
        explained = await core.agent.handle("what does this error say")
        forwarded = await core.agent.handle(
            "go over all of that and forward a short summary to my mobile")
        return read, explained, forwarded

    read, explained, forwarded = asyncio.run(turns())
    assert read.tool_calls[0].tool == "read_screen" and read.tool_calls[0].status == "ok"
    assert explained.tool_calls[0].tool == "explain_error"
    assert explained.tool_calls[0].result["explained_by"] == "llm"
    assert [(o.tool, o.status) for o in forwarded.tool_calls] == [
        ("read_screen", "ok"), ("notify_phone", "ok")]
    bodies = json.dumps(server.requests[n_requests:], ensure_ascii=False)
    assert len(server.requests) - n_requests == 4
    assert "<screen>" in bodies and "payment failed" in bodies  # the model saw the screen
    phone = json.dumps({"history": list(hub.history),
                        "outbox": [dict(r) for r in core.storage.query(
                            "SELECT * FROM outbox")]}, ensure_ascii=False)
    logs = "\n".join(world["records"].lines)
    files = _files_text(world["root"])
    replies = " ".join(r.text for r in (read, explained, forwarded))
    for kind, secret in secrets_.items():
        for sink, text in (("reply", replies), ("log", logs), ("files", files),
                           ("llm request", bodies), ("phone", phone)):
            assert not _leaks(secret, text), (kind, secret, sink)
    assert "••••" + secrets_["card"][-4:] in replies  # masked, and still recognisable
