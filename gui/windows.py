"""The tray's windows and how they reach the core: the conversation window (text to the
same agent), the approval dialog (attached to the core's FanOutPrompter), settings
(saved to config.toml, applied live) and the audit viewer. Core work runs on the core
loop through the bridge; results come back on the GUI thread."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from assistant.config import ConfigError
from assistant.config_patch import update_config_file
from assistant.desktop import autostart
from assistant.events import (
    AssistantState,
    CallSource,
    CallStatus,
    EnrolmentProgress,
    Event,
    ReminderFired,
    TimerFired,
    ToolCallFinished,
)
from assistant.service import HeronService
from assistant.voice.barge_in import is_stop_request
from audio.devices import list_devices
from gui.approval_dialog import QtPrompter
from gui.audit_window import AuditWindow
from gui.bridge import CoreBridge
from gui.conversation_window import ConversationWindow
from gui.enrol_dialog import EnrolDialog
from gui.screen_reading_window import ScreenReadingWindow
from gui.settings_window import SettingsWindow
from models.errors import CodedError

log = logging.getLogger(__name__)
DUE_TOOLS = ("set_timer", "cancel_timer", "set_reminder")


class Windows:
    def __init__(self, service: HeronService, bridge: CoreBridge) -> None:
        self.service = service
        self.bridge = bridge
        self.main = ConversationWindow()
        self.main.text_submitted.connect(self.ask)
        bridge.event.connect(self.on_event)
        self.prompter = QtPrompter(service.config.permissions.approval_timeout_s)
        self.settings: SettingsWindow | None = None
        self.enrol: EnrolDialog | None = None
        self.audit: AuditWindow | None = None
        self.reading: ScreenReadingWindow | None = None

    # -- start-up -----------------------------------------------------------------------
    def on_ready(self) -> None:
        """The core runs: attach the approval dialog and show the pending timers."""
        prompter, fan_out = self.prompter, self.service.core.prompter

        async def attach() -> None:
            if hasattr(fan_out, "attach"):
                fan_out.attach(prompter)

        self.bridge.request(attach(), _log_failure)
        self.main.set_state(self.service.state if self.service.state != AssistantState.STARTING
                            else AssistantState.IDLE)
        self.refresh_due()

    def on_event(self, event: Event) -> None:
        self.main.on_event(event)
        if isinstance(event, EnrolmentProgress) and self.enrol is not None:
            self.enrol.on_progress(event)
        if isinstance(event, (TimerFired, ReminderFired)) or (
                isinstance(event, ToolCallFinished) and event.tool in DUE_TOOLS):
            self.refresh_due()
        if isinstance(event, ToolCallFinished) and event.tool == "show_screen_reading" \
                and event.result is not None and event.status == CallStatus.OK:
            self.show_reading(event.result)

    def show_reading(self, result: dict[str, Any]) -> None:
        """"Show me what you read": the screenshot with the boxes Heron found."""
        if self.reading is None:
            self.reading = ScreenReadingWindow()
        self.reading.show_reading(result)
        self.reading.show()
        self.reading.raise_()

    # -- the conversation -----------------------------------------------------------------
    def show_main(self) -> None:
        self.main.show()
        self.main.raise_()
        self.main.activateWindow()

    def ask(self, text: str) -> None:
        service = self.service

        async def handle() -> None:
            if is_stop_request(text) and service.hush():  # a reading, stopped typed
                return
            reply = await service.core.agent.handle(text, source=CallSource.TEXT)
            if reply.reads_aloud:  # "read this to me", typed: the reading is spoken
                service.announce_soon(reply.text)

        self.bridge.request(handle(), self._asked)

    def _asked(self, future) -> None:
        err = future.exception()
        if err is not None:
            self.main.log.append(f"<p style='color:#a00'>That failed: {err}</p>")

    def refresh_due(self) -> None:
        core = self.service.core

        async def read() -> tuple[list[dict], list[dict]]:
            return ([t.to_dict() for t in core.timers.pending()],
                    [r.to_dict() for r in core.reminders.pending()])

        def show(future) -> None:
            if future.exception() is None:
                self.main.set_due(*future.result())

        if self.bridge.is_running():
            self.bridge.request(read(), show)

    # -- settings -----------------------------------------------------------------------
    def show_settings(self) -> None:
        if self.settings is None:
            try:
                devices = list_devices()
            except CodedError:
                devices = []
            self.settings = SettingsWindow(
                self.service.config, devices, self._enrolled(), self._grants(),
                autostart.is_enabled(), self.service.hotkey_status)
            self.settings.changed.connect(self.save_setting)
            self.settings.revoke_requested.connect(self.revoke)
            self.settings.autostart_toggled.connect(self._autostart)
            self.settings.pair_requested.connect(self.pair_phone)
            self.settings.enrol_requested.connect(self.show_enrol)
        self.settings.show()
        self.settings.raise_()

    def show_enrol(self) -> None:
        if self.enrol is None:
            self.enrol = EnrolDialog(self.settings)
            self.enrol.start_requested.connect(self.enrol_word)
        self.enrol.show()
        self.enrol.raise_()

    def enrol_word(self, name: str, samples: int) -> None:
        """Record and build the word in the core, on the microphone it has open."""
        from assistant.voice.enrolment import enrol_wake_word

        def done(future) -> None:
            err = future.exception()
            if self.enrol is not None:
                self.enrol.finished_with(None if err is None else _explain(err))
            if err is None and self.settings is not None:
                self.settings.add_enrolled(name)
                self._settings_say(f"Enrolled {name}: choose it as the word to use it.")

        self.bridge.request(enrol_wake_word(self.service, name, samples), done)

    def pair_phone(self) -> None:
        """A one-time code and its QR code, shown in the Phone tab."""
        service = self.service

        async def make():
            from assistant.companion.pairing import new_pairing, qr_png

            pairing = new_pairing(service.core.storage, service.paths.data_dir,
                                  service.config.companion)
            return pairing, await asyncio.to_thread(qr_png, pairing.payload)

        def show(future) -> None:
            if future.exception() is not None or self.settings is None:
                self._settings_say(f"Pairing failed: {future.exception()}")
                return
            pairing, png = future.result()
            text = (f"Scan the code, or open {pairing.endpoint.url} on your phone and "
                    f"enter {pairing.code} (works once, for 5 minutes).")
            if pairing.endpoint.fingerprint:
                text += f" Certificate sha256: {pairing.endpoint.fingerprint}"
            if not pairing.server_running:
                text += " The companion is not running yet."
            self.settings.show_pairing(png, text)

        self.bridge.request(make(), show)

    def save_setting(self, patch: dict[str, Any]) -> None:
        try:
            config = update_config_file(self.service.paths.config_file, patch)
        except ConfigError as err:
            self._settings_say(f"Not saved: {err.message} ({err.hint})")
            return

        def applied(future) -> None:
            err = future.exception()
            if err is not None:
                self._settings_say(f"Saved, but not applied: {err}")
                return
            done = future.result()
            later = f"; after a restart: {', '.join(done.restart)}" if done.restart else ""
            self._settings_say(f"Saved and applied: {', '.join(done.changed) or 'nothing'}"
                               f"{later}.")

        self.bridge.request(self.service.apply_config(config), applied)

    def revoke(self, tool: str) -> None:
        approvals = self.service.core.approvals

        async def forget() -> int:
            return approvals.revoke(tool)

        def done(future) -> None:
            if self.settings is not None:
                self.settings.set_grants(self._grants())
                self._settings_say(f"Forgot {future.result()} answer(s) for {tool}.")

        self.bridge.request(forget(), done)

    def _autostart(self, on: bool) -> None:
        try:
            path = autostart.set_enabled(on)
            self._settings_say(f"Autostart {'on' if on else 'off'} ({path}).")
        except CodedError as err:
            self._settings_say(err.sentence())

    def _settings_say(self, text: str) -> None:
        if self.settings is not None:
            self.settings.show_result(text)

    def _grants(self) -> list[dict[str, Any]]:
        return [g.to_dict() for g in self.service.core.approvals.grants()]

    def _enrolled(self) -> list[str]:
        names = []
        for meta in sorted(self.service.paths.wake_dir.glob("*.json")):
            try:
                names.append(str(json.loads(meta.read_text()).get("name", meta.stem)))
            except (OSError, ValueError):
                continue
        return names

    # -- audit --------------------------------------------------------------------------
    def show_audit(self) -> None:
        if self.audit is None:
            self.audit = AuditWindow()
            self.audit.refresh_requested.connect(self.refresh_audit)
        self.audit.show()
        self.audit.raise_()
        self.refresh_audit()

    def refresh_audit(self) -> None:
        audit = self.service.core.audit

        async def read():
            return await asyncio.to_thread(lambda: (audit.entries(limit=500), audit.check()))

        def show(future) -> None:
            if future.exception() is None and self.audit is not None:
                self.audit.load(*future.result())

        self.bridge.request(read(), show)


def _log_failure(future) -> None:
    if future.exception() is not None:
        log.warning("attaching the approval dialog failed: %s", future.exception())


def _explain(err: BaseException) -> str:
    """What the user reads when core work failed: the coded message and next step."""
    if isinstance(err, CodedError):
        return err.sentence()
    return f"That did not work: {err}"
