"""Screen capture against a real X server (Xvfb) with a real window manager (openbox,
so EWMH active window, stacking and frames are real) and real Tk windows showing known
text: every target, exclusions, OCR boxes on the screen, and the coded errors for a
bad region, a missing display and Wayland without a screenshot portal."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from helpers import private_session_bus

from bench.xserver import XServer, XServerError, stop_process
from vision.capture import CaptureOptions, CaptureTarget, ScreenCapture
from vision.errors import VisionError
from vision.types import Box
from vision.windows import WindowInfo, X11Windows

pytestmark = pytest.mark.gui

FIX = "install the test tools with `scripts/system-deps.sh test`"
WINDOW_SCRIPT = r"""
import sys, tkinter as tk
title, cls, text, geometry, bg, fg = sys.argv[1:7]
root = tk.Tk(className=cls)
root.title(title)
root.geometry(geometry)
root.configure(bg=bg)
tk.Label(root, text=text, font=("DejaVu Sans", 26), bg=bg, fg=fg).pack(expand=True, fill="both")
root.mainloop()
"""


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:  # a failure, not a skip: the machine lacks what the test needs
        pytest.fail(f"`{name}` is not installed; {FIX}", pytrace=False)
    return path


@dataclass
class Desktop:
    display: str
    procs: list[subprocess.Popen]

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("WAYLAND_DISPLAY", "XDG_SESSION_TYPE")}
        return {**env, "DISPLAY": self.display}

    def show(self, title: str, cls: str, text: str, geometry: str,
             bg: str = "#ffffff", fg: str = "#000000") -> WindowInfo:
        """Open a Tk window and wait until the window manager has mapped it."""
        proc = subprocess.Popen([sys.executable, "-c", WINDOW_SCRIPT, title, cls, text,
                                 geometry, bg, fg], env=self.env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.procs.append(proc)
        x11 = X11Windows(self.display)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                found = [w for w in x11.windows() if w.title == title]
                if found:
                    time.sleep(0.5)  # let Tk draw its label
                    return next(w for w in x11.windows() if w.title == title)
                if proc.poll() is not None:
                    pytest.fail(f"window {title!r} died: {proc.stderr.read().decode()[-400:]}")
                time.sleep(0.1)
        finally:
            x11.close()
        pytest.fail(f"window {title!r} never appeared on {self.display}")

    def xdotool(self, *args: str) -> None:
        subprocess.run([tool("xdotool"), *args], env=self.env(), check=True, timeout=30,
                       capture_output=True)


@pytest.fixture(scope="module")
def desktop() -> Iterator[Desktop]:
    """Xvfb (full HD, on a display number it picks itself) + openbox + three windows."""
    try:
        xserver = XServer.start()
    except XServerError as err:
        pytest.fail(f"{err.message}; install the test tools with `scripts/system-deps.sh test`")
    desk = Desktop(xserver.display, [])
    wm = subprocess.Popen([tool("openbox"), "--sm-disable"], env=desk.env(),
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        x11 = X11Windows(desk.display)
        deadline = time.monotonic() + 20
        while x11._prop(x11._root, "_NET_SUPPORTING_WM_CHECK") is None:
            if time.monotonic() > deadline or wm.poll() is not None:
                pytest.fail("openbox did not start")
            time.sleep(0.1)
        x11.close()
        yield desk
    finally:
        for proc in desk.procs:
            stop_process(proc)
        stop_process(wm)
        xserver.stop()


@pytest.fixture(scope="module")
def windows(desktop: Desktop) -> dict[str, WindowInfo]:
    return {
        "notes": desktop.show("Meeting notes", "heronnotes", "Budget review at noon",
                              "700x220+80+120", "#ffffff", "#101010"),
        "vault": desktop.show("Vault - Passwords", "heronvault", "bank pin 8142",
                              "600x200+900+120", "#202020", "#f0f0f0"),
        "chat": desktop.show("Team chat", "heronchat", "Lunch at one?",
                             "600x200+900+500", "#e8f0ff", "#101040"),
    }


@pytest.fixture
def capture(desktop: Desktop) -> Iterator[ScreenCapture]:
    with ScreenCapture(CaptureOptions(display=desktop.display, backend="x11")) as cap:
        yield cap


def test_whole_screen_and_monitor_one(capture, windows):
    frame = capture.grab_all()
    assert frame.image.shape == (1080, 1920, 3) and frame.image.dtype == np.uint8
    assert frame.origin == (0, 0)
    assert [m.box for m in capture.monitors()] == [Box(0, 0, 1920, 1080)]
    mon = capture.grab_monitor(1)
    assert mon.image.shape == frame.image.shape
    with pytest.raises(VisionError) as err:
        capture.grab_monitor(2)
    assert err.value.code == "vision.no_monitor" and "1 connected" in err.value.message


def test_region_is_the_same_pixels_as_that_part_of_the_screen(capture, windows):
    full = capture.grab_all().image
    region = capture.grab_region(Box(100, 150, 320, 90))
    assert region.origin == (100, 150) and region.image.shape == (90, 320, 3)
    assert np.array_equal(region.image, full[150:240, 100:420])
    edge = capture.grab(CaptureTarget.parse("region:1800,1000,400,400"))  # clipped
    assert edge.box == Box(1800, 1000, 120, 80)


@pytest.mark.parametrize("box", [Box(10, 10, 0, 50), Box(10, 10, 50, -5),
                                 Box(5000, 5000, 100, 100)])
def test_zero_size_or_off_screen_region_is_a_coded_error(capture, box):
    with pytest.raises(VisionError) as err:
        capture.grab_region(box)
    assert err.value.code == "vision.bad_region" and err.value.exit_code == 2
    assert err.value.hint


def test_window_list_has_titles_classes_and_frames(capture, windows):
    listed = {w.title: w for w in capture.windows()}
    for win in windows.values():
        assert win.title in listed
    notes = listed["Meeting notes"]
    assert "heronnotes" in notes.wm_class.lower()
    # openbox adds a title bar: the frame is a little larger than the 700x220 client.
    assert 700 <= notes.box.w <= 720 and 220 <= notes.box.h <= 260
    assert abs(notes.box.x - 80) <= 10 and abs(notes.box.y - 120) <= 30


def test_active_window_follows_the_focus(desktop, capture, windows):
    desktop.xdotool("windowactivate", "--sync", str(windows["chat"].id))
    time.sleep(0.3)
    active = capture.active_window()
    assert active.title == "Team chat"
    frame = capture.grab_active_window()
    assert frame.box == active.box
    desktop.xdotool("windowactivate", "--sync", str(windows["notes"].id))
    time.sleep(0.3)
    assert capture.active_window().title == "Meeting notes"


def _dark_share(image: np.ndarray) -> float:
    return float((image.max(axis=2) == 0).mean())


def test_excluded_windows_are_black_before_anyone_sees_them(desktop, windows):
    opts = CaptureOptions(display=desktop.display, exclude_titles=("PASSWORDS",),
                          exclude_classes=("HeronChat",))
    with ScreenCapture(opts) as cap:
        frame = cap.grab_all()
        region = cap.grab_region(Box(850, 100, 400, 200))  # half over the vault
    for name in ("vault", "chat"):
        b = cap_box = windows[name].box
        assert _dark_share(frame.image[b.y:b.bottom, b.x:b.right]) == 1.0, name
        del cap_box
    notes = windows["notes"].box
    assert _dark_share(frame.image[notes.y:notes.bottom, notes.x:notes.right]) < 0.05
    vault = windows["vault"].box
    inside = vault.intersection(region.box)
    assert inside is not None
    part = region.image[inside.y - 100:inside.bottom - 100, inside.x - 850:inside.right - 850]
    assert _dark_share(part) == 1.0


def test_a_window_on_top_of_an_excluded_one_keeps_its_pixels(desktop, windows):
    # The notes window moves over the left part of the vault and is raised.
    desktop.xdotool("windowmove", "--sync", str(windows["notes"].id), "700", "150")
    desktop.xdotool("windowactivate", "--sync", str(windows["notes"].id))
    time.sleep(0.5)
    try:
        opts = CaptureOptions(display=desktop.display, exclude_titles=("vault",))
        with ScreenCapture(opts) as cap:
            wins = {w.title: w for w in cap.windows()}
            notes, vault = wins["Meeting notes"], wins["Vault - Passwords"]
            assert notes.stack > vault.stack
            frame = cap.grab_all()
        overlap = notes.box.intersection(vault.box)
        assert overlap is not None
        img = frame.image
        assert _dark_share(img[overlap.y:overlap.bottom, overlap.x:overlap.right]) < 0.05
        rest = Box(notes.box.right + 5, vault.box.y + 40, 100, 60)
        assert _dark_share(img[rest.y:rest.bottom, rest.x:rest.right]) == 1.0
    finally:
        desktop.xdotool("windowmove", "--sync", str(windows["notes"].id), "80", "120")


@pytest.mark.slow
def test_ocr_reads_the_windows_and_its_boxes_land_on_them(desktop, windows, capture):
    from vision.ocr import RapidOcrReader

    desktop.xdotool("windowmove", "--sync", str(windows["notes"].id), "80", "120")
    time.sleep(0.3)
    result = RapidOcrReader().read(capture.grab_all())
    found = {ln.text: ln for ln in result.lines}
    for key, text in (("notes", "Budget review at noon"), ("chat", "Lunch at one?"),
                      ("vault", "bank pin 8142")):
        assert text in found, result.text
        x, y = found[text].box.center
        assert windows[key].box.contains_point(x, y), (text, found[text].box)
    region = capture.grab_region(windows["chat"].box)  # origin mapping of a region
    line = next(ln for ln in RapidOcrReader().read(region).lines if ln.text == "Lunch at one?")
    # Same place on the screen (the full screen's detector ran at half scale, so its box
    # is a little looser; the centres agree).
    (ax, ay), (bx, by) = line.box.center, found["Lunch at one?"].box.center
    assert abs(ax - bx) <= 4 and abs(ay - by) <= 4


def test_no_display_is_a_coded_error(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("XDG_SESSION_TYPE", "tty")
    with ScreenCapture() as cap, pytest.raises(VisionError) as err:
        cap.grab_all()
    assert err.value.code == "vision.no_display" and err.value.exit_code == 6
    assert "DISPLAY" in err.value.message and "heron look" in err.value.hint


def test_a_display_that_is_not_running_is_a_coded_error():
    with ScreenCapture(CaptureOptions(display=":4711", backend="x11")) as cap:
        with pytest.raises(VisionError) as err:
            cap.grab_all()
        assert err.value.code == "vision.no_display" and ":4711" in err.value.message
        with pytest.raises(VisionError) as err:
            cap.windows()
        assert err.value.code == "vision.no_display"


@pytest.fixture
def session_bus(tmp_path: Path) -> Iterator[str]:
    """A private D-Bus session bus with nothing on it (no screenshot portal)."""
    with private_session_bus(tmp_path) as address:
        yield address


def test_wayland_without_a_portal_says_why_and_what_to_do(monkeypatch, session_bus):
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session_bus)
    with ScreenCapture() as cap:
        assert cap.backend == "portal"
        with pytest.raises(VisionError) as err:
            cap.grab_all()
    assert err.value.code == "vision.wayland_no_portal"
    assert "xdg-desktop-portal" in err.value.hint
    excluding = ScreenCapture(CaptureOptions(exclude_titles=("bank",)))
    with pytest.raises(VisionError) as err:
        excluding.grab_all()
    assert err.value.code == "vision.cannot_exclude"


FAKE_PORTAL = r"""
import sys
from jeepney import DBusAddress, HeaderFields, MessageType, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import Proxy, open_dbus_connection

png, answer = sys.argv[1], int(sys.argv[2])
conn = open_dbus_connection(bus="SESSION")
Proxy(message_bus, conn).RequestName("org.freedesktop.portal.Desktop", 4)
print("ready", flush=True)
while True:
    msg = conn.receive()
    fields = msg.header.fields
    if msg.header.message_type != MessageType.method_call:
        continue
    if fields.get(HeaderFields.member) != "Screenshot":
        continue
    _parent, options = msg.body
    sender = fields[HeaderFields.sender].lstrip(":").replace(".", "_")
    handle = "/org/freedesktop/portal/desktop/request/%s/%s" % (sender, options["handle_token"][1])
    conn.send(new_method_return(msg, "o", (handle,)))
    results = {"uri": ("s", "file://" + png)} if answer == 0 else {}
    request = DBusAddress(handle, interface="org.freedesktop.portal.Request")
    conn.send(new_signal(request, "Response", "ua{sv}", (answer, results)))
"""


@pytest.fixture
def portal(session_bus, tmp_path, monkeypatch):
    """A screenshot portal speaking the real org.freedesktop.portal.Screenshot protocol
    on the private bus; start(answer) answers every request with `answer` (0 = ok,
    1 = the user said no) and the PNG it 'took'."""
    from vision.image import save_image
    from vision.testscreens import dialog

    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session_bus)
    screen = dialog()
    png = tmp_path / "Screenshot from today.png"
    procs = []

    def start(answer: int = 0):
        save_image(png, screen.image)
        proc = subprocess.Popen([sys.executable, "-c", FAKE_PORTAL, str(png), str(answer)],
                                stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout.readline().strip() == "ready"
        return screen, png

    yield start
    for proc in procs:
        stop_process(proc)


def test_wayland_capture_goes_through_the_portal_and_removes_its_file(portal):
    screen, png = portal(0)
    with ScreenCapture(CaptureOptions(portal_timeout_s=10)) as cap:
        frame = cap.grab_all()
        assert np.array_equal(frame.image, screen.image)
        assert not png.exists()  # a private screenshot is not left on disk
        portal(0)
        region = cap.grab_region(Box(660, 380, 600, 240))
        assert region.origin == (660, 380)
        assert np.array_equal(region.image, screen.image[380:620, 660:1260])
        with pytest.raises(VisionError) as err:
            cap.grab_active_window()
        assert err.value.code == "vision.wayland_no_portal"


def test_a_refused_portal_screenshot_is_a_coded_error(portal):
    portal(1)
    with ScreenCapture(CaptureOptions(portal_timeout_s=10)) as cap, \
            pytest.raises(VisionError) as err:
        cap.grab_all()
    assert err.value.code == "vision.portal_denied" and "refused" in err.value.message
