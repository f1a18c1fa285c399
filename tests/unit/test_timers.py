"""Timers live in SQLite: they survive a restart and still fire exactly once, from the
one scheduler that also fires reminders."""

import asyncio
import json
import time

from assistant.bus import EventBus
from assistant.events import ReminderFired, Stage, StageError, TimerFired
from assistant.scheduling.reminder_store import ReminderState, ReminderStore
from assistant.scheduling.service import Scheduler
from assistant.scheduling.timer_store import TimerState, TimerStore
from assistant.storage import Storage
from assistant.supervisor import supervised


async def _run_for(service, seconds):
    task = asyncio.create_task(service.run())
    await asyncio.sleep(seconds)
    task.cancel()


def _scheduler(storage, store, bus, cls=Scheduler, **kwargs):
    """The real scheduler over the timers of `store` and the (empty) reminders of
    `storage`."""
    return cls(store, ReminderStore(storage), bus, **kwargs)


def test_timer_fires_with_an_event_and_an_announcement(tmp_path):
    storage = Storage(tmp_path / "heron.db")
    store = TimerStore(storage)
    bus, fired, said = EventBus(), [], []
    bus.subscribe(fired.append, TimerFired)
    store.add(1, "tea")
    asyncio.run(_run_for(_scheduler(storage, store, bus, announce=said.append, poll_s=0.05),
                         1.5))
    assert [(e.label, e.duration_s) for e in fired] == [("tea", 1)]
    assert fired[0].late_s < 0.5
    assert said == ["Your tea timer is done."]
    assert store.pending() == []


def test_timer_survives_a_restart_and_fires_late_once(tmp_path):
    db = tmp_path / "heron.db"
    clock = [1000.0]
    storage = Storage(db)
    TimerStore(storage, clock=lambda: clock[0]).add(60)
    storage.close()  # Heron stops; the timer comes due while it is off

    clock[0] += 600
    storage = Storage(db)
    store = TimerStore(storage, clock=lambda: clock[0])
    assert len(store.pending()) == 1
    bus, fired, said = EventBus(), [], []
    bus.subscribe(fired.append, TimerFired)
    service = _scheduler(storage, store, bus, announce=said.append, poll_s=0.05,
                         clock=lambda: clock[0])
    asyncio.run(_run_for(service, 0.3))
    assert len(fired) == 1 and fired[0].late_s == 540
    assert said == ["Your 1 minute timer finished 9 minutes ago, while I was not running."]
    # a second process (or restart) never fires it again
    again = Storage(db)
    asyncio.run(_run_for(_scheduler(again, TimerStore(again), bus, poll_s=0.05), 0.2))
    assert len(fired) == 1


def test_a_timer_added_by_another_process_is_noticed(tmp_path):
    db = tmp_path / "heron.db"
    storage = Storage(db)
    store = TimerStore(storage)
    bus, fired = EventBus(), []
    bus.subscribe(fired.append, TimerFired)

    async def scenario():
        task = asyncio.create_task(_scheduler(storage, store, bus, poll_s=0.1).run())
        await asyncio.sleep(0.2)
        TimerStore(Storage(db)).add(1, "other")  # e.g. `heron ask` in another process
        await asyncio.sleep(1.5)
        task.cancel()

    asyncio.run(scenario())
    assert [e.label for e in fired] == ["other"]


class _PastaBreaks(Scheduler):
    """Firing the pasta timer hits a bug; the others fire as usual."""

    async def _fire_timer(self, t, late_s):
        if t.label == "pasta":
            raise RuntimeError("injected: firing pasta broke")
        await super()._fire_timer(t, late_s)


def test_one_timer_failing_to_fire_does_not_lose_the_others_due_with_it(tmp_path, caplog):
    clock = [1000.0]
    storage = Storage(tmp_path / "heron.db")
    store = TimerStore(storage, clock=lambda: clock[0])
    for label in ("pasta", "rice", "tea"):  # one batch: all due at the same moment
        store.add(60, label)
    clock[0] += 60
    bus, fired, said = EventBus(), [], []
    bus.subscribe(fired.append, TimerFired)
    service = _scheduler(storage, store, bus, _PastaBreaks, announce=said.append,
                         poll_s=0.05, clock=lambda: clock[0])
    asyncio.run(_run_for(service, 0.3))
    assert [e.label for e in fired] == ["rice", "tea"]
    assert said == ["Your rice timer is done.", "Your tea timer is done."]
    assert "injected: firing pasta broke" in caplog.text
    assert "Traceback" not in caplog.text  # only with -v (debug), never at the user
    assert store.pending() == []


def test_cancelling_the_service_while_a_timer_fires_still_stops_it(tmp_path):
    storage = Storage(tmp_path / "heron.db")
    store = TimerStore(storage, clock=lambda: 1000.0)
    store.add(0, "slow")
    announcing = asyncio.Event()

    async def announce(text):
        announcing.set()
        await asyncio.Event().wait()  # a speaker that never finishes

    async def scenario():
        service = _scheduler(storage, store, EventBus(), announce=announce, poll_s=0.05,
                             clock=lambda: 1000.0)
        task = asyncio.create_task(service.run())
        await announcing.wait()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return task.cancelled()

    assert asyncio.run(scenario())


def test_one_scheduler_fires_timers_and_reminders_due_while_heron_was_off_once(tmp_path):
    db = tmp_path / "heron.db"
    clock = [1000.0]
    storage = Storage(db)
    TimerStore(storage, clock=lambda: clock[0]).add(60, "tea")
    ReminderStore(storage, clock=lambda: clock[0]).add("call Sam", 1000.0 + 120)
    storage.close()  # Heron stops; both come due while it is off

    clock[0] += 600
    bus, events, said = EventBus(), [], []
    bus.subscribe(events.append, TimerFired)
    bus.subscribe(events.append, ReminderFired)
    for _ in range(2):  # a restart (or a second process) fires neither again
        again = Storage(db)
        service = Scheduler(TimerStore(again, clock=lambda: clock[0]),
                            ReminderStore(again, clock=lambda: clock[0]), bus,
                            announce=said.append, poll_s=0.05, clock=lambda: clock[0])
        asyncio.run(_run_for(service, 0.3))
        again.close()
    assert [(e.type, e.late_s) for e in events] == [("TimerFired", 540), ("ReminderFired", 480)]
    assert said == ["Your tea timer finished 9 minutes ago, while I was not running.",
                    "Reminder: call Sam. It was due 8 minutes ago, while I was not running."]


class _UnreadableTimers(TimerStore):
    """A timers table Heron cannot read (a corrupt row, a broken disk)."""

    def claim_due(self, now: float) -> list:
        raise ValueError("timer 7 has no due time")


def test_a_timer_store_that_cannot_be_read_never_holds_up_the_reminders(tmp_path):
    """As `heron run` supervises them: each store's loop on its own; the broken one is
    reported (and restarted), the reminder is still said on time."""
    storage = Storage(tmp_path / "heron.db")
    ReminderStore(storage).add("call Sam", time.time() + 0.5)
    bus, fired, crashed = EventBus(), [], []
    bus.subscribe(fired.append, ReminderFired)
    bus.subscribe(crashed.append, StageError)
    scheduler = Scheduler(_UnreadableTimers(storage), ReminderStore(storage), bus,
                          poll_s=0.05)

    async def run_for(seconds: float) -> None:
        tasks = [asyncio.create_task(supervised(Stage.SCHEDULER, loop, bus, tmp_path))
                 for loop in scheduler.loops().values()]
        await asyncio.sleep(seconds)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(run_for(1.5))
    storage.close()
    assert [e.text for e in fired] == ["call Sam"] and fired[0].late_s < 0.3
    assert crashed and "timer 7 has no due time" in crashed[0].message
    assert {e.stage for e in crashed} == {"scheduler"}


def test_states_read_back_from_sqlite_are_members_stored_as_the_plain_text(tmp_path):
    storage = Storage(tmp_path / "heron.db")
    timers, reminders = TimerStore(storage), ReminderStore(storage)
    timers.pause([timers.add(60, "tea")])
    reminders.add("call Sam", 2e9)
    [tea], [call] = timers.pending(), reminders.pending()
    assert type(tea.state) is TimerState and tea.state is TimerState.PAUSED
    assert type(call.state) is ReminderState and call.state is ReminderState.PENDING
    assert json.loads(json.dumps(tea.to_dict()))["state"] == "paused"
    assert [r["state"] for r in storage.query("SELECT state FROM timers")] == ["paused"]
    # Every member is a value the tables' CHECK constraints accept (the schema is as it was).
    with storage.transaction() as cur:
        for state in TimerState:
            cur.execute("INSERT INTO timers(label, duration_s, created_at, due_at, state) "
                        "VALUES ('x', 1, 0, 0, ?)", (state,))
        for state in ReminderState:
            cur.execute("INSERT INTO reminders(text, created_at, due_at, state) "
                        "VALUES ('x', 0, 0, ?)", (state,))
