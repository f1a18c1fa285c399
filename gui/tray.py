"""The tray icon: Heron's state at a glance, painted in code (no image files), with
privacy dots for what is in use (green: microphone open; red: camera; amber: screen).

It changes only from bus events relayed by `CoreBridge` and never reaches into the
core: its menu emits signals (`talk_requested`, `mute_toggled`, …) that gui/app.py
turns into commands.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from assistant.events import (
    AssistantState,
    DeviceInUse,
    Event,
    MicStateChanged,
    StageError,
    StateChanged,
)
from audio.mic_state import MicState

log = logging.getLogger(__name__)

# The core's states (AssistantState) and the tray's own looks: "no_mic" (no microphone)
# and "error" (a state this tray does not know).
STATE_COLOURS: dict[str, str] = {
    "starting": "#8a8a8a",
    "idle": "#2f6f8f",
    "listening": "#2e9d4f",
    "thinking": "#e0a020",
    "speaking": "#3a6ee8",
    "muted": "#6b6b6b",
    "error": "#d03a30",
    "no_mic": "#d03a30",
}
NO_MIC_TIP = "No microphone found — use `heron ask` or `heron listen`"
ICON_SIZE_PX = 64
# Privacy dots on the icon's rim, by what is in use.
IN_USE_COLOURS = {"mic": "#35d07f", "camera": "#ff3b30", "screen": "#ffb020"}
IN_USE_SPOTS = {"mic": (50, 50), "camera": (50, 14), "screen": (14, 50)}
MIC_OPEN_STATES = (MicState.OPEN, MicState.LIVE)


def paint_icon(look: str, size_px: int = ICON_SIZE_PX,
               in_use: frozenset[str] = frozenset()) -> QPixmap:
    """A round badge in the state's colour with a white glyph, and a dot for each
    device in use."""
    pix = QPixmap(size_px, size_px)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.scale(size_px / 64, size_px / 64)  # glyphs are drawn on a 64x64 grid
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(STATE_COLOURS.get(look, STATE_COLOURS["error"])))
    p.drawEllipse(QRectF(2, 2, 60, 60))
    white = QColor("white")
    pen = QPen(white, 4.5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    if look in ("idle", "listening", "muted", "no_mic", "starting"):
        _mic(p, white)
        if look == "listening":
            for r in (14.0, 20.0):  # sound arriving from both sides
                p.drawArc(QRectF(32 - r, 26 - r, 2 * r, 2 * r), -35 * 16, 70 * 16)
                p.drawArc(QRectF(32 - r, 26 - r, 2 * r, 2 * r), 145 * 16, 70 * 16)
        elif look in ("muted", "no_mic"):
            p.setPen(QPen(white, 5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            p.drawLine(QPointF(16, 14), QPointF(48, 50))
    elif look == "thinking":
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(white)
        for x in (18, 32, 46):
            p.drawEllipse(QPointF(x, 32), 5, 5)
    elif look == "speaking":
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(white)
        cone = QPainterPath()
        cone.moveTo(13, 26)
        for x, y in ((20, 26), (30, 17), (30, 47), (20, 38), (13, 38)):
            cone.lineTo(x, y)
        cone.closeSubpath()
        p.drawPath(cone)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        for r in (8.0, 15.0):
            p.drawArc(QRectF(32 - r, 32 - r, 2 * r, 2 * r), -40 * 16, 80 * 16)
    else:  # error: an exclamation mark
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(white)
        p.drawRoundedRect(QRectF(28.5, 13, 7, 26), 3, 3)
        p.drawEllipse(QPointF(32, 47), 4.2, 4.2)
    for device in sorted(in_use):
        x, y = IN_USE_SPOTS[device]
        p.setPen(QPen(QColor("white"), 2.5))
        p.setBrush(QColor(IN_USE_COLOURS[device]))
        p.drawEllipse(QPointF(x, y), 10, 10)
    p.end()
    return pix


def _mic(p: QPainter, white: QColor) -> None:
    p.save()
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(white)
    p.drawRoundedRect(QRectF(26, 12, 12, 24), 6, 6)
    p.restore()
    p.drawArc(QRectF(19, 18, 26, 24), 200 * 16, 140 * 16)
    p.drawLine(QPointF(32, 42), QPointF(32, 50))
    p.drawLine(QPointF(25, 51), QPointF(39, 51))


class HeronTray(QSystemTrayIcon):
    """The tray icon and its menu. Feed it bus events with `on_event`."""

    quit_requested = Signal()
    talk_requested = Signal()  # push-to-talk
    mute_toggled = Signal(bool)  # True: close the microphone stream
    sensors_paused = Signal(bool)  # True: no camera or screen analysis
    window_requested = Signal()
    settings_requested = Signal()
    audit_requested = Signal()

    def __init__(self, mic_enabled: bool = True, parent=None) -> None:
        super().__init__(parent)
        self.mic_enabled = mic_enabled
        self.state = "starting"  # the core's last StateChanged (or "starting")
        self.mic_problem = ""  # message of the last audio_in StageError
        self.mic_state = ""  # the last MicStateChanged state
        self.in_use: dict[str, str] = {}  # camera/screen -> the tool reading it
        self.look = ""
        self._icons: dict[tuple[str, frozenset[str]], QIcon] = {}
        self.menu = QMenu()
        self.status_action = QAction("Heron — starting…", self.menu)
        self.status_action.setEnabled(False)
        self.privacy_action = QAction("", self.menu)
        self.privacy_action.setEnabled(False)
        self.menu.addAction(self.status_action)
        self.menu.addAction(self.privacy_action)
        self.menu.addSeparator()
        self.talk_action = self._add("Push to &talk", self.talk_requested.emit)
        self.mute_action = self._add("&Mute microphone", self.mute_toggled.emit, checkable=True)
        self.pause_action = self._add("&Pause camera and screen", self.sensors_paused.emit,
                                      checkable=True)
        self.menu.addSeparator()
        self._add("&Open Heron…", self.window_requested.emit)
        self._add("&Settings…", self.settings_requested.emit)
        self._add("&Audit log…", self.audit_requested.emit)
        self.menu.addSeparator()
        self._add("&Quit Heron", self.quit_requested.emit)
        self.activated.connect(self._clicked)
        self.setContextMenu(self.menu)
        self._refresh()

    def _add(self, text: str, slot, checkable: bool = False) -> QAction:
        action = self.menu.addAction(text)
        action.setCheckable(checkable)
        if checkable:
            action.triggered.connect(lambda: slot(action.isChecked()))
        else:
            action.triggered.connect(lambda: slot())
        return action

    def _clicked(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:  # a left click
            self.window_requested.emit()

    @property
    def indicators(self) -> frozenset[str]:
        """What the icon shows as in use: mic (stream open), camera, screen."""
        shown = set(self.in_use)
        if self.mic_state in MIC_OPEN_STATES:
            shown.add("mic")
        return frozenset(shown)

    def on_ready(self) -> None:
        """The core is running: leave the 'starting' look unless an event already came."""
        if self.state == AssistantState.STARTING:
            self.state = "idle"
            self._refresh()

    def on_event(self, event: Event) -> None:
        if isinstance(event, StateChanged):
            if event.state not in set(AssistantState):
                log.warning("unknown state %r", event.state)
            self.state = event.state
        elif isinstance(event, StageError) and event.stage == "audio_in":
            self.mic_problem = event.message
            if self.state == AssistantState.STARTING:
                self.state = "idle"
        elif isinstance(event, MicStateChanged):
            self.mic_state = event.state
            if event.state in MIC_OPEN_STATES:
                self.mic_problem = ""
            self.mute_action.setChecked(event.state == MicState.MUTED)
        elif isinstance(event, DeviceInUse):
            if event.active:
                self.in_use[event.device] = event.tool
            else:
                self.in_use.pop(event.device, None)
        else:
            return
        self._refresh()

    def _refresh(self) -> None:
        look, tip = self._describe()
        self.look = look
        key = (look, self.indicators)
        if key not in self._icons:
            self._icons[key] = QIcon(paint_icon(look, in_use=self.indicators))
        self.setIcon(self._icons[key])
        privacy = self._privacy_line()
        self.setToolTip(f"{tip}\n{privacy}")
        self.status_action.setText(tip.splitlines()[0])
        self.privacy_action.setText(privacy)
        self.talk_action.setEnabled(self.mic_enabled and not self.mic_problem
                                    and self.mic_state != MicState.MUTED)

    def _privacy_line(self) -> str:
        """One line on what is in use now, e.g. "Mic on · Camera: camera_snapshot"."""
        parts = []
        if self.mic_state in MIC_OPEN_STATES:
            parts.append("Mic on")
        elif self.mic_state == MicState.MUTED:
            parts.append("Mic muted")
        else:
            parts.append("Mic off")
        for device in ("camera", "screen"):
            if device in self.in_use:
                parts.append(f"{device.capitalize()}: {self.in_use[device]}")
        if self.pause_action.isChecked():
            parts.append("camera and screen paused")
        return " · ".join(parts)

    def set_sensors_paused(self, paused: bool) -> None:
        self.pause_action.setChecked(paused)
        self._refresh()

    def _describe(self) -> tuple[str, str]:
        """(look, tooltip) for the current state; the first tooltip line is the status."""
        if self.state == AssistantState.STARTING:
            return "starting", "Heron — starting…"
        # busy states still show as usual
        if self.state == AssistantState.IDLE and self.mic_problem:
            return "no_mic", f"Heron — no microphone\n{NO_MIC_TIP}"
        if self.state == AssistantState.IDLE and not self.mic_enabled:
            return "muted", "Heron — muted (started with --no-mic)"
        return self.state if self.state in STATE_COLOURS else "error", f"Heron — {self.state}"
