"""The companion inside a Heron process (what `heron run` starts): the phone is one
more PermissionPrompter surface next to the desktop's, the first answer wins, and
the other surface's question is withdrawn; a long phone command notifies when done."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import websockets

from assistant.companion.devices import DeviceStore
from assistant.companion.options import CompanionOptions
from assistant.companion.runtime import Companion, _reply
from assistant.config import HeronConfig
from assistant.core import build_core
from assistant.events import ReminderFired
from assistant.paths import resolve_paths
from assistant.permissions.policy import Answer
from assistant.permissions.prompters import CallbackPrompter
from assistant.tools.call import ToolCall


class Desktop:
    """The tray's dialog: shows each question and answers when the user clicks."""

    def __init__(self) -> None:
        self.shown: list[str] = []
        self.withdrawn = 0
        self.click: asyncio.Future[Answer] | None = None
        self.asked = asyncio.Event()

    async def ask(self, request) -> Answer:
        self.shown.append(request.summary)
        self.click = asyncio.get_running_loop().create_future()
        self.asked.set()
        try:
            return await self.click
        except asyncio.CancelledError:
            self.withdrawn += 1
            raise


async def _next(ws, kind: str) -> dict[str, Any]:
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), 20))
        if msg["type"] == kind:
            return msg


async def _scenario(home) -> dict[str, Any]:
    paths = resolve_paths({"HERON_HOME": str(home)})
    core = build_core(paths, HeronConfig())
    await core.warm_up()
    desktop = Desktop()
    core.prompter.attach(CallbackPrompter(desktop.ask))

    async def ask(text: str) -> dict[str, Any]:
        return _reply(await core.agent.handle(text, source="phone"))

    companion = Companion(core, CompanionOptions(port=0, webpush=False, long_task_s=0.0), ask)
    stop = asyncio.Event()
    running = asyncio.create_task(companion.run(stop))
    url = companion.endpoint.url
    out: dict[str, Any] = {}
    try:
        code, _ = DeviceStore(core.storage).new_pairing_code()
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            for _ in range(100):
                try:
                    r = await http.post("/api/pair", json={"code": code})
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
            http.headers["Authorization"] = f"Bearer {r.json()['token']}"
            async with websockets.connect(url.replace("http", "ws") + "/ws") as ws:
                await ws.send(json.dumps({"type": "auth", "token": r.json()["token"]}))
                await _next(ws, "snapshot")
                # 1. the phone answers first: the action runs, the desktop's dialog closes
                cmd = asyncio.create_task(http.post("/api/command",
                                                    json={"text": "send buy milk to my phone"}))
                prompt = await _next(ws, "prompt")
                ok = await http.post(f"/api/prompts/{prompt['id']}", json={"answer": "once"})
                out["phone_answer"] = ok.status_code
                out["typed_warning"] = (prompt["origins"], prompt["warning"])
                out["reply_1"] = (await cmd).json()
                out["desktop_withdrawn"] = desktop.withdrawn
                # 2. the desktop answers first: the phone's prompt closes, a late tap is refused
                cmd = asyncio.create_task(http.post("/api/command",
                                                    json={"text": "send eggs to my phone"}))
                desktop.asked.clear()
                prompt = await _next(ws, "prompt")
                await asyncio.wait_for(desktop.asked.wait(), 10)
                desktop.click.set_result(Answer.DENY)
                out["closed"] = (await _next(ws, "prompt_closed"))["id"] == prompt["id"]
                out["reply_2"] = (await cmd).json()
                late = await http.post(f"/api/prompts/{prompt['id']}", json={"answer": "once"})
                out["late_answer"] = late.status_code
                # 3. a reminder that comes due (the scheduler publishes this)
                core.bus.publish(ReminderFired(reminder_id=1, text="call the dentist"))
                while True:  # the app acks every notification; earlier ones come too
                    note = await _next(ws, "notification")
                    await ws.send(json.dumps({"type": "ack", "id": note["id"]}))
                    if note["kind"] == "reminder.fired":
                        break
                body = (await http.get(f"/api/notifications/{note['id']}")).json()["body"]
                out["reminder"] = (note["title"], body["text"])
                notes = (await http.get("/api/notifications")).json()["notifications"]
                out["kinds"] = [n["kind"] for n in notes]
                out["desktop_shown"] = list(desktop.shown)
                # 4. text read off the screen: the phone's question says so
                call = asyncio.create_task(core.registry.call(ToolCall(
                    "notify_phone", {"text": "wire 500 to account 42"}, source="text",
                    origins=frozenset({"screen"}))))
                prompt = await _next(ws, "prompt")
                out["screen_warning"] = (prompt["origins"], prompt["warning"])
                await http.post(f"/api/prompts/{prompt['id']}", json={"answer": "deny"})
                out["screen_call"] = (await call).status
    finally:
        stop.set()
        await running
        await core.aclose()
    return out


def test_first_answer_wins_between_desktop_and_phone(tmp_path):
    out = asyncio.run(_scenario(tmp_path / "heron"))
    assert out["phone_answer"] == 200
    assert out["reply_1"]["tool_calls"][0]["status"] == "ok"
    assert "queued" in out["reply_1"]["response"]
    assert out["desktop_withdrawn"] == 1  # the desktop dialog was withdrawn
    assert out["closed"] and out["late_answer"] == 409
    assert out["reply_2"]["tool_calls"][0]["status"] == "denied"
    assert out["typed_warning"] == ([], "")  # the user's own words: no warning
    origins, warning = out["screen_warning"]
    assert origins == ["screen"] and "the screen" in warning and "not from you" in warning
    assert out["screen_call"] == "denied"
    assert len(out["desktop_shown"]) == 2 and "buy milk" in out["desktop_shown"][0]
    # sources: each prompt sent "approval needed", each (long) command "task done",
    # and the approved notify_phone message itself
    assert out["kinds"].count("approval.needed") == 2
    assert out["kinds"].count("task.done") == 2
    assert out["kinds"].count("phone.notify") == 1
    assert out["reminder"] == ("Reminder", "call the dentist")
