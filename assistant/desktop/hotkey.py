"""The global push-to-talk hotkey.

On X11 it is a pynput GlobalHotKeys listener; on Wayland, where one program cannot
grab keys, the desktop binds it for us through xdg-desktop-portal's GlobalShortcuts
(portal_shortcuts). Either runs on its own thread: the callback must hand over to the
event loop itself. Where neither works — no portal with global shortcuts, the desktop
refused, no display — `status` says why there is none, and the user binds
`heron --toggle` to a key in their desktop's keyboard settings (README)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

WAYLAND_HINT = "on Wayland, bind `heron --toggle` to a key in your desktop's keyboard settings"


@dataclass
class Hotkey:
    status: str  # "on: <ctrl>+<alt>+<space>" | "on: via the desktop's shortcut portal
    #              (trigger: CTRL+ALT+space)" | "off" | "unavailable: why"
    _listener: Any = None

    @property
    def active(self) -> bool:
        return self._listener is not None

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener.join(2.0)
            self._listener = None


def start_hotkey(spec: str, on_press: Callable[[], None],
                 env: dict[str, str] | None = None) -> Hotkey:
    """Listen for `spec` (pynput syntax, e.g. "<ctrl>+<alt>+<space>"); never raises."""
    env = os.environ if env is None else env
    if not spec:
        return Hotkey("off")
    if _is_wayland(env):
        return _start_portal(spec, on_press, env)
    if not env.get("DISPLAY"):
        return Hotkey("unavailable: no X display")
    try:
        from pynput import keyboard  # connects to the X server on import
    except Exception as err:  # ImportError, or Xlib's display errors
        return Hotkey(f"unavailable: cannot reach the X server ({err})")
    try:
        keyboard.HotKey.parse(spec)
    except ValueError as err:
        return _malformed(spec, err)

    def pressed() -> None:
        try:
            on_press()
        except Exception:  # the listener thread must survive a failing callback
            log.exception("the hotkey callback failed")

    class Listener(keyboard.GlobalHotKeys):
        def _run(self) -> None:
            try:
                super()._run()
            except Exception as err:  # pynput's teardown can race our stop(): harmless
                log.debug("the hotkey listener ended: %s", err)

    try:
        listener = Listener({spec: pressed})
        listener.start()
        listener.wait()
    except Exception as err:
        return Hotkey(f"unavailable: the X server refused the key listener ({err})")
    return Hotkey(f"on: {spec}", listener)


def _malformed(spec: str, err: Exception) -> Hotkey:
    return Hotkey(f"unavailable: [desktop] hotkey {spec!r} is not a key combination "
                  f"({err}); write it like \"<ctrl>+<alt>+<space>\"")


def probe_hotkey(spec: str, env: Mapping[str, str] | None = None) -> tuple[bool, str]:
    """(usable, status) of the hotkey without keeping it: on X11 it is bound and let
    go; on Wayland only the portal is asked whether it has global shortcuts, since a
    binding there may make the desktop ask the user (`heron doctor`)."""
    env = os.environ if env is None else env
    if not spec or not _is_wayland(env):
        hotkey = start_hotkey(spec, lambda: None, env)
        usable = hotkey.active or hotkey.status == "off"  # before stop() lets it go
        hotkey.stop()
        return usable, hotkey.status
    from assistant.desktop.portal_shortcuts import PortalUnavailable, check_portal

    try:
        check_portal(env)
    except PortalUnavailable as err:
        return False, f"unavailable: {err}; {WAYLAND_HINT}"
    except Exception as err:  # jeepney or the bus misbehaving: never fatal
        return False, f"unavailable: the shortcut portal failed ({err}); {WAYLAND_HINT}"
    return True, f"available via the desktop's shortcut portal (bound while Heron runs: {spec})"


def _is_wayland(env: Mapping[str, str]) -> bool:
    return bool(env.get("WAYLAND_DISPLAY")) or \
        env.get("XDG_SESSION_TYPE", "").lower() == "wayland"


def _start_portal(spec: str, on_press: Callable[[], None], env: Mapping[str, str]) -> Hotkey:
    from assistant.desktop.portal_shortcuts import PortalUnavailable, bind_shortcut

    try:
        listener = bind_shortcut(spec, on_press, env)
    except ValueError as err:
        return _malformed(spec, err)
    except PortalUnavailable as err:
        return Hotkey(f"unavailable: {err}; {WAYLAND_HINT}")
    except Exception as err:  # jeepney or the bus misbehaving: never fatal
        log.warning("the shortcut portal failed", exc_info=True)
        return Hotkey(f"unavailable: the shortcut portal failed ({err}); {WAYLAND_HINT}")
    return Hotkey(f"on: via the desktop's shortcut portal (trigger: {listener.trigger})",
                  listener)
