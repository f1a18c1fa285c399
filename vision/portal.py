"""Screen capture on Wayland through the xdg-desktop-portal Screenshot interface over
D-Bus (jeepney). X11 capture (mss) only sees XWayland windows there, so this is the one
way to see the whole screen; the desktop may ask the user to allow it."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from vision.errors import VisionError

log = logging.getLogger(__name__)

PORTAL_BUS_NAME = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
SCREENSHOT_IFACE = "org.freedesktop.portal.Screenshot"
REQUEST_IFACE = "org.freedesktop.portal.Request"
NO_PORTAL_HINT = ("install xdg-desktop-portal and your desktop's backend "
                  "(xdg-desktop-portal-gnome, -kde or -wlr), then log in again; "
                  "or use `heron look IMAGE` on a screenshot you take yourself")


def is_wayland(env: dict[str, str] | None = None) -> bool:
    """A Wayland session: XDG_SESSION_TYPE says so, or a Wayland socket is named."""
    env = os.environ if env is None else env
    return env.get("XDG_SESSION_TYPE", "").lower() == "wayland" or bool(env.get("WAYLAND_DISPLAY"))


@dataclass(frozen=True)
class PortalShot:
    path: Path  # the PNG the portal wrote; the caller reads it, then it is removed


def _no_portal(why: str) -> VisionError:
    return VisionError("vision.wayland_no_portal",
                       f"cannot capture the screen on Wayland: {why}", NO_PORTAL_HINT)


def portal_screenshot(timeout_s: float = 30.0, interactive: bool = False) -> PortalShot:
    """Ask the portal for a screenshot of the whole screen and wait for its answer
    (the user may have to confirm it: that is what `timeout_s` waits for)."""
    try:
        from jeepney import DBusAddress, MatchRule, message_bus, new_method_call
        from jeepney.io.blocking import Proxy, open_dbus_connection
        from jeepney.wrappers import DBusErrorResponse, unwrap_msg
    except ImportError as err:  # a declared dependency; only a broken install lacks it
        raise _no_portal("the jeepney D-Bus library is missing") from err
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") and not Path(
            f"/run/user/{os.getuid()}/bus").exists():
        raise _no_portal("there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
    try:
        conn = open_dbus_connection(bus="SESSION")
    except (OSError, KeyError, ValueError) as err:
        raise _no_portal(f"cannot reach the D-Bus session bus ({err})") from err
    with conn:
        token = "heron" + secrets.token_hex(6)
        sender = conn.unique_name.lstrip(":").replace(".", "_")
        handle = f"{PORTAL_PATH}/request/{sender}/{token}"
        # Subscribe before calling: the Response signal may come before the reply.
        rule = MatchRule(type="signal", interface=REQUEST_IFACE, member="Response",
                         path=handle)
        Proxy(message_bus, conn).AddMatch(rule)
        portal = DBusAddress(PORTAL_PATH, bus_name=PORTAL_BUS_NAME, interface=SCREENSHOT_IFACE)
        options = {"handle_token": ("s", token), "interactive": ("b", interactive)}
        with conn.filter(rule) as queue:
            msg = new_method_call(portal, "Screenshot", "sa{sv}", ("", options))
            try:
                unwrap_msg(conn.send_and_get_reply(msg, timeout=5.0))
            except DBusErrorResponse as err:
                if err.name in ("org.freedesktop.DBus.Error.ServiceUnknown",
                                "org.freedesktop.DBus.Error.UnknownInterface",
                                "org.freedesktop.DBus.Error.UnknownMethod",
                                "org.freedesktop.DBus.Error.UnknownObject"):
                    raise _no_portal("no xdg-desktop-portal with a Screenshot interface "
                                     "is running") from err
                raise VisionError("vision.capture_failed", f"the screenshot portal failed: {err}",
                                  "check `journalctl --user -u xdg-desktop-portal`") from err
            except TimeoutError as err:
                raise _no_portal("the portal did not answer within 5 s") from err
            try:
                signal = conn.recv_until_filtered(queue, timeout=timeout_s)
            except TimeoutError as err:
                raise VisionError("vision.portal_denied",
                                  f"no answer to the screenshot request within {timeout_s:g} s",
                                  "allow Heron to take screenshots when your desktop asks"
                                  ) from err
    response, results = signal.body
    if response != 0:
        raise VisionError("vision.portal_denied",
                          "the screenshot was refused" if response == 1
                          else "the desktop could not take the screenshot",
                          "allow Heron to take screenshots in your desktop's privacy settings")
    uri = results.get("uri", ("s", ""))[1]
    parsed = urlparse(uri)
    if parsed.scheme != "file" or not parsed.path:
        raise VisionError("vision.capture_failed", f"the portal returned no file ({uri!r})",
                          "update xdg-desktop-portal and its backend")
    return PortalShot(Path(unquote(parsed.path)))
