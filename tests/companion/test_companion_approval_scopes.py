"""Issue 13, item 3, on the phone: an approval question lists what an allow grants,
in plain words, in what the hub sends and in the web app as a real browser shows it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from playwright.sync_api import expect

from assistant.bus import EventBus
from assistant.companion.hub import Hub, PhonePrompter, Session
from assistant.companion.outbox import Outbox
from assistant.permissions.policy import Answer, PermissionRequest
from assistant.storage import Storage


def test_the_prompt_sent_to_the_phone_carries_the_scopes_in_words(tmp_path: Path) -> None:
    storage = Storage(tmp_path / "heron.db")

    async def ask(text: str) -> dict:
        return {}

    async def scenario() -> dict:
        hub = Hub(EventBus(), Outbox(storage), ask)
        phone = Session(device_id=1)
        hub.sessions.add(phone)
        request = PermissionRequest(
            tool="runner", title="Run things", args={}, action="run", summary="runner()",
            reason="a new version asks for more", offered=(Answer.ONCE, Answer.DENY),
            scopes=("clipboard.read", "shell"), new_scopes=("shell",))
        asking = asyncio.create_task(PhonePrompter(hub).ask(request))
        sent = await asyncio.wait_for(phone.queue.get(), 10)
        hub.answer(sent["id"], "deny")
        assert await asking is Answer.DENY
        return sent

    sent = asyncio.run(scenario())
    storage.close()
    assert sent["type"] == "prompt"
    assert sent["scopes"] == [
        {"scope": "clipboard.read", "words": "read your clipboard (clipboard.read)",
         "new": False},
        {"scope": "shell", "words": "run any program (shell)", "new": True}]



def test_the_web_app_shows_what_an_allow_grants(server, page):
    page.goto(f"{server.url}/#pair={server.pairing_code()}")
    page.fill("#pair-name", "test phone")
    page.click("#pair-form button[type=submit]")
    expect(page.locator("#main")).to_be_visible()
    expect(page.locator("#state")).to_have_text("idle")  # the live socket is up
    page.fill("#command", "send buy milk to my phone")
    page.press("#command", "Enter")
    prompt = page.locator(".prompt")
    expect(prompt).to_be_visible(timeout=15_000)
    expect(prompt.locator("ul.scopes li")).to_have_text(
        ["send notifications to your phone, through the internet (notify)"])
    prompt.locator("button[data-answer=deny]").click()
    expect(prompt).to_have_count(0)
