"""The main window: the conversation (with the live partial transcript and each reply as
it comes), a text box to the same agent, and the running timers and reminders.

Core events arrive as queued signals, possibly in floods (partials, tool calls, state
changes). `on_event` only queues them; a 50 ms timer applies the batch — the newest
partial wins, messages are appended in one go — so typing and scrolling never wait on
the core's pace.
"""

from __future__ import annotations

import html
import time
import unicodedata
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from assistant.events import (
    Event,
    Interrupted,
    ReminderFired,
    Reply,
    ReplyDelta,
    StageError,
    StateChanged,
    TimerFired,
    ToolCallFinished,
    Transcript,
)

FLUSH_MS = 50
MAX_BLOCKS = 2000  # older conversation scrolls out of the window (history keeps it)


class ConversationWindow(QWidget):
    text_submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Heron")
        self.resize(760, 520)
        self._queue: list[Event] = []
        self._due: list[tuple[float, str]] = []  # (due_at, what), timers and reminders
        self.flushes = 0  # batches applied (tests)
        self.state = QLabel("Heron — starting…")
        self.partial = QLabel("")
        self.partial.setStyleSheet("color: #666; font-style: italic;")
        self.partial.setAccessibleName("what Heron is hearing")
        self.writing = QLabel("")  # the reply while the language model writes it
        self.writing.setWordWrap(True)
        self.writing.setStyleSheet("color: #335; font-style: italic;")
        self.writing.setAccessibleName("what Heron is writing")
        self._written = ""
        self.log = QTextBrowser()
        self.log.setOpenLinks(False)
        self.log.document().setMaximumBlockCount(MAX_BLOCKS)
        self.log.setAccessibleName("conversation")
        self.timers = QListWidget()
        self.timers.setAccessibleName("timers and reminders")
        self.entry = QLineEdit()
        self.entry.setPlaceholderText("Type to Heron… (Enter sends)")
        self.entry.returnPressed.connect(self._send)
        send = QPushButton("&Send")
        send.clicked.connect(self._send)
        row = QHBoxLayout()
        row.addWidget(self.entry, 1)
        row.addWidget(send)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.log, 1)
        lv.addWidget(self.partial)
        lv.addWidget(self.writing)
        lv.addLayout(row)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(QLabel("Timers and reminders"))
        rv.addWidget(self.timers, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([540, 220])
        layout = QVBoxLayout(self)
        layout.addWidget(self.state)
        layout.addWidget(split, 1)
        # Started by the first queued event, not ticking while nothing happens.
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._show_due)
        self._clock.start()

    # -- input ------------------------------------------------------------------------
    def _send(self) -> None:
        text = self.entry.text().strip()
        if not text:
            return
        self.entry.clear()
        self._append("you", text)
        self.text_submitted.emit(text)

    # -- events -----------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        """Queue a core event; it shows within FLUSH_MS."""
        self._queue.append(event)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def flush(self) -> None:
        if not self._queue:
            return
        batch, self._queue = self._queue, []
        self.flushes += 1
        partial = None
        blocks: list[str] = []
        for e in batch:
            if isinstance(e, Transcript) and not e.is_final:
                partial = e.text
            elif isinstance(e, Transcript):
                partial = ""
                blocks.append(_block("you (voice)", e.text))
            elif isinstance(e, ReplyDelta):
                self._written += e.text
            elif isinstance(e, Reply):
                self._written = ""
                blocks.append(_block("Heron", e.text))
            elif isinstance(e, ToolCallFinished):
                blocks.append(_note(f"{e.tool}: {e.status}" + (f" — {e.error}" if e.error
                                                                 else "")))
            elif isinstance(e, StageError):
                blocks.append(_note(f"⚠ {e.message}" + (f" → {e.hint}" if e.hint else "")))
            elif isinstance(e, Interrupted):
                blocks.append(_note("(interrupted)"))
            elif isinstance(e, TimerFired):
                blocks.append(_note(f"Timer done: {e.label or 'timer'}"))
            elif isinstance(e, ReminderFired):
                blocks.append(_note(f"Reminder: {e.text}"))
            elif isinstance(e, StateChanged):
                self.state.setText(f"Heron — {e.state}")
        if partial is not None:
            _set_text(self.partial, partial)
        _set_text(self.writing, f"Heron: {self._written}…" if self._written else "",
                  self._written)
        if blocks:
            self.log.append("".join(blocks))
            bar = self.log.verticalScrollBar()
            bar.setValue(bar.maximum())

    def set_state(self, state: str) -> None:
        self.state.setText(f"Heron — {state}")

    def _append(self, who: str, text: str) -> None:
        self.log.append(_block(who, text))

    # -- timers and reminders -----------------------------------------------------------
    def set_due(self, timers: list[dict[str, Any]], reminders: list[dict[str, Any]]) -> None:
        """Rows of TimerStore.pending() / ReminderStore.pending() (their to_dict())."""
        due = [(float(t["due_at"]), f"Timer {t.get('label') or ''}".strip()) for t in timers]
        due += [(float(r["due_at"]), f"Reminder: {r.get('text', '')}") for r in reminders]
        self._due = sorted(due)
        self._show_due()

    def _show_due(self) -> None:
        now = time.time()
        self._due = [d for d in self._due if d[0] > now - 1]
        self.timers.clear()
        for due_at, what in self._due:
            self.timers.addItem(f"{what} — {_left(due_at - now)}")
        if not self._due:
            self.timers.addItem("(none)")


def is_rtl(text: str) -> bool:
    """Whether `text` reads right to left: its first strongly directional letter is
    Arabic, Hebrew, … (Unicode's bidi rule P2, as Qt applies it to a paragraph)."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def _set_text(label: QLabel, text: str, body: str | None = None) -> None:
    """Show `text` laid out in the direction of `body` (default: the text itself), so
    an Arabic line starts at the right edge."""
    rtl = is_rtl(text if body is None else body)
    label.setLayoutDirection(Qt.LayoutDirection.RightToLeft if rtl
                             else Qt.LayoutDirection.LeftToRight)
    label.setText(text)


def _block(who: str, text: str) -> str:
    # The speaker's name is Latin: the paragraph's direction comes from what was said.
    direction = " dir='rtl'" if is_rtl(text) else ""
    return f"<p{direction}><b>{html.escape(who)}:</b> {html.escape(text)}</p>"


def _note(text: str) -> str:
    return f"<p style='color:#666'>{html.escape(text)}</p>"


def _left(seconds: float) -> str:
    s = max(0, int(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
