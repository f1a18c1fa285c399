"""X11 windows: the list (id, title, class, geometry, stacking) and the active one, read
with python-xlib. EWMH properties when a window manager provides them; the bare X tree
and the input focus when none runs (Xvfb, kiosks)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from vision.errors import VisionError
from vision.types import Box

log = logging.getLogger(__name__)

NO_DISPLAY_HINT = ("run Heron inside your desktop session (DISPLAY must be set), "
                   "or analyse a saved screenshot with `heron look IMAGE`")


@dataclass(frozen=True)
class WindowInfo:
    """A top-level window. `box` is its outer frame on the screen (title bar included
    when the window manager reports _NET_FRAME_EXTENTS); `stack` 0 is the bottom."""

    id: int
    title: str
    wm_class: str  # "instance.Class", e.g. "gnome-terminal-server.Gnome-terminal"
    box: Box
    stack: int = 0
    pid: int | None = None

    def matches(self, titles: tuple[str, ...], classes: tuple[str, ...]) -> bool:
        """Whether a title or class substring (case-insensitive) names this window."""
        title, cls = self.title.casefold(), self.wm_class.casefold()
        return (any(t.casefold() in title for t in titles if t)
                or any(c.casefold() in cls for c in classes if c))

    def to_dict(self) -> dict:
        return {"id": hex(self.id), "title": self.title, "class": self.wm_class,
                "box": self.box.to_dict(), "stack": self.stack, "pid": self.pid}


def display_name(explicit: str = "") -> str:
    """The X display to use; VisionError(vision.no_display) when there is none."""
    name = explicit or os.environ.get("DISPLAY", "")
    if not name:
        raise VisionError("vision.no_display", "no display to look at: DISPLAY is not set",
                          NO_DISPLAY_HINT)
    return name


class X11Windows:
    """One connection to an X server for window queries. Not thread-safe: the owner
    (ScreenCapture) serialises calls."""

    def __init__(self, display: str = "") -> None:
        from Xlib import X
        from Xlib import display as xdisplay
        from Xlib import error as xerror

        self._X = X
        self._xerror = xerror
        name = display_name(display)
        try:
            self._d = xdisplay.Display(name)
        except (xerror.DisplayError, OSError) as err:
            raise VisionError("vision.no_display", f"cannot connect to display {name}: {err}",
                              NO_DISPLAY_HINT) from err
        self.name = name
        self._root = self._d.screen().root
        self._atoms: dict[str, int] = {}

    def close(self) -> None:
        self._d.close()

    # -- properties ------------------------------------------------------------------
    def _atom(self, name: str) -> int:
        if name not in self._atoms:
            self._atoms[name] = self._d.intern_atom(name)
        return self._atoms[name]

    def _prop(self, win: Any, name: str, kind: int | None = None) -> Any:
        try:
            prop = win.get_full_property(self._atom(name), kind if kind is not None
                                         else self._X.AnyPropertyType)
        except self._xerror.XError:  # the window went away between list and query
            return None
        return prop.value if prop is not None else None

    def _title(self, win: Any) -> str:
        value = self._prop(win, "_NET_WM_NAME", self._atom("UTF8_STRING"))
        if value is None:
            value = self._prop(win, "WM_NAME")
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
        return str(value or "")

    def _class(self, win: Any) -> str:
        value = self._prop(win, "WM_CLASS")
        if isinstance(value, bytes):
            parts = [p.decode("utf-8", "replace") for p in value.split(b"\0") if p]
            return ".".join(parts)
        return str(value or "")

    def _frame_box(self, win: Any) -> Box | None:
        try:
            geo = win.get_geometry()
            pos = win.translate_coords(self._root, 0, 0)
            attrs = win.get_attributes()
        except self._xerror.XError:
            return None
        if attrs.map_state != self._X.IsViewable:
            return None  # minimised, on another desktop or not shown yet
        # translate_coords gives the root position relative to the window: negate it.
        box = Box(-pos.x, -pos.y, geo.width, geo.height)
        extents = self._prop(win, "_NET_FRAME_EXTENTS")
        if extents is not None and len(extents) == 4:
            left, right, top, bottom = (int(v) for v in extents)
            box = Box(box.x - left, box.y - top, box.w + left + right, box.h + top + bottom)
        return box

    # -- windows ---------------------------------------------------------------------
    def _client_ids(self) -> list[int]:
        """Top-level client windows, bottom to top."""
        stacking = self._prop(self._root, "_NET_CLIENT_LIST_STACKING")
        if stacking is not None:
            return [int(w) for w in stacking]
        clients = self._prop(self._root, "_NET_CLIENT_LIST")
        if clients is not None:
            return [int(w) for w in clients]
        # No window manager: the root's children are the top-level windows, in
        # stacking order; only those with a name or class are application windows.
        return [int(child.id) for child in self._root.query_tree().children]

    def windows(self) -> list[WindowInfo]:
        """Every visible top-level window, bottom of the stack first."""
        out: list[WindowInfo] = []
        for stack, (wid, title, cls) in enumerate(self._named()):
            info = self._info(wid, title, cls, stack)
            if info is not None:
                out.append(info)
        return out

    def _named(self) -> list[tuple[int, str, str]]:
        named = []
        for wid in self._client_ids():
            win = self._d.create_resource_object("window", wid)
            title, cls = self._title(win), self._class(win)
            if title or cls:
                named.append((wid, title, cls))
        return named

    def _info(self, wid: int, title: str, cls: str, stack: int) -> WindowInfo | None:
        win = self._d.create_resource_object("window", wid)
        box = self._frame_box(win)
        if box is None or box.area == 0:
            return None
        pid = self._prop(win, "_NET_WM_PID")
        return WindowInfo(wid, title, cls, box, stack,
                          int(pid[0]) if pid is not None and len(pid) else None)

    def exclusion_stack(self, titles: tuple[str, ...], classes: tuple[str, ...]
                        ) -> list[tuple[WindowInfo, bool]]:
        """The windows that decide what to black out: from the lowest excluded window
        up, each with whether it is excluded. Names are read for every window but
        geometry only for these, so a capture with nothing excluded on screen stays
        fast (a geometry query is four round trips to the X server per window)."""
        named = self._named()
        probe = [WindowInfo(wid, title, cls, Box(0, 0, 0, 0)) for wid, title, cls in named]
        flags = [w.matches(titles, classes) for w in probe]
        if not any(flags):
            return []
        lowest = flags.index(True)
        out = []
        for stack in range(lowest, len(named)):
            info = self._info(*named[stack], stack)
            if info is not None:
                out.append((info, flags[stack]))
        return out

    def active_window(self) -> WindowInfo:
        """The window with the focus: EWMH _NET_ACTIVE_WINDOW, else the input focus's
        top-level window. VisionError(vision.no_window) when nothing has the focus."""
        wid = 0
        active = self._prop(self._root, "_NET_ACTIVE_WINDOW")
        if active is not None and len(active):
            wid = int(active[0])
        if not wid:
            wid = self._focus_toplevel()
        if wid:
            for info in self.windows():
                if info.id == wid:
                    return info
        raise VisionError("vision.no_window", "no window has the focus",
                          "click the window you mean, or capture the screen or a region")

    def _focus_toplevel(self) -> int:
        try:
            focus = self._d.get_input_focus().focus
        except self._xerror.XError:
            return 0
        if not hasattr(focus, "query_tree"):  # PointerRoot or None: an int, not a window
            return 0
        win = focus
        root_id = int(self._root.id)
        while True:
            if int(win.id) == root_id:
                return 0
            try:
                parent = win.query_tree().parent
            except self._xerror.XError:
                return 0
            if int(parent.id) == root_id:
                return int(win.id)
            win = parent
