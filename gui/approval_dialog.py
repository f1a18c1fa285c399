"""The desktop's approval question: a `PermissionPrompter` surface (DESIGN.md §5).

`ApprovalDialog` shows one `PermissionRequest` — the tool, the exact action, the scopes
and, when the arguments come from the screen, a file or the web, a warning saying so —
with a button for each answer the request offers. Keyboard: every button has a
mnemonic, Enter is Deny (the default), Esc is Deny; no answer by the deadline is a
timeout (a deny that says why).

`QtPrompter.ask` runs on the core's loop (another thread): it puts the dialog up on the
GUI thread through a queued signal and resolves with the answer; when another surface
answers first the core cancels the ask and the dialog closes itself.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assistant.permissions.policy import Answer, PermissionRequest
from assistant.permissions.provenance import origin_warning

LABELS = {Answer.ONCE: "Allow &once", Answer.SESSION: "Allow this &session",
          Answer.ALWAYS: "&Always allow", Answer.DENY: "&Deny",
          Answer.ALWAYS_DENY: "Always de&ny"}



class ApprovalDialog(QDialog):
    answered = Signal(object)  # Answer

    def __init__(self, request: PermissionRequest, timeout_s: float,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.request = request
        self.answer: Answer | None = None
        self._deadline = time.monotonic() + timeout_s
        self.setWindowTitle(f"Heron — allow {request.title}?")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        head = QLabel(f"<b>{_html(request.title)}</b> ({_html(request.tool)}) wants to:")
        layout.addWidget(head)
        action = QPlainTextEdit(request.action)
        action.setReadOnly(True)
        action.setMaximumHeight(120)
        action.setAccessibleName("the exact action")
        layout.addWidget(action)
        layout.addWidget(QLabel(f"Why Heron asks: {_html(request.reason)}"))
        self.scopes = QLabel(_scopes_html(request))
        self.scopes.setWordWrap(True)
        self.scopes.setTextFormat(Qt.TextFormat.RichText)
        self.scopes.setAccessibleName("what an allow grants")
        layout.addWidget(self.scopes)
        warning = origin_warning(request.origins)
        self.warning = QLabel("")
        if warning:
            self.warning.setText(warning)
            self.warning.setWordWrap(True)
            self.warning.setStyleSheet("color: #8a4b00; background: #fff3d6; padding: 6px;"
                                       "border: 1px solid #e0a020;")
            layout.addWidget(self.warning)
        self.countdown = QLabel("")
        layout.addWidget(self.countdown)
        row = QHBoxLayout()
        self.buttons: dict[Answer, QPushButton] = {}
        for answer in request.offered:
            button = QPushButton(LABELS.get(answer, str(answer)))
            button.setAutoDefault(False)
            button.clicked.connect(lambda _=False, a=answer: self.choose(a))
            self.buttons[answer] = button
            row.addWidget(button)
        layout.addLayout(row)
        deny = self.buttons.get(Answer.DENY)
        if deny is not None:
            deny.setDefault(True)  # Enter never allows anything
            deny.setFocus()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._timer.start(250)
        self._tick()

    def choose(self, answer: Answer) -> None:
        if self.answer is None:
            self.answer = answer
            self.answered.emit(answer)
        self._timer.stop()
        self.done(0)

    def reject(self) -> None:  # Esc or the window's close button
        self.choose(Answer.DENY)

    def withdraw(self) -> None:
        """Another surface answered: close without answering."""
        self.answer = self.answer or Answer.UNAVAILABLE
        self._timer.stop()
        self.done(0)

    def _tick(self) -> None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            self.choose(Answer.TIMED_OUT)
            return
        self.countdown.setText(f"No answer in {left:.0f} s counts as no.")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _scopes_html(request: PermissionRequest) -> str:
    """What an allow grants, one scope a line in plain words; scopes an earlier
    "always" did not cover are marked NEW."""
    if not request.scopes:
        return "It needs no special permissions."
    items = "".join(f"<li>{'<b>NEW:</b> ' if new else ''}{_html(words)}</li>"
                    for _, words, new in request.granted())
    return f"If you allow it, it may:<ul>{items}</ul>"


class QtPrompter(QObject):
    """The tray's approval surface; create it on the GUI thread, attach it to the core's
    FanOutPrompter. `dialogs` are the ones showing (tests, screenshots)."""

    _open = Signal(int, object, object)  # id, request, on_answer
    _close = Signal(int)

    def __init__(self, timeout_s: float = 60.0, parent: QObject | None = None,
                 on_open: Callable[[ApprovalDialog], None] | None = None) -> None:
        super().__init__(parent)
        self.timeout_s = timeout_s
        self.on_open = on_open
        self.dialogs: dict[int, ApprovalDialog] = {}
        self._ids = itertools.count(1)
        queued = Qt.ConnectionType.QueuedConnection
        self._open.connect(self._show, queued)
        self._close.connect(self._withdraw, queued)

    def available(self) -> bool:
        return True

    async def ask(self, request: PermissionRequest) -> Answer:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Answer] = loop.create_future()

        def on_answer(a: Answer) -> None:  # on the GUI thread
            loop.call_soon_threadsafe(lambda: answer.done() or answer.set_result(a))

        ident = next(self._ids)
        self._open.emit(ident, request, on_answer)
        try:
            return await answer
        finally:
            # Cancelled (another surface answered, or shutdown): the awaited future is
            # cancelled with us, so "not answered" is "cancelled or still open".
            if answer.cancelled() or not answer.done():
                self._close.emit(ident)

    @Slot(int, object, object)
    def _show(self, ident: int, request: PermissionRequest, on_answer) -> None:
        dialog = ApprovalDialog(request, self.timeout_s)
        dialog.answered.connect(on_answer)
        dialog.finished.connect(lambda _r: self.dialogs.pop(ident, None))
        self.dialogs[ident] = dialog
        dialog.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        if self.on_open is not None:
            self.on_open(dialog)

    @Slot(int)
    def _withdraw(self, ident: int) -> None:
        dialog = self.dialogs.pop(ident, None)
        if dialog is not None:
            dialog.withdraw()
