"""`heron run --headless --json` as a child process the tests talk to through the room."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from helpers import REPO

Event = dict


class HeadlessHeron:
    """Start Heron; `wait_for(...)` reads its events as they come; `events()` waits for
    it to exit (`--exit-after`) and returns every event it printed, in order."""

    def __init__(self, home: Path, env: dict[str, str], *args: str,
                 command: tuple[str, ...] = ("run", "--headless")) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", *command, "--json", *args],
            cwd=REPO, env={**env, "HERON_HOME": str(home)}, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        self.seen: list[Event] = []

    def wait_for(self, what: str, match: Callable[[Event], bool],
                 timeout_s: float = 60) -> Event:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if not line.startswith("{"):
                continue
            self.seen.append(json.loads(line))
            if match(self.seen[-1]):
                return self.seen[-1]
        self.proc.kill()  # and reaped: a zombie child would fail later tests' checks
        _, err = self.proc.communicate(timeout=60)
        raise AssertionError(f"Heron never showed {what}: {err}")

    def wait_type(self, event_type: str, timeout_s: float = 60) -> Event:
        return self.wait_for(event_type, lambda e: e["type"] == event_type, timeout_s)

    def wait_hearing(self, timeout_s: float = 60) -> None:
        """Until the microphone delivers audio: only then does the room reach Heron."""
        self.wait_for("a live microphone",
                      lambda e: e["type"] == "MicStateChanged" and e["state"] == "live",
                      timeout_s)

    def stop(self) -> list[Event]:
        """Ask Heron to stop now (SIGTERM, as a service manager would); its events."""
        self.proc.send_signal(signal.SIGTERM)
        return self.events()

    def events(self) -> list[Event]:
        out, err = self.proc.communicate(timeout=120)
        assert self.proc.returncode == 0, err
        assert "Traceback" not in err, err
        return self.seen + [json.loads(line) for line in out.splitlines()
                            if line.startswith("{")]


def of_type(events: list[Event], name: str) -> list[Event]:
    return [e for e in events if e["type"] == name]
