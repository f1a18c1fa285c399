"""The bridge between the Qt GUI thread and the core's asyncio loop (DESIGN.md §3).

The core runs `HeronService.run` on its own thread. Bus events cross to the GUI
thread as queued Qt signals: publishing only posts an event to Qt's queue, so a
slow repaint never delays the core. Commands go the other way with
`asyncio.run_coroutine_threadsafe`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from assistant.events import Event
from assistant.service import HeronService

log = logging.getLogger(__name__)


class CoreBridge(QObject):
    """Runs the core on a thread; re-emits its bus events on the GUI thread.

    Signals (always delivered on the thread that owns the bridge):
      event(Event)   every bus event, in publish order
      ready()        the core finished loading and is running
      finished(obj)  the core thread ended: None, or the exception that ended it
    """

    event = Signal(object)
    ready = Signal()
    finished = Signal(object)

    # Emitted on the core thread; queued connections hop them to the GUI thread.
    _event_from_core = Signal(object)
    _ready_from_core = Signal()
    _finished_from_core = Signal(object)
    _result_from_core = Signal(object, object)  # callback, concurrent Future

    def __init__(self, service: HeronService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._loop_ready = threading.Event()
        self._stop_requested = False
        self._unsubscribe = None
        queued = Qt.ConnectionType.QueuedConnection
        self._event_from_core.connect(self._relay_event, queued)
        self._ready_from_core.connect(self._relay_ready, queued)
        self._finished_from_core.connect(self._relay_finished, queued)
        self._result_from_core.connect(self._relay_result, queued)

    # -- GUI thread -------------------------------------------------------

    def start(self) -> None:
        """Start the core thread (once)."""
        if self._thread is not None:
            raise RuntimeError("the core is already started")
        self._unsubscribe = self.service.bus.subscribe(self._event_from_core.emit)
        self._thread = threading.Thread(target=self._thread_main, name="heron-core",
                                        daemon=True)  # daemon: a wedged core can't block exit
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Ask the core to stop and wait for its thread; True if it ended in time."""
        thread = self._thread
        if thread is None:
            return True
        self._stop_requested = True
        if self._loop_ready.wait(timeout_s) and self._loop is not None:
            try:
                self._loop.call_soon_threadsafe(self._stop.set)
            except RuntimeError:
                pass  # the loop already closed: the thread is ending on its own
        thread.join(timeout_s)
        if thread.is_alive():
            log.warning("the core did not stop within %.0f s", timeout_s)
            return False
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        return True

    def submit(self, coro: Coroutine[Any, Any, Any]) -> concurrent.futures.Future:
        """Run `coro` on the core loop; the returned Future is safe to poll from Qt."""
        loop = self._loop
        if loop is None or not self.is_running():
            coro.close()
            raise RuntimeError("the core is not running")
        return asyncio.run_coroutine_threadsafe(coro, loop)

    def request(self, coro: Coroutine[Any, Any, Any],
                on_done: Callable[[concurrent.futures.Future], None]) -> None:
        """Run `coro` on the core loop; `on_done(future)` is then called on the GUI
        thread (never blocks Qt waiting for the core)."""
        future = self.submit(coro)
        future.add_done_callback(lambda f: self._result_from_core.emit(on_done, f))

    @Slot(object, object)
    def _relay_result(self, on_done, future) -> None:
        try:
            on_done(future)
        except Exception:  # a failing GUI callback must not break the bridge
            log.exception("handling a core result failed")

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @Slot(object)
    def _relay_event(self, event: Event) -> None:
        self.event.emit(event)

    @Slot()
    def _relay_ready(self) -> None:
        self.ready.emit()

    @Slot(object)
    def _relay_finished(self, error: BaseException | None) -> None:
        self.finished.emit(error)

    # -- core thread ------------------------------------------------------

    def _thread_main(self) -> None:
        try:
            asyncio.run(self._run_core())
        except BaseException as err:  # reported to the GUI, which decides the exit code
            log.debug("core thread ended with %r", err)
            self.error = err
        finally:
            self._loop_ready.set()  # never leave stop() waiting for a loop that failed
            self._finished_from_core.emit(self.error)

    async def _run_core(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._loop_ready.set()
        if self._stop_requested:  # stop() came before the loop existed
            self._stop.set()
        await self.service.run(self._stop, on_ready=self._ready_from_core.emit)
