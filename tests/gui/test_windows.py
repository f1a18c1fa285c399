"""The tray's windows on a real X server with the real core behind them: the text box
reaches the same agent, approvals are answered from the keyboard (or time out, or are
withdrawn when another surface answers), settings are saved and applied live, the
audit viewer shows tampering, and a flood of events never freezes the window.
Each window is saved under docs/screenshots/."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from assistant.events import Transcript
from assistant.permissions.policy import Answer, PermissionRequest
from assistant.permissions.prompters import CallbackPrompter
from assistant.permissions.provenance import Origin
from assistant.tools.call import ToolCall
from models.errors import CodedError

pytestmark = [pytest.mark.gui, pytest.mark.slow]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def heron(start_core, tmp_path_factory):
    from gui.windows import Windows

    home = tmp_path_factory.mktemp("heron")
    (home / "config").mkdir()
    (home / "config" / "config.toml").write_text("# my settings\n[wake]\n"
                                                 "threshold = 0.5  # default\n")
    made = {}

    def wire(service, bridge):
        made["windows"] = Windows(service, bridge)
        bridge.ready.connect(made["windows"].on_ready)

    service, bridge = start_core(home, wire)
    windows = made["windows"]
    yield service, bridge, windows
    for window in (windows.main, windows.settings, windows.audit):
        if window is not None:
            window.hide()  # the display is shared with the other GUI tests
    assert bridge.stop(timeout_s=30)


def shot(widget, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert widget.grab().save(str(SHOTS / f"{name}.png"))


def type_into(widget, text: str) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)


def test_the_text_box_reaches_the_agent_and_the_timer_shows(heron, wait_for):
    _service, _bridge, windows = heron
    w = windows.main
    windows.show_main()
    type_into(w.entry, "set a timer for 5 minutes called soup")
    assert wait_for(lambda: "soup timer set" in w.log.toPlainText(), 30), w.log.toPlainText()
    assert "you: set a timer for 5 minutes called soup" in w.log.toPlainText()
    assert wait_for(lambda: any("soup" in w.timers.item(i).text()
                                for i in range(w.timers.count())), 10)
    assert "4:5" in w.timers.item(0).text()  # counting down from 5:00
    shot(w, "main_window")


def test_an_approval_is_answered_from_the_keyboard(heron, wait_for):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    service, _bridge, windows = heron
    type_into(windows.main.entry, "send buy milk to my phone")  # off-machine: always asks
    assert wait_for(lambda: windows.prompter.dialogs, 20), "no approval dialog"
    (dialog,) = windows.prompter.dialogs.values()
    assert dialog.request.tool == "notify_phone"
    assert "buy milk" in dialog.request.action
    assert dialog.buttons[Answer.DENY].isDefault()  # Enter never allows
    shot(dialog, "permission_dialog")
    QTest.keyClick(dialog, Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)  # Allow &once
    assert wait_for(lambda: "notify_phone: ok" in windows.main.log.toPlainText(), 20)
    assert [r["body"]["text"] for r in service.core.outbox.queued()] == ["buy milk"]
    # Esc is a no.
    type_into(windows.main.entry, "send call mum to my phone")
    assert wait_for(lambda: windows.prompter.dialogs, 20)
    (dialog,) = windows.prompter.dialogs.values()
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert wait_for(lambda: "notify_phone: denied" in windows.main.log.toPlainText(), 20)
    assert len(service.core.outbox.queued()) == 1


def test_a_screen_derived_request_warns_and_another_surface_can_answer_first(heron,
                                                                            wait_for):
    service, bridge, windows = heron

    async def phone_says_no_after(delay_s: float):
        await asyncio.sleep(delay_s)
        return Answer.DENY

    other = CallbackPrompter(lambda _r: phone_says_no_after(1.0))

    async def call():
        service.core.prompter.attach(other)
        try:
            return await service.core.registry.call(ToolCall(
                "take_note", {"text": "delete all files"}, origins=frozenset({"screen"})))
        finally:
            service.core.prompter.detach(other)

    future = bridge.submit(call())
    assert wait_for(lambda: windows.prompter.dialogs, 20)
    (dialog,) = windows.prompter.dialogs.values()
    assert "come from the screen" in dialog.warning.text()
    shot(dialog, "permission_dialog_untrusted")
    assert wait_for(future.done, 20)
    assert future.result().status == "denied"
    assert wait_for(lambda: not windows.prompter.dialogs)  # withdrawn from the desktop
    assert not dialog.isVisible()


def test_no_answer_in_time_is_a_timeout(qapp, wait_for):
    from gui.approval_dialog import ApprovalDialog

    request = PermissionRequest(tool="open_app", title="Open an app", args={"name": "x"},
                                action="open the app x", summary='open_app(name="x")',
                                reason="you asked to be asked",
                                offered=(Answer.ONCE, Answer.DENY),
                                origins=frozenset({Origin.FILE}))
    dialog = ApprovalDialog(request, timeout_s=0.6)
    answers = []
    dialog.answered.connect(answers.append)
    dialog.show()
    assert wait_for(lambda: answers, 5)
    assert answers == [Answer.TIMED_OUT] and not dialog.isVisible()


def test_the_dialog_lists_what_an_allow_grants_in_plain_words(qapp):
    from gui.approval_dialog import ApprovalDialog

    request = PermissionRequest(tool="runner", title="Run things", args={"cmd": "ls"},
                                action="run ls", summary='runner(cmd="ls")',
                                reason="a new version asks for more",
                                offered=(Answer.ONCE, Answer.ALWAYS, Answer.DENY),
                                scopes=("fs.read:/**", "shell", "net:*"),
                                new_scopes=("shell",))
    dialog = ApprovalDialog(request, timeout_s=30)
    dialog.show()
    shown = dialog.scopes.text()
    assert "read every file on this computer (fs.read:/**)" in shown
    assert "<b>NEW:</b> run any program (shell)" in shown
    assert "connect to any host on the network (net:*)" in shown
    assert dialog.scopes.isVisible()
    dialog.reject()


def test_a_flood_of_events_never_freezes_the_window(heron, qapp):
    from PySide6.QtCore import QTimer

    _service, _bridge, windows = heron
    w = windows.main
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    flushes = w.flushes
    t0 = time.perf_counter()
    for i in range(5000):  # a burst, as a chatty core would send
        w.on_event(Transcript(text=f"partial {i}", is_final=False))
    while time.perf_counter() - t0 < 1.0:
        qapp.processEvents()
        time.sleep(0.002)
    timer.stop()
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert w.partial.text() == "partial 4999"  # the newest partial wins
    assert w.flushes - flushes <= 3  # one batch, not 5000 repaints
    assert max(gaps) < 0.2, f"the window stalled {max(gaps) * 1000:.0f} ms"


def test_a_reply_shows_while_it_is_written_then_once_whole(heron, wait_for):
    from assistant.events import Reply, ReplyDelta

    _service, _bridge, windows = heron
    w = windows.main
    windows.show_main()
    for piece in ("Herons are ", "tall wading ", "birds"):
        w.on_event(ReplyDelta(text=piece))
    assert wait_for(lambda: w.writing.text() == "Heron: Herons are tall wading birds…", 5)
    assert "tall wading" not in w.log.toPlainText()  # not yet in the conversation
    shot(w, "main_window_writing")
    w.on_event(ReplyDelta(text="."))
    w.on_event(Reply(text="Herons are tall wading birds."))
    assert wait_for(lambda: "Heron: Herons are tall wading birds." in w.log.toPlainText(), 5)
    assert w.writing.text() == ""
    assert w.log.toPlainText().count("tall wading") == 1


def test_enrolling_from_settings_asks_for_each_sample_and_explains_a_refusal(heron,
                                                                          wait_for):
    from assistant.events import EnrolmentProgress

    _service, _bridge, windows = heron
    windows.show_settings()
    windows.settings.enrol_requested.emit()  # the "Enrol a word…" button
    dialog = windows.enrol
    assert dialog is not None and dialog.isVisible()
    # what the core reports while it records (as assistant/voice/enrolment.py publishes it)
    windows.on_event(EnrolmentProgress("hey_heron", "say", 1, 3, "Say “hey heron” now (1 of 3)"))
    windows.on_event(EnrolmentProgress("hey_heron", "heard", 1, 3, "Got it."))
    windows.on_event(EnrolmentProgress("hey_heron", "say", 2, 3, "Say “hey heron” now (2 of 3)"))
    assert dialog.prompt.text() == "Say “hey heron” now (2 of 3)"
    assert dialog.progress.value() == 1
    shot(dialog, "enrol_dialog")
    # this core has no microphone: Start is refused, with what to do
    dialog.start.click()
    assert wait_for(lambda: "no microphone" in dialog.prompt.text(), 20), dialog.prompt.text()
    assert "connect one" in dialog.prompt.text() and dialog.start.isEnabled()


def test_settings_are_saved_with_comments_and_applied_live(heron, wait_for):
    service, _bridge, windows = heron
    windows.show_settings()
    s = windows.settings
    for index in range(s.tabs.count()):
        s.tabs.setCurrentIndex(index)
        shot(s, "settings_" + s.tabs.tabText(index).replace("&", "").lower()
             .replace(" ", "_"))
    s.threshold.setValue(0.65)
    s.threshold.editingFinished.emit()
    assert wait_for(lambda: "applied: wake" in s.status.text(), 30), s.status.text()
    text = service.paths.config_file.read_text()
    assert "# my settings" in text and "threshold = 0.65" in text
    assert service.config.wake.threshold == pytest.approx(0.65)
    assert service.stack.wake.threshold == pytest.approx(0.65)  # the running detector
    s.hide()


def test_the_phone_tab_shows_a_pairing_qr_code_that_pairs(heron, wait_for):
    from assistant.companion.devices import DeviceStore

    service, _bridge, windows = heron
    windows.show_settings()
    s = windows.settings
    s.tabs.setCurrentIndex(s.tabs.count() - 1)
    s.pair_requested.emit()
    assert wait_for(lambda: s.qr.pixmap() is not None and not s.qr.pixmap().isNull(), 20)
    text = s.pair_info.text()
    code = text.split("enter ", 1)[1].split(" ", 1)[0]
    assert "http://127.0.0.1:" in text and len(code) == 8
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:  # let the tab lay the new QR code out
        wait_for(lambda: False, 0.05)
    shot(s, "settings_phone")
    # The code shown is a real one-time code: it pairs a device once.
    store = DeviceStore(service.core.storage)
    device, token = store.pair(code, "test phone")
    assert store.authenticate(token) == device
    with pytest.raises(CodedError):
        store.pair(code, "a second phone")  # once only
    s.hide()


def test_the_audit_viewer_shows_the_log_and_tampering(heron, wait_for):
    service, _bridge, windows = heron
    windows.show_audit()
    a = windows.audit
    assert wait_for(lambda: a.table.rowCount() > 0, 20)
    assert "intact" in a.banner.text()
    a.filter.setText("notify_phone")
    assert 0 < a.visible_rows() < a.table.rowCount()
    shot(a, "audit_viewer")
    with service.core.storage.transaction() as cur:  # someone edits the log behind Heron
        cur.execute("UPDATE audit SET data = replace(data, 'buy milk', 'buy beer')")
    a.refresh_requested.emit()
    assert wait_for(lambda: "tampered" in a.banner.text(), 20), a.banner.text()
