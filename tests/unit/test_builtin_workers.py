"""The built-in workers on a real database and real capability checks: files only
inside their grant, notes and reminders that survive a restart, the phone outbox,
app matching over real .desktop files."""

import asyncio
import datetime as dt
import sqlite3
import time

import pytest
from builtin_support import Recorder, ctx_for, run

from assistant.agent.router import Router
from assistant.builtins.apps import OpenApp, OpenUrl
from assistant.builtins.clipboard import ClipboardRead, ClipboardWrite
from assistant.builtins.clock import GetDate, GetTime
from assistant.builtins.desktop import DesktopError, normalize_url
from assistant.builtins.desktop_apps import DesktopApps, exec_argv, parse_desktop_file
from assistant.builtins.files import FilesOptions, FindFiles, ReadFile
from assistant.builtins.notes import ListNotes, NoteStore, TakeNote
from assistant.builtins.phone import NotifyPhone
from assistant.builtins.reminders import SetReminder, parse_at
from assistant.builtins.timers import CancelTimer, ListTimers, SetTimer
from assistant.bus import EventBus
from assistant.companion.outbox import Outbox
from assistant.events import ReminderFired
from assistant.scheduling.reminder_store import ReminderStore
from assistant.scheduling.service import Scheduler
from assistant.scheduling.timer_store import TimerStore
from assistant.storage import Storage
from assistant.tools.call import ToolCall
from assistant.tools.capabilities import Capabilities, CapabilityDenied
from assistant.tools.registry import ToolContext, ToolError

# -- notes -------------------------------------------------------------------------

def test_notes_round_trip_across_a_restart(tmp_path):
    db = tmp_path / "heron.db"
    first = Storage(db)
    take = TakeNote(NoteStore(first))
    assert run(take.run({"text": "buy milk"}, ctx_for(take, tmp_path)))["speech"] == "OK, noted."
    run(take.run({"text": "call the dentist"}, ctx_for(take, tmp_path, untrusted=True)))
    first.close()

    second = Storage(db)
    lister = ListNotes(NoteStore(second))
    out = run(lister.run({}, ctx_for(lister, tmp_path)))
    assert [n["text"] for n in out["notes"]] == ["call the dentist", "buy milk"]
    assert out["speech"] == "You have 2 notes. Call the dentist. Buy milk."
    assert out["untrusted_output"] is True  # one came from untrusted content
    assert out["notes"][0]["source"] == "voice:untrusted"
    second.close()


# -- reminders ---------------------------------------------------------------------

async def _run_for(service, seconds):
    task = asyncio.create_task(service.run())
    await asyncio.sleep(seconds)
    task.cancel()


def _scheduler(storage, store, bus, said, poll_s, clock=time.time):
    """The real scheduler over the reminders of `store` and the (empty) timers of
    `storage`."""
    return Scheduler(TimerStore(storage), store, bus, said.append, poll_s, clock)


def test_a_reminder_fires_once_across_a_restart(tmp_path):
    db = tmp_path / "heron.db"
    clock = [1_000_000.0]
    now = lambda: dt.datetime.fromtimestamp(clock[0]).astimezone()  # noqa: E731
    storage = Storage(db)
    tool = SetReminder(ReminderStore(storage, clock=lambda: clock[0]), now=now)
    out = run(tool.run({"text": "to call Sam", "seconds": 600}, ctx_for(tool, tmp_path)))
    assert out["speech"] == "OK, I'll remind you in 10 minutes: call Sam."
    storage.close()  # Heron stops; the reminder comes due while it is off

    clock[0] += 900
    bus, fired, said = EventBus(), [], []
    bus.subscribe(fired.append, ReminderFired)
    storage = Storage(db)
    store = ReminderStore(storage, clock=lambda: clock[0])
    run(_run_for(_scheduler(storage, store, bus, said, 0.05, lambda: clock[0]), 0.3))
    assert [(e.text, e.late_s) for e in fired] == [("call Sam", 300)]
    assert said == ["Reminder: call Sam. It was due 5 minutes ago, while I was not running."]
    # another start (or a second process) never fires it again
    storage = Storage(db)
    again = ReminderStore(storage, clock=lambda: clock[0])
    run(_run_for(_scheduler(storage, again, bus, said, 0.05, lambda: clock[0]), 0.2))
    assert len(fired) == 1 and again.pending() == []


def test_a_reminder_fires_on_time_while_running(storage):
    store = ReminderStore(storage)
    bus, said = EventBus(), []
    tool = SetReminder(store)
    run(tool.run({"text": "stretch", "seconds": 1}, ctx_for(tool, storage.path.parent)))
    run(_run_for(_scheduler(storage, store, bus, said, poll_s=0.05), 1.4))
    assert said == ["Reminder: stretch."]


def test_reminder_times(storage):
    base = dt.datetime(2025, 5, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert parse_at("18:30", base) == base.replace(hour=18, minute=30)
    assert parse_at("9:05", base) == base.replace(day=2, hour=9, minute=5)  # tomorrow
    assert parse_at("7 pm", base) == base.replace(hour=19)
    assert parse_at("2025-05-03T08:00", base) == base.replace(day=3, hour=8)
    tool = SetReminder(ReminderStore(storage), now=lambda: base)
    ctx = ctx_for(tool, storage.path.parent)
    out = run(tool.run({"text": "water the plants", "at": "9:05"}, ctx))
    assert out["speech"] == "OK, I'll remind you tomorrow at 9:05 AM: water the plants."
    for args, code in (({"text": "x"}, "reminder.no_time"),
                       ({"text": "x", "at": "2025-04-30T10:00"}, "reminder.in_past"),
                       ({"text": "x", "at": "25:00"}, "reminder.bad_time"),
                       ({"text": "x", "at": "9:00", "seconds": 5}, "reminder.two_times")):
        with pytest.raises(ToolError) as err:
            run(tool.run(args, ctx))
        assert err.value.code == code
    assert len(ReminderStore(storage).pending()) == 1


# -- notify_phone ------------------------------------------------------------------

def test_notify_phone_queues_a_durable_outbox_row(tmp_path):
    db = tmp_path / "heron.db"
    storage = Storage(db)
    tool, rec = NotifyPhone(Outbox(storage)), Recorder()
    out = run(tool.run({"text": "Leave at 5"}, ctx_for(tool, tmp_path, rec)))
    assert out["state"] == "queued" and "queued for your phone" in out["speech"]
    assert rec.rows == [("notify", "phone", True)]
    storage.close()
    con = sqlite3.connect(db)
    row = con.execute("SELECT kind, body, state, attempts FROM outbox").fetchone()
    assert row[0] == "phone.notify" and '"text": "Leave at 5"' in row[1]
    assert row[2:] == ("queued", 0)


def test_notify_phone_without_the_notify_grant_sends_nothing(storage, tmp_path):
    tool, rec = NotifyPhone(Outbox(storage)), Recorder()
    call = ToolCall("notify_phone", {}, call_id="c2")
    with pytest.raises(CapabilityDenied):
        run(tool.run({"text": "hi"}, ToolContext(call, Capabilities("notify_phone", (), rec))))
    assert Outbox(storage).queued() == [] and rec.rows == [("notify", "phone", False)]


# -- desktop parts that need no display ----------------------------------------------

def test_clipboard_without_a_backend_says_what_is_missing(tmp_path):
    tool = ClipboardRead()
    with pytest.raises(Exception) as err:
        run(tool.run({}, ctx_for(tool, tmp_path)))  # no backends plugged in
    assert err.value.code == "capability.unavailable"


def _desktop(dir_, name, body):
    dir_.mkdir(parents=True, exist_ok=True)
    (dir_ / f"{name}.desktop").write_text(f"[Desktop Entry]\nType=Application\n{body}\n")


def test_apps_are_matched_by_what_was_heard(tmp_path):
    apps_dir = tmp_path / "data" / "applications"
    _desktop(apps_dir, "firefox-esr", "Name=Firefox ESR\nGenericName=Web Browser\n"
                                      "Exec=/usr/lib/firefox-esr/firefox-esr %u")
    _desktop(apps_dir, "org.gnome.Calculator", "Name=Calculator\nExec=gnome-calculator")
    _desktop(apps_dir, "libreoffice-writer", "Name=LibreOffice Writer\nExec=lowriter %U")
    _desktop(apps_dir, "libreoffice-calc", "Name=LibreOffice Calc\nExec=localc %U")
    _desktop(apps_dir, "hidden", "Name=Firefox Helper\nNoDisplay=true\nExec=true")
    apps = DesktopApps(env={"XDG_DATA_HOME": str(tmp_path / "data"),
                            "XDG_DATA_DIRS": str(tmp_path / "none")})
    assert [a.name for a in apps.installed()] == [
        "Calculator", "Firefox ESR", "LibreOffice Calc", "LibreOffice Writer"]
    assert apps.match("fire fox").app_id == "firefox-esr.desktop"
    assert apps.match("the calculator app").name == "Calculator"
    assert apps.match("web browser").name == "Firefox ESR"
    assert apps.match("libre office writer").name == "LibreOffice Writer"
    assert apps.match("calculater").name == "Calculator"  # a recognition slip
    with pytest.raises(Exception) as err:
        apps.match("libre office")
    assert err.value.code == "apps.ambiguous"
    assert "LibreOffice Calc" in err.value.message and "LibreOffice Writer" in err.value.message
    with pytest.raises(Exception) as err:
        apps.match("fire folks")
    assert err.value.code == "apps.not_found"
    assert "Did you mean Firefox ESR?" in err.value.message


def test_exec_lines_become_argv(tmp_path):
    _desktop(tmp_path, "x", 'Name=My App\nIcon=myapp\n'
                            'Exec="/opt/My App/run" --name=%c %i --open %U 100%%')
    app = parse_desktop_file(tmp_path / "x.desktop", "x.desktop")
    assert exec_argv(app) == ["/opt/My App/run", "--name=My App", "--icon", "myapp",
                              "--open", "100%"]


def test_only_web_links_are_opened():
    assert normalize_url("example dot com") == "https://example.com"
    assert normalize_url("http://localhost:8080/x") == "http://localhost:8080/x"
    assert normalize_url("localhost:8080") == "https://localhost:8080"
    for bad, code in (("file:///etc/passwd", "url.scheme_not_allowed"),
                      ("javascript:alert(1)", "url.scheme_not_allowed"),
                      ("mailto:a@b.c", "url.scheme_not_allowed"),
                      ("not a url", "url.invalid")):
        with pytest.raises(DesktopError) as err:
            normalize_url(bad)
        assert err.value.code == code


# -- manifests ---------------------------------------------------------------------

def test_each_worker_asks_for_exactly_its_scopes(storage):
    store = NoteStore(storage)
    scopes = {t.manifest.name: t.manifest.permissions for t in (
        SetReminder(ReminderStore(storage)), OpenApp(), OpenUrl(), FindFiles(), ReadFile(),
        TakeNote(store), ListNotes(store), ClipboardRead(), ClipboardWrite(),
        NotifyPhone(Outbox(storage)))}
    assert scopes == {
        "set_reminder": (), "open_app": ("apps.launch",), "open_url": ("apps.launch",),
        "find_files": ("fs.read:~/**",), "read_file": ("fs.read:~/**",),
        "take_note": (), "list_notes": (), "clipboard_read": ("clipboard.read",),
        "clipboard_write": ("clipboard.write",), "notify_phone": ("notify",)}
    assert FindFiles(FilesOptions(read=("~/Documents/**", "/srv/share/**"))).manifest \
        .permissions == ("fs.read:~/Documents/**", "fs.read:/srv/share/**")


def test_the_new_workers_do_not_steal_timer_and_clock_phrases(storage):
    store = NoteStore(storage)
    tools = (GetTime, GetDate, SetTimer, ListTimers, CancelTimer)
    router = Router([t.manifest for t in tools] + [t.manifest for t in (
        SetReminder(ReminderStore(storage)), OpenApp(), OpenUrl(), FindFiles(), ReadFile(),
        TakeNote(store), ListNotes(store), ClipboardRead(), ClipboardWrite(),
        NotifyPhone(Outbox(storage)))])
    for text, tool in (("what time is it", "get_time"), ("what's the date", "get_date"),
                       ("start a 10 minute timer", "set_timer"),
                       ("set a timer for five minutes", "set_timer"),
                       ("cancel the tea timer", "cancel_timer"),
                       ("list my timers", "list_timers"),
                       ("remind me to call Sam in ten minutes", "set_reminder"),
                       ("take a note buy milk", "take_note"),
                       ("what's on my clipboard", "clipboard_read"),
                       ("send leaving now to my phone", "notify_phone")):
        match = router.route(text)
        assert match is not None and match.tool == tool, (text, match)

