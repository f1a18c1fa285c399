"""The tray's commands: what the menu, the windows and a later `heron` ask of the core.

Everything here runs on the GUI thread and reaches the core only through the bridge
(`submit`/`request`: the call runs on the core loop, its result comes back as a queued
signal), so no click ever waits for the core.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Signal

from assistant.service import HeronService
from gui.bridge import CoreBridge
from gui.tray import HeronTray

log = logging.getLogger(__name__)


class TrayController(QObject):
    # Emitted on the core thread by the `show` instance command; queued to the GUI.
    _show_from_core = Signal()

    def __init__(self, service: HeronService, bridge: CoreBridge, tray: HeronTray,
                 windows: Any = None) -> None:
        super().__init__()
        self.service = service
        self.bridge = bridge
        self.tray = tray
        self.windows = windows  # gui/windows.py: opens the main window, settings, audit
        tray.talk_requested.connect(self.push_to_talk)
        tray.mute_toggled.connect(self.set_muted)
        tray.sensors_paused.connect(self.pause_sensors)
        self._show_from_core.connect(self.show_window)
        if windows is not None:
            tray.window_requested.connect(windows.show_main)
            tray.settings_requested.connect(windows.show_settings)
            tray.audit_requested.connect(windows.show_audit)
        service.commands["show"] = self._show_command

    async def _show_command(self, _req: dict[str, Any], _conn: Any) -> dict[str, Any]:
        self._show_from_core.emit()
        return {"shown": True}

    def show_window(self) -> None:
        if self.windows is not None:
            self.windows.show_main()

    def _run(self, coro) -> None:
        if not self.bridge.is_running():
            coro.close()
            return
        self.bridge.request(coro, self._report)

    def _report(self, future) -> None:
        err = future.exception()
        if err is not None:
            log.warning("tray command failed: %s", err)
            self.tray.showMessage("Heron", f"That did not work: {err}")

    def push_to_talk(self) -> None:
        service = self.service

        async def toggle() -> str:
            return service.toggle_listening()

        self._run(toggle())

    def set_muted(self, muted: bool) -> None:
        self._run(self.service.set_muted(muted))

    def pause_sensors(self, paused: bool) -> None:
        gate = self.service.core.sensors

        async def pause() -> None:
            for device in ("camera", "screen"):
                gate.set_paused(device, paused)

        self.tray.set_sensors_paused(paused)
        self._run(pause())
