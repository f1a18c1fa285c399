"""A private D-Bus session bus (a real dbus-daemon) and, on it, a desktop portal that
speaks the real org.freedesktop.portal.GlobalShortcuts protocol (jeepney, its own
thread): it answers CreateSession and BindShortcuts with Request::Response signals,
records Session.Close, and emits Activated when a test says so."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from jeepney import (
    DBusAddress,
    HeaderFields,
    MessageType,
    message_bus,
    new_error,
    new_method_return,
    new_signal,
)
from jeepney.io.blocking import Proxy, open_dbus_connection

PORTAL_BUS_NAME = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
SHORTCUTS_IFACE = "org.freedesktop.portal.GlobalShortcuts"


class FakePortal:
    """`refuse` = (method, response code) answers that method with a refusal;
    `trigger_description` is what the 'compositor' says the trigger is ("" = nothing)."""

    def __init__(self, address: str, *, shortcuts: bool = True,
                 refuse: tuple[str, int] | None = None,
                 trigger_description: str = "") -> None:
        self.shortcuts, self.refuse = shortcuts, refuse
        self.trigger_description = trigger_description
        self.sessions: list[str] = []
        self.bound: list[tuple[str, dict]] = []  # (id, {"description", "preferred_trigger"})
        self.closed: list[str] = []
        self._outbox: list[tuple] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._conn = open_dbus_connection(address)
        Proxy(message_bus, self._conn, timeout=5).RequestName(PORTAL_BUS_NAME, 4)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def activate(self, session: str, shortcut_id: str) -> None:
        with self._lock:
            self._outbox.append((session, shortcut_id))

    def wait_for(self, check: Callable[[], bool], timeout_s: float = 10) -> bool:
        deadline = time.monotonic() + timeout_s
        while not check():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        self._conn.close()

    def _serve(self) -> None:
        shortcuts = DBusAddress(PORTAL_PATH, interface=SHORTCUTS_IFACE)
        while not self._stopping.is_set():
            with self._lock:
                outbox, self._outbox = self._outbox, []
            for session, shortcut_id in outbox:
                self._conn.send(new_signal(shortcuts, "Activated", "osta{sv}",
                                           (session, shortcut_id, 12345, {})))
            try:
                msg = self._conn.receive(timeout=0.05)
            except TimeoutError:
                continue
            if msg.header.message_type == MessageType.method_call:
                self._answer(msg)

    def _answer(self, msg) -> None:
        fields = msg.header.fields
        member, iface = fields.get(HeaderFields.member), fields.get(HeaderFields.interface)
        sender = fields[HeaderFields.sender].lstrip(":").replace(".", "_")
        if iface == "org.freedesktop.DBus.Properties" and member == "Get":
            if self.shortcuts and tuple(msg.body) == (SHORTCUTS_IFACE, "version"):
                self._conn.send(new_method_return(msg, "v", (("u", 1),)))
            else:
                self._conn.send(new_error(msg, "org.freedesktop.DBus.Error.InvalidArgs",
                                          "s", ("No such interface",)))
        elif iface == SHORTCUTS_IFACE and self.shortcuts and member == "CreateSession":
            (options,) = msg.body
            session = f"{PORTAL_PATH}/session/{sender}/{options['session_handle_token'][1]}"
            self.sessions.append(session)
            self._respond(msg, sender, options, {"session_handle": ("s", session)})
        elif iface == SHORTCUTS_IFACE and self.shortcuts and member == "BindShortcuts":
            _session, wanted, _parent, options = msg.body
            self.bound.extend((sid, {k: v[1] for k, v in info.items()}) for sid, info in wanted)
            extra = ({"trigger_description": ("s", self.trigger_description)}
                     if self.trigger_description else {})
            self._respond(msg, sender, options, {"shortcuts": ("a(sa{sv})", [
                (sid, {"description": info["description"], **extra})
                for sid, info in wanted])})
        elif iface == "org.freedesktop.portal.Session" and member == "Close":
            self.closed.append(fields[HeaderFields.path])
            self._conn.send(new_method_return(msg))
        else:
            self._conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod"))

    def _respond(self, msg, sender: str, options: dict, results: dict) -> None:
        handle = f"{PORTAL_PATH}/request/{sender}/{options['handle_token'][1]}"
        self._conn.send(new_method_return(msg, "o", (handle,)))
        code = 0
        if self.refuse and self.refuse[0] == msg.header.fields[HeaderFields.member]:
            code, results = self.refuse[1], {}
        request = DBusAddress(handle, interface="org.freedesktop.portal.Request")
        self._conn.send(new_signal(request, "Response", "ua{sv}", (code, results)))
