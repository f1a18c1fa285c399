"""The push-to-talk shortcut on Wayland through xdg-desktop-portal's GlobalShortcuts
interface over D-Bus (jeepney, blocking). The desktop owns the key: we ask it to bind
one shortcut (it may show a dialog, or pick another trigger) and it tells us, with an
`Activated` signal, when the user presses it. The listener is a daemon thread that
owns the connection; `stop()` closes the portal session and the connection."""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PORTAL_BUS_NAME = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
SHORTCUTS_IFACE = "org.freedesktop.portal.GlobalShortcuts"
REQUEST_IFACE = "org.freedesktop.portal.Request"
SESSION_IFACE = "org.freedesktop.portal.Session"
SHORTCUT_ID = "push-to-talk"
DESCRIPTION = "Heron push-to-talk: start listening, or stop what Heron is doing"
_POLL_S = 0.25  # how often the listener looks at its stop flag
_NO_INTERFACE = ("org.freedesktop.DBus.Error.InvalidArgs",
                 "org.freedesktop.DBus.Error.UnknownInterface",
                 "org.freedesktop.DBus.Error.UnknownProperty",
                 "org.freedesktop.DBus.Error.UnknownMethod",
                 "org.freedesktop.DBus.Error.UnknownObject")

# pynput key names -> keysym names of the XDG shortcuts spec ("CTRL+ALT+space")
_MODIFIERS = {"ctrl": "CTRL", "ctrl_l": "CTRL", "ctrl_r": "CTRL", "alt": "ALT",
              "alt_l": "ALT", "alt_r": "ALT", "alt_gr": "ALT", "shift": "SHIFT",
              "shift_l": "SHIFT", "shift_r": "SHIFT", "cmd": "LOGO", "cmd_l": "LOGO",
              "cmd_r": "LOGO"}
_KEYS = {"space": "space", "enter": "Return", "esc": "Escape", "tab": "Tab",
         "backspace": "BackSpace", "delete": "Delete", "insert": "Insert", "home": "Home",
         "end": "End", "page_up": "Page_Up", "page_down": "Page_Down", "up": "Up",
         "down": "Down", "left": "Left", "right": "Right", "pause": "Pause",
         "print_screen": "Print", "menu": "Menu", "scroll_lock": "Scroll_Lock",
         "caps_lock": "Caps_Lock", "num_lock": "Num_Lock",
         **{f"f{n}": f"F{n}" for n in range(1, 25)}}
_CHARS = {" ": "space", ",": "comma", ".": "period", "/": "slash", ";": "semicolon",
          "'": "apostrophe", "-": "minus", "=": "equal", "[": "bracketleft",
          "]": "bracketright", "\\": "backslash", "`": "grave"}


class PortalUnavailable(Exception):
    """Why there is no portal shortcut (no bus, no portal, refused...)."""


def portal_trigger(spec: str) -> str:
    """"<ctrl>+<alt>+<space>" (pynput) -> "CTRL+ALT+space"; ValueError if it is not one."""
    mods: list[str] = []
    key = None
    for part in spec.split("+"):
        if part.startswith("<") and part.endswith(">") and len(part) > 2:
            name = part[1:-1].lower()
            if name in _MODIFIERS:
                if _MODIFIERS[name] not in mods:
                    mods.append(_MODIFIERS[name])
                continue
            if name not in _KEYS:
                raise ValueError(f"unknown key {part}")
            sym = _KEYS[name]
        elif len(part) == 1 and (part.isalnum() or part in _CHARS):
            sym = _CHARS.get(part, part.lower())
        else:
            raise ValueError(f"{part!r} is not a key")
        if key is not None:
            raise ValueError("more than one key besides the modifiers")
        key = sym
    if key is None:
        raise ValueError("no key besides the modifiers")
    return "+".join([*mods, key])


def session_bus_address(env: Mapping[str, str]) -> str | None:
    if env.get("DBUS_SESSION_BUS_ADDRESS"):
        return env["DBUS_SESSION_BUS_ADDRESS"]
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime, "bus").exists():
        return f"unix:path={runtime}/bus"
    return None


def bind_shortcut(spec: str, on_press: Callable[[], None], env: Mapping[str, str], *,
                  timeout_s: float = 5.0, confirm_timeout_s: float = 30.0
                  ) -> PortalShortcut:
    """Bind `spec` through the portal and start listening; raises PortalUnavailable.
    `confirm_timeout_s` is how long the desktop (or the user, in its dialog) may take
    to answer BindShortcuts."""
    trigger = portal_trigger(spec)  # ValueError: the caller explains the spec
    conn = _connect(env, timeout_s)
    session = None
    try:
        owner = _check_portal(conn, timeout_s)
        results = _request(conn, "CreateSession", "a{sv}", (), {
            "session_handle_token": ("s", "heron" + secrets.token_hex(6))},
            timeout_s, timeout_s)
        session = str(results.get("session_handle", ("s", ""))[1])
        if not session:
            raise PortalUnavailable("the desktop portal opened no shortcut session")
        wanted = [(SHORTCUT_ID, {"description": ("s", DESCRIPTION),
                                 "preferred_trigger": ("s", trigger)})]
        results = _request(conn, "BindShortcuts", "oa(sa{sv})sa{sv}",
                           (session, wanted, ""), {}, timeout_s, confirm_timeout_s)
        bound = dict(results.get("shortcuts", ("a(sa{sv})", []))[1])
        if SHORTCUT_ID not in bound:
            raise PortalUnavailable("the desktop did not bind the shortcut")
        shown = bound[SHORTCUT_ID].get("trigger_description", ("s", ""))[1] or trigger
        listener = PortalShortcut(conn, owner, session, str(shown), on_press)
    except BaseException:
        if session:
            _close_session(conn, session)
        conn.close()
        raise
    listener.start()
    return listener


def check_portal(env: Mapping[str, str], timeout_s: float = 2.0) -> None:
    """Raise PortalUnavailable unless the desktop's portal offers global shortcuts.
    Binds nothing, so no desktop asks the user anything (`heron doctor`)."""
    conn = _connect(env, timeout_s)
    try:
        _check_portal(conn, timeout_s)
    finally:
        conn.close()


def _connect(env: Mapping[str, str], timeout_s: float) -> Any:
    """A blocking jeepney connection to the session bus, or PortalUnavailable."""
    from jeepney.io.blocking import open_dbus_connection

    address = session_bus_address(env)
    if address is None:
        raise PortalUnavailable("there is no D-Bus session bus")
    try:
        return open_dbus_connection(address, auth_timeout=timeout_s)
    except (OSError, RuntimeError, ValueError, KeyError) as err:
        raise PortalUnavailable(f"cannot reach the D-Bus session bus ({err})") from err


def _check_portal(conn: Any, timeout_s: float) -> str:
    """The portal's unique bus name, if it has GlobalShortcuts version >= 1."""
    from jeepney import DBusAddress, Properties, message_bus
    from jeepney.io.blocking import Proxy
    from jeepney.wrappers import DBusErrorResponse

    portal = DBusAddress(PORTAL_PATH, bus_name=PORTAL_BUS_NAME, interface=SHORTCUTS_IFACE)
    try:  # this also starts a D-Bus activatable portal
        version = Proxy(Properties(portal), conn, timeout=timeout_s).get("version")[0][1]
        owner = Proxy(message_bus, conn, timeout=timeout_s).GetNameOwner(PORTAL_BUS_NAME)[0]
    except DBusErrorResponse as err:
        if err.name in _NO_INTERFACE:
            raise PortalUnavailable("the desktop portal has no global shortcuts") from err
        raise PortalUnavailable("no xdg-desktop-portal is running" if err.name ==
                                "org.freedesktop.DBus.Error.ServiceUnknown"
                                else f"the desktop portal failed ({err.name})") from err
    except TimeoutError as err:
        raise PortalUnavailable(f"the desktop portal did not answer in {timeout_s:g} s") from err
    if not isinstance(version, int) or version < 1:
        raise PortalUnavailable(f"the desktop portal's global shortcuts are v{version}")
    return str(owner)


def _request(conn: Any, method: str, signature: str, args: tuple, options: dict,
             timeout_s: float, wait_s: float) -> dict:
    """Call a portal method that answers with a Request::Response signal; its results."""
    from jeepney import DBusAddress, MatchRule, message_bus, new_method_call
    from jeepney.io.blocking import Proxy
    from jeepney.wrappers import DBusErrorResponse, unwrap_msg

    token = "heron" + secrets.token_hex(6)
    sender = conn.unique_name.lstrip(":").replace(".", "_")
    handle = f"{PORTAL_PATH}/request/{sender}/{token}"
    # Subscribe before calling: the Response may come before the method's reply.
    rule = MatchRule(type="signal", interface=REQUEST_IFACE, member="Response", path=handle)
    bus = Proxy(message_bus, conn, timeout=timeout_s)
    bus.AddMatch(rule)
    portal = DBusAddress(PORTAL_PATH, bus_name=PORTAL_BUS_NAME, interface=SHORTCUTS_IFACE)
    msg = new_method_call(portal, method, signature,
                          (*args, {**options, "handle_token": ("s", token)}))
    try:
        with conn.filter(rule) as queue:
            unwrap_msg(conn.send_and_get_reply(msg, timeout=timeout_s))
            response, results = conn.recv_until_filtered(queue, timeout=wait_s).body
    except DBusErrorResponse as err:
        raise PortalUnavailable(f"the desktop portal's {method} failed ({err.name})") from err
    except TimeoutError as err:
        raise PortalUnavailable(f"the desktop portal did not answer {method}") from err
    finally:
        try:
            bus.RemoveMatch(rule)
        except Exception:  # the connection may be gone; nothing to undo then
            pass
    if response != 0:
        raise PortalUnavailable("the shortcut was refused" if response == 1 else
                                "the desktop could not bind the shortcut")
    return results


def _close_session(conn: Any, session: str) -> None:
    from jeepney import DBusAddress, new_method_call

    try:
        address = DBusAddress(session, bus_name=PORTAL_BUS_NAME, interface=SESSION_IFACE)
        conn.send_and_get_reply(new_method_call(address, "Close"), timeout=1.0)
    except Exception as err:  # closing the connection ends the session too
        log.debug("closing the shortcut session failed: %s", err)


class PortalShortcut(threading.Thread):
    """Calls `on_press` (on this thread) for each activation of our shortcut."""

    def __init__(self, conn: Any, owner: str, session: str, trigger: str,
                 on_press: Callable[[], None]) -> None:
        super().__init__(name="heron-portal-shortcut", daemon=True)
        from jeepney import MatchRule, message_bus
        from jeepney.io.blocking import Proxy

        self.trigger = trigger
        self._conn, self._session, self._on_press = conn, session, on_press
        self._stopping = threading.Event()
        self._activated = MatchRule(type="signal", sender=owner, path=PORTAL_PATH,
                                    interface=SHORTCUTS_IFACE, member="Activated")
        self._closed = MatchRule(type="signal", path=session, interface=SESSION_IFACE,
                                 member="Closed")
        bus = Proxy(message_bus, conn, timeout=5.0)
        bus.AddMatch(self._activated)
        bus.AddMatch(self._closed)

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        closed_by_desktop = False
        try:
            while not self._stopping.is_set():
                try:
                    msg = self._conn.receive(timeout=_POLL_S)
                except TimeoutError:
                    continue
                if self._activated.matches(msg) and tuple(msg.body[:2]) == (
                        self._session, SHORTCUT_ID):
                    self._press()
                elif self._closed.matches(msg):
                    log.warning("the desktop closed the push-to-talk shortcut session")
                    closed_by_desktop = True
                    break
        except Exception as err:  # the bus went away: no more presses
            log.warning("the shortcut portal connection ended: %s", err)
        finally:
            if not closed_by_desktop:
                _close_session(self._conn, self._session)
            self._conn.close()

    def _press(self) -> None:
        try:
            self._on_press()
        except Exception:  # the listener must survive a failing callback
            log.exception("the hotkey callback failed")
