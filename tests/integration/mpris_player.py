"""A real MPRIS player for the media tests: mpv (no video, no sound card: --ao=null)
with the mpv-mpris plugin, on a private D-Bus session bus. The test reads what mpv
really does through mpv's own JSON IPC socket, not through MPRIS, so the client under
test is checked against the player itself."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import write_wav

from bench.xserver import stop_process

PLUGIN_PATHS = (Path("/usr/lib/mpv-mpris/mpris.so"), Path("/etc/mpv/scripts/mpris.so"))
MPRIS_PREFIX = "org.mpris.MediaPlayer2."


def mpris_plugin() -> Path:
    for path in PLUGIN_PATHS:
        if path.is_file():
            return path
    pytest.fail("the mpv-mpris plugin is missing: run `scripts/system-deps.sh test`")


def song(path: Path, hz: float = 440.0) -> Path:
    """A one-second tone (mpv loops it, so it never ends during a test)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(8000) / 8000
    return write_wav(path, (3000 * np.sin(2 * np.pi * hz * t)), rate_hz=8000)


def bus_names(address: str) -> list[str]:
    from jeepney import message_bus
    from jeepney.io.blocking import Proxy, open_dbus_connection

    with open_dbus_connection(address) as conn:
        return list(Proxy(message_bus, conn, timeout=5).ListNames()[0])


class Mpv:
    """One mpv process playing `files` (or idle), controlled through its IPC socket."""

    def __init__(self, bus: str, workdir: Path, files: list[Path], paused: bool = False
                 ) -> None:
        if shutil.which("mpv") is None:
            pytest.fail("mpv is missing: run `scripts/system-deps.sh test`")
        workdir.mkdir(parents=True, exist_ok=True)
        self.ipc = workdir / "mpv.sock"
        before = set(bus_names(bus))
        env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": bus, "HOME": str(workdir)}
        self.proc = subprocess.Popen(
            ["mpv", "--no-config", "--idle=yes", "--no-video", "--ao=null",
             "--loop-file=inf", "--no-terminal", f"--script={mpris_plugin()}",
             f"--input-ipc-server={self.ipc}", *(["--pause"] if paused else []),
             *map(str, files)], env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.bus_name = self._wait_for_name(bus, before)
        if files:
            self.wait(lambda: self.get("path") is not None)

    def _wait_for_name(self, bus: str, before: set[str], timeout_s: float = 15) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            new = [n for n in bus_names(bus) if n.startswith(MPRIS_PREFIX) and n not in before]
            if new and self.ipc.exists():
                return new[0]
            if self.proc.poll() is not None:
                pytest.fail(f"mpv exited with {self.proc.returncode}")
            time.sleep(0.05)
        self.stop()
        pytest.fail("mpv did not appear on the session bus")

    def command(self, *args: object) -> object:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(str(self.ipc))
            s.sendall(json.dumps({"command": list(args), "request_id": 1}).encode() + b"\n")
            buf = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    raise AssertionError("mpv closed its IPC socket")
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    reply = json.loads(line)
                    if reply.get("request_id") == 1:
                        return reply.get("data") if reply["error"] == "success" else None

    def get(self, prop: str) -> object:
        return self.command("get_property", prop)

    def paused(self) -> bool:
        return bool(self.get("pause"))

    def path(self) -> str:
        return str(self.get("path") or "")

    def wait(self, condition, timeout_s: float = 10) -> None:
        """Players apply commands asynchronously: wait until mpv shows the result."""
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("mpv never got there")
            time.sleep(0.05)

    def stop(self) -> None:
        stop_process(self.proc)
