"""The web app in a real browser (Debian's chromium under Playwright) against the
real server: pair, a timer fires as a notification, a permission prompt approved on
the phone lets the action proceed, a text command gets its reply, the mic mutes."""

from __future__ import annotations

import json
import shutil

from playwright.sync_api import expect


def test_phone_pairs_sees_a_timer_fire_approves_a_prompt_and_chats(server, page):
    assert shutil.which("chromium")
    code = server.pairing_code()
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
    page.goto(f"{server.url}/#pair={code}")
    expect(page.locator("#pair-code")).to_have_value(code)  # from the QR's URL
    page.fill("#pair-name", "test phone")
    page.click("#pair-form button[type=submit]")
    expect(page.locator("#main")).to_be_visible()
    expect(page.locator("#state")).to_have_text("idle")

    # a text command to the same agent; the reply shows in the conversation
    page.fill("#command", "set a timer for 2 seconds")
    page.press("#command", "Enter")
    expect(page.locator("#conversation li.assistant")).to_have_text(
        ["OK, timer set for 2 seconds."])
    expect(page.locator("#timers li")).to_have_count(1)
    # ...and when it fires, the notification arrives in the open app
    expect(page.locator("#notifications li").first).to_have_text(
        "Timer done: Your timer is done.", timeout=15_000)

    # a tool that needs permission asks on the phone; approving lets it run
    page.fill("#command", "send buy milk to my phone")
    page.press("#command", "Enter")
    prompt = page.locator(".prompt")
    expect(prompt).to_be_visible(timeout=15_000)
    expect(prompt.locator("pre")).to_contain_text("buy milk")
    expect(prompt.locator(".warning")).to_have_count(0)  # typed by the user: no warning
    prompt.locator("button[data-answer=once]").click()
    expect(prompt).to_have_count(0)
    expect(page.locator("#conversation li.assistant").last).to_contain_text("queued",
                                                                            timeout=15_000)
    expect(page.locator("#notifications li").first).to_contain_text("buy milk",
                                                                    timeout=15_000)

    # the mic mute is a toggle the server confirms
    page.click("#mute")
    expect(page.locator("#mute")).to_have_attribute("aria-pressed", "true")
    token = page.evaluate("localStorage.getItem('heron.token')")
    with server.client(token) as phone:
        assert phone.get("/api/state").json()["muted"] is True
    # installable: manifest with icons and a service worker that took control
    manifest = json.loads(page.request.get(f"{server.url}/manifest.webmanifest").text())
    assert manifest["display"] == "standalone"
    assert {"192x192", "512x512"} <= {i["sizes"] for i in manifest["icons"]}
    page.wait_for_function("navigator.serviceWorker.controller !== null || "
                           "navigator.serviceWorker.ready.then(() => true)")
    assert page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)")
    assert hosts == {server.url.split("/")[2]}  # nothing from a CDN or anywhere else
