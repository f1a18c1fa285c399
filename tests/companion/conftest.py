"""The real companion: `python -m assistant serve` in a subprocess with its own
HERON_HOME, paired through the real CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
READY_WAIT_S = 60.0


def write_config(home: Path, **companion: Any) -> None:
    lines = ["[companion]"]
    for key, value in companion.items():
        lines.append(f"{key} = {json.dumps(value)}")
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text("\n".join(lines) + "\n")


def heron(home: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "HERON_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


class HeronServer:
    """`heron serve --port 0 --json` until stop() or kill()."""

    def __init__(self, home: Path, *extra: str) -> None:
        self.home = home
        self.extra = extra
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.fingerprint = ""

    def start(self) -> HeronServer:
        env = {**os.environ, "HERON_HOME": str(self.home)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--port", "0", "--json",
             *self.extra], cwd=REPO, env=env, stdout=subprocess.PIPE,
            stderr=open(self.home / "serve.log", "ab"), text=True)  # noqa: SIM115
        end = time.monotonic() + READY_WAIT_S
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line or time.monotonic() > end:
            raise AssertionError("heron serve did not start: "
                                 + (self.home / "serve.log").read_text()[-2000:])
        ready = json.loads(line)
        self.url, self.fingerprint = ready["url"], ready["fingerprint"]
        return self

    @property
    def ws_url(self) -> str:
        return self.url.replace("http", "ws", 1) + "/ws"

    def pair(self, name: str = "phone") -> str:
        """A new device token, through `heron companion pair` and POST /api/pair."""
        code = self.pairing_code()
        r = httpx.post(f"{self.url}/api/pair", json={"code": code, "name": name},
                       verify=False)
        r.raise_for_status()
        return r.json()["token"]

    def pairing_code(self) -> str:
        out = heron(self.home, "companion", "pair", "--json")
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)["code"]

    def client(self, token: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, verify=False)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


@pytest.fixture
def heron_home(tmp_path: Path) -> Path:
    home = tmp_path / "heron"
    home.mkdir()
    write_config(home, webpush=False)
    return home


@pytest.fixture
def server_factory(heron_home: Path):
    started: list[HeronServer] = []

    def start(*extra: str) -> HeronServer:
        server = HeronServer(heron_home, *extra).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(server_factory) -> HeronServer:
    return server_factory()


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def page():
    """A page in Debian's chromium under Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is missing: run `scripts/system-deps.sh test` "
                    "(apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--no-sandbox", "--disable-gpu"])
        yield browser.new_context().new_page()
        browser.close()
