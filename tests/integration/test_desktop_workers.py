"""The desktop workers against a real X server (Xvfb), the real X clipboard (xclip),
real .desktop apps and a URL handler registered with xdg-mime, all through the
registry (policy, capabilities, audit)."""

import asyncio
import os
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from assistant.audit import AuditLog
from assistant.builtins.apps import OpenApp, OpenUrl
from assistant.builtins.clipboard import ClipboardRead, ClipboardWrite
from assistant.builtins.desktop import AppLauncher, SystemClipboard, UrlOpener
from assistant.bus import EventBus
from assistant.permissions.policy import Answer
from assistant.permissions.prompters import CallbackPrompter, FanOutPrompter
from assistant.storage import Storage
from assistant.tools.backends import DesktopBackends
from assistant.tools.call import ToolCall
from assistant.tools.registry import ToolRegistry


def clipboard_and_apps():
    return DesktopBackends(clipboard=SystemClipboard(), apps=AppLauncher())


DESKTOP_VARS = ("WAYLAND_DISPLAY", "XDG_CURRENT_DESKTOP", "DESKTOP_SESSION", "BROWSER",
                "KDE_FULL_SESSION", "GNOME_DESKTOP_SESSION_ID", "XDG_SESSION_DESKTOP")


def need(*programs):
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:  # a failure, not a skip: the machine is missing what the test needs
        pytest.fail(f"{', '.join(missing)} missing: run `scripts/system-deps.sh test`")


@pytest.fixture
def xserver():
    """A private Xvfb; it picks a free display number itself (-displayfd). -noreset:
    an X server resets when its last client leaves and then writes the display number
    again, so the pipe stays open until the server is gone."""
    need("Xvfb")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-noreset", "-screen", "0",
                             "640x480x24", "-nolisten", "tcp"], pass_fds=(write_fd,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    ready, _, _ = select.select([read_fd], [], [], 15)
    number = os.read(read_fd, 32).decode().strip() if ready else ""
    try:
        if not number:
            proc.kill()
            proc.wait()
            pytest.fail("Xvfb did not start")
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        os.close(read_fd)


@pytest.fixture
def desktop(xserver, tmp_path, monkeypatch):
    """A desktop session on the private X server with its own XDG dirs."""
    monkeypatch.setenv("DISPLAY", xserver)
    for var in DESKTOP_VARS:
        monkeypatch.delenv(var, raising=False)
    dirs = {name: tmp_path / name for name in ("data", "config", "sysdata", "bin", "out")}
    for d in dirs.values():
        d.mkdir()
    (dirs["data"] / "applications").mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(dirs["data"]))
    monkeypatch.setenv("XDG_DATA_DIRS", str(dirs["sysdata"]))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(dirs["config"]))
    return dirs


@pytest.fixture
def make_registry(tmp_path):
    storages = []

    def make(backends):
        storage = Storage(tmp_path / "heron.db")
        storages.append(storage)
        audit = AuditLog(storage, b"k" * 32)
        registry = ToolRegistry(EventBus(), audit, backends=backends)
        for tool in (ClipboardRead(), ClipboardWrite(), OpenApp(), OpenUrl()):
            registry.register(tool)
        return registry, audit

    yield make
    for s in storages:
        s.close()


def call(registry, tool, **args):
    return asyncio.run(registry.call(ToolCall(tool, args, source="voice")))


def script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return path


def wait_for(path: Path, timeout_s: float = 10) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.is_file() and path.read_text().endswith("\n"):
            return path.read_text().strip()
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


def gone(pid: int, timeout_s: float = 5) -> bool:
    """The process has ended and been reaped (no zombie left in /proc)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            return True
        time.sleep(0.05)
    return False


def test_clipboard_round_trips_through_the_x_clipboard(desktop, make_registry):
    need("xclip")
    registry, audit = make_registry(clipboard_and_apps())
    text = "Grüße from Heron ✓\nline two"
    out = call(registry, "clipboard_write", text=text)
    assert out.status == "ok", (out.code, out.error)
    assert out.result["speech"] == "Copied to the clipboard."
    # another X client (what a paste in any app does) sees it
    pasted = subprocess.run(["xclip", "-selection", "clipboard", "-o"], capture_output=True,
                            timeout=5, check=True).stdout.decode()
    assert pasted == text
    out = call(registry, "clipboard_read")
    assert out.status == "ok" and out.result["text"] == text
    assert out.result["untrusted_output"] is True
    # something the user copies elsewhere is what Heron reads next
    subprocess.run(["xclip", "-selection", "clipboard", "-i"], input=b"copied in a browser",
                   stdout=subprocess.DEVNULL, timeout=5, check=True)
    out = call(registry, "clipboard_read")
    assert out.result["text"] == "copied in a browser"
    assert out.result["speech"] == "Your clipboard says: copied in a browser"
    used = [(e["scope"], e["allowed"]) for e in audit.entries() if e["kind"] == "capability"]
    assert used == [("clipboard.write", True), ("clipboard.read", True),
                    ("clipboard.read", True)]


def test_an_empty_clipboard_and_a_missing_session_are_told_plainly(desktop, make_registry,
                                                                    monkeypatch):
    need("xclip")
    registry, _ = make_registry(clipboard_and_apps())
    out = call(registry, "clipboard_read")  # a fresh X server: nothing copied yet
    assert out.status == "ok" and out.result["speech"] == "Your clipboard is empty."
    monkeypatch.delenv("DISPLAY")
    out = call(registry, "clipboard_read")
    assert out.status == "error" and out.code == "clipboard.no_session"
    assert "no desktop session" in out.error


def test_open_app_starts_the_desktop_entry_and_returns_at_once(desktop, make_registry):
    marker = desktop["out"] / "launched"
    app = script(desktop["bin"] / "markerpad",
                 f'echo "$DISPLAY $*" > "{marker}"\nexec sleep 30')
    (desktop["data"] / "applications" / "org.example.MarkerPad.desktop").write_text(
        "[Desktop Entry]\nType=Application\nName=Marker Pad\n"
        f"Exec={app} --new-window %U\n")
    registry, audit = make_registry(clipboard_and_apps())
    t0 = time.monotonic()
    out = call(registry, "open_app", name="marker pad")
    assert out.status == "ok", out.error
    assert time.monotonic() - t0 < 3  # it does not wait for the app to exit
    assert out.result["speech"] == "Opening Marker Pad."
    assert out.result["app"]["app_id"] == "org.example.MarkerPad.desktop"
    assert wait_for(marker) == f"{os.environ['DISPLAY']} --new-window"
    pid = out.result["app"]["pid"]
    os.killpg(pid, signal.SIGTERM)  # the app has its own session: we close it like a user
    assert gone(pid), "the ended app was left as a zombie"
    assert any(e["kind"] == "capability" and e["scope"] == "apps.launch"
               for e in audit.entries())


def test_open_app_with_a_name_that_is_not_installed(desktop, make_registry):
    app = script(desktop["bin"] / "markerpad", "exit 0")
    (desktop["data"] / "applications" / "markerpad.desktop").write_text(
        f"[Desktop Entry]\nType=Application\nName=Marker Pad\nExec={app}\n")
    registry, _ = make_registry(clipboard_and_apps())
    out = call(registry, "open_app", name="marker pod")
    assert out.status == "ok" and out.result["app"]["name"] == "Marker Pad"  # a slip
    out = call(registry, "open_app", name="marker")
    assert out.status == "ok"  # the first word of the name
    out = call(registry, "open_app", name="market bad")
    assert out.status == "error" and out.code == "apps.not_found"
    assert out.error == "I couldn't find an app called 'market bad'. Did you mean Marker Pad?"


def test_an_app_that_fails_at_once_is_reported(desktop, make_registry):
    app = script(desktop["bin"] / "broken", "exit 3")
    (desktop["data"] / "applications" / "broken.desktop").write_text(
        f"[Desktop Entry]\nType=Application\nName=Broken Tool\nExec={app}\n")
    registry, _ = make_registry(clipboard_and_apps())
    out = call(registry, "open_app", name="broken tool")
    assert out.status == "error" and out.code == "apps.launch_failed"
    assert "exit code 3" in out.error


def test_open_url_goes_to_the_registered_browser_via_xdg_open(desktop, make_registry):
    need("xdg-open", "xdg-mime")
    marker = desktop["out"] / "url"
    browser = script(desktop["bin"] / "testbrowser", f'echo "$1" > "{marker}"')
    (desktop["data"] / "applications" / "heron-test-browser.desktop").write_text(
        "[Desktop Entry]\nType=Application\nName=Test Browser\nNoDisplay=true\n"
        f"Exec={browser} %u\nMimeType=x-scheme-handler/http;x-scheme-handler/https;\n")
    for scheme in ("http", "https"):
        subprocess.run(["xdg-mime", "default", "heron-test-browser.desktop",
                        f"x-scheme-handler/{scheme}"], check=True, timeout=30)
    registry, _ = make_registry(clipboard_and_apps())
    url = "https://example.com/search?q=heron&lang=en"
    out = call(registry, "open_url", url=url)  # data leaves the machine: nobody to ask
    assert out.status == "denied"
    assert not marker.exists()
    asked = []

    async def once(request):
        asked.append(request)
        return Answer.ONCE

    registry.prompter = FanOutPrompter([CallbackPrompter(once)], timeout_s=5)
    out = call(registry, "open_url", url=url)
    assert out.status == "ok", out.error
    assert url in asked[0].action  # the question showed the whole address
    assert out.result["opener"] == "xdg-open"
    assert out.result["speech"] == "Opening example.com in your browser."
    assert wait_for(marker) == "https://example.com/search?q=heron&lang=en"


def test_open_url_uses_browser_env_and_refuses_other_schemes(desktop, make_registry,
                                                             monkeypatch):
    marker = desktop["out"] / "url"
    browser = script(desktop["bin"] / "envbrowser", f'echo "$@" > "{marker}"')
    monkeypatch.setenv("BROWSER", f"{browser} --private %s")
    backends = DesktopBackends(apps=AppLauncher(urls=UrlOpener(order=("BROWSER", "path"))))
    registry, _ = make_registry(backends)
    out = call(registry, "open_url", url="example dot org")
    assert out.status == "ok", out.error
    assert wait_for(marker) == "--private https://example.org"
    marker.unlink()
    out = call(registry, "open_url", url="file:///etc/passwd")
    assert out.status == "error" and out.code == "url.scheme_not_allowed"
    time.sleep(0.5)
    assert not marker.exists()  # nothing was started
