"""The event bus: publish typed events to subscribers, in order, on the loop thread."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

from assistant.events import Event

log = logging.getLogger(__name__)
Handler = Callable[[Event], None]


def now_ms() -> float:
    return time.monotonic() * 1000.0


class EventBus:
    """Synchronous fan-out. Handlers must be quick (queue work elsewhere); one that
    raises is logged and does not stop delivery to the others."""

    def __init__(self) -> None:
        self._handlers: list[tuple[type[Event], Handler]] = []

    def subscribe(self, handler: Handler, event_type: type[Event] = Event) -> Callable[[], None]:
        entry = (event_type, handler)
        self._handlers.append(entry)

        def unsubscribe() -> None:
            if entry in self._handlers:
                self._handlers.remove(entry)

        return unsubscribe

    def publish(self, event: Event) -> Event:
        if not event.t_ms:
            event = replace(event, t_ms=now_ms())
        for event_type, handler in list(self._handlers):
            if isinstance(event, event_type):
                try:
                    handler(event)
                except Exception:
                    log.exception("event handler %r failed on %s", handler, event.type)
        return event
