"""The push-to-talk hotkey on Wayland through the desktop's GlobalShortcuts portal, on a
real private D-Bus bus with a portal peer speaking the real protocol: bound, pressed
(only our session's shortcut counts), closed on stop; a refusing, missing or
shortcut-less portal, or no bus at all, falls back to the `heron --toggle` hint."""

from __future__ import annotations

import threading

import pytest
from helpers import private_session_bus
from jeepney import DBusAddress, message_bus, new_signal
from jeepney.io.blocking import Proxy, open_dbus_connection
from portal_peer import PORTAL_PATH, SHORTCUTS_IFACE, FakePortal

from assistant.desktop.hotkey import WAYLAND_HINT, start_hotkey
from assistant.desktop.portal_shortcuts import SHORTCUT_ID, portal_trigger

pytestmark = pytest.mark.timeout(60)
SPEC = "<ctrl>+<alt>+<space>"


@pytest.fixture
def bus(tmp_path):
    with private_session_bus(tmp_path) as address:
        yield address


@pytest.fixture
def portal(bus):
    started: list[FakePortal] = []

    def start(**kwargs) -> FakePortal:
        started.append(FakePortal(bus, **kwargs))
        return started[-1]

    yield start
    for peer in started:
        peer.stop()


def wayland(bus: str) -> dict[str, str]:
    return {"WAYLAND_DISPLAY": "wayland-0", "DBUS_SESSION_BUS_ADDRESS": bus}


class Presses:
    def __init__(self) -> None:
        self.count, self.threads, self._cond = 0, set(), threading.Condition()

    def __call__(self) -> None:
        with self._cond:
            self.count += 1
            self.threads.add(threading.current_thread().name)
            self._cond.notify_all()

    def wait(self, count: int) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.count >= count, timeout=10)


def spoof_activated(bus: str, session: str) -> None:
    """Another client on the bus (not the portal) sends an Activated for our session."""
    with open_dbus_connection(bus) as conn:
        conn.send(new_signal(DBusAddress(PORTAL_PATH, interface=SHORTCUTS_IFACE),
                             "Activated", "osta{sv}", (session, SHORTCUT_ID, 1, {})))
        Proxy(message_bus, conn, timeout=5).GetId()  # the bus has routed it by now


def test_the_portal_binds_our_shortcut_and_its_presses_reach_us(bus, portal):
    peer = portal(trigger_description="Super+H")
    presses = Presses()
    hotkey = start_hotkey(SPEC, presses, env=wayland(bus))
    listener = hotkey._listener
    try:
        assert hotkey.active, hotkey.status
        assert hotkey.status.startswith("on:") and "portal" in hotkey.status
        assert "(trigger: Super+H)" in hotkey.status  # what the compositor chose
        assert peer.bound == [(SHORTCUT_ID, {"description": peer.bound[0][1]["description"],
                                             "preferred_trigger": "CTRL+ALT+space"})]
        (session,) = peer.sessions
        peer.activate(session + "x", SHORTCUT_ID)  # another session's shortcut
        peer.activate(session, "something-else")
        spoof_activated(bus, session)
        peer.activate(session, SHORTCUT_ID)
        assert presses.wait(1), "the press never arrived"
        peer.activate(session, SHORTCUT_ID)
        assert presses.wait(2), "the second press never arrived"
        assert presses.threads == {listener.name}  # on the listener's thread
    finally:
        hotkey.stop()
    assert presses.count == 2
    assert not listener.is_alive() and not hotkey.active
    assert peer.wait_for(lambda: peer.closed == [session]), "the session was not closed"


def test_without_a_trigger_description_the_status_shows_the_one_we_asked_for(bus, portal):
    portal()
    hotkey = start_hotkey("<cmd>+h", lambda: None, env=wayland(bus))
    try:
        assert hotkey.status == "on: via the desktop's shortcut portal (trigger: LOGO+h)"
    finally:
        hotkey.stop()


@pytest.mark.parametrize("refuse", [("BindShortcuts", 1), ("BindShortcuts", 2),
                                    ("CreateSession", 1)])
def test_a_refusing_portal_falls_back_to_the_hint(bus, portal, refuse):
    peer = portal(refuse=refuse)
    hotkey = start_hotkey(SPEC, lambda: None, env=wayland(bus))
    assert not hotkey.active
    assert hotkey.status.startswith("unavailable:") and WAYLAND_HINT in hotkey.status
    if refuse[0] == "BindShortcuts":  # the session it did open is closed again
        assert peer.wait_for(lambda: peer.closed == peer.sessions)


def test_a_portal_without_global_shortcuts_falls_back_to_the_hint(bus, portal):
    portal(shortcuts=False)
    hotkey = start_hotkey(SPEC, lambda: None, env=wayland(bus))
    assert not hotkey.active and "no global shortcuts" in hotkey.status
    assert WAYLAND_HINT in hotkey.status


def test_no_portal_or_no_bus_falls_back_to_the_hint(bus):
    nobody = start_hotkey(SPEC, lambda: None, env=wayland(bus))  # nobody owns the name
    assert not nobody.active and "no xdg-desktop-portal" in nobody.status
    assert WAYLAND_HINT in nobody.status
    no_bus = start_hotkey(SPEC, lambda: None, env={"XDG_SESSION_TYPE": "wayland"})
    assert not no_bus.active and "no D-Bus session bus" in no_bus.status
    assert WAYLAND_HINT in no_bus.status


def test_a_malformed_combination_is_explained_on_wayland_too(bus):
    bad = start_hotkey("<ctrl>+<nosuchkey>", lambda: None, env=wayland(bus))
    assert not bad.active and "[desktop] hotkey" in bad.status


def test_pynput_combinations_become_shortcut_spec_triggers():
    assert portal_trigger("<ctrl>+<alt>+<space>") == "CTRL+ALT+space"
    assert portal_trigger("<shift>+<ctrl_l>+<f9>") == "SHIFT+CTRL+F9"
    assert portal_trigger("<cmd>+/") == "LOGO+slash"
    for bad in ("<ctrl>", "<ctrl>+a+b", "<ctrl>+<nosuchkey>", "<ctrl>+ab"):
        with pytest.raises(ValueError):
            portal_trigger(bad)


def test_the_doctor_asks_the_portal_without_binding_anything(bus, portal):
    """`heron doctor` must not make the desktop ask the user to confirm a shortcut."""
    from assistant.desktop.hotkey import probe_hotkey

    peer = portal()
    usable, status = probe_hotkey(SPEC, env=wayland(bus))
    assert usable and "shortcut portal" in status
    assert peer.sessions == [] and peer.bound == []
    peer.stop()
    usable, status = probe_hotkey(SPEC, env=wayland(bus))
    assert not usable and WAYLAND_HINT in status
