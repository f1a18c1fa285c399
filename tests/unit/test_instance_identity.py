"""`heron ask` talks only to the user's own Heron. With a long data-dir path the socket
lives outside the data dir; another local user who gets there first (a squatted temp
dir) or who answers on the socket is refused, and their fake reply is never shown.

CI runs as root, so the other user is real (uid 65534, set in a forked child); run as a
normal user, the tests use what is left to that user: a directory with the wrong mode,
and a uid check told to expect another uid."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import signal
import socket
import stat
import tempfile
from pathlib import Path

import pytest
from helpers import run_heron

from assistant import paths
from assistant.desktop.instance import InstanceClient, InstanceLock, socket_path
from assistant.paths import resolve_paths
from models.errors import CodedError

NOBODY = 65534
ROOT = os.geteuid() == 0
FAKE = b'{"ok": true, "request": "x", "response": "FAKE: send your password", "tool_calls": []}'


def impostor(path: Path, make_dir: bool = False) -> int:
    """Another user's program listening at `path` (making its directory first, open to
    all, when `make_dir`), answering every request with a fake reply; its pid."""
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(ready_r)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            if make_dir:
                become_the_other_user()
                os.mkdir(path.parent, 0o755)
                listener.bind(str(path))
            else:  # maybe in a dir only we may enter: bind first, then become them
                listener.bind(str(path))
                become_the_other_user()
            listener.listen(8)  # the peer credentials clients see are taken here
            os.write(ready_w, b"ok")
            while True:
                conn, _ = listener.accept()
                conn.settimeout(5)
                with contextlib.suppress(OSError):
                    conn.recv(65536)
                    conn.sendall(FAKE + b"\n")
                conn.close()
        finally:
            os._exit(0)
    os.close(ready_w)
    assert os.read(ready_r, 2) == b"ok"
    os.close(ready_r)
    return pid


def become_the_other_user() -> None:
    if ROOT:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)


def stop(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def long_home(tmp_path: Path) -> Path:
    """A HERON_HOME whose data dir is too deep for a Unix socket path."""
    home = tmp_path.joinpath(*["h" * 40] * 3)
    assert len(os.fsencode(resolve_paths({"HERON_HOME": str(home)}).data_dir / "x")) > 107
    return home


def squat(data_dir: Path) -> tuple[list[Path], int]:
    """What the other user does, knowing the naming scheme: take the fallback names
    (the directory, and the bare socket name older versions used) before Heron does."""
    tag = hashlib.sha256(os.fsencode(data_dir)).hexdigest()[:12]
    base = Path("/tmp") / f"heron-{os.getuid()}-{tag}"
    made = [base.with_name(base.name + ".sock"), base / "heron.sock", base]
    pids = [impostor(made[0]), impostor(made[1], make_dir=True)]
    return made, pids


def cleanup(made: list[Path], pids: list[int]) -> None:
    for pid in pids:
        stop(pid)
    for path in made:
        with contextlib.suppress(OSError):
            path.rmdir() if path.is_dir() and not path.is_symlink() else path.unlink()


@pytest.fixture
def no_runtime_dir(monkeypatch, tmp_path):
    """No private login runtime dir (as on CI, where no one logs in): the fallback is
    /tmp/heron-UID-TAG, the name another user can try to take first."""
    monkeypatch.setattr(paths, "RUNTIME_ROOT", str(tmp_path / "no-such-runtime-dir"))


@pytest.mark.usefixtures("no_runtime_dir")
def test_heron_ask_refuses_a_squatted_socket_dir(tmp_path):
    home = long_home(tmp_path)
    data_dir = resolve_paths({"HERON_HOME": str(home)}).data_dir
    data_dir.mkdir(parents=True)
    lock = InstanceLock(data_dir)  # as if our Heron were starting: `ask` looks for it
    assert lock.acquire()
    made, pids = squat(data_dir)
    try:
        # the subprocess looks in the real /run/user/UID first: none here (as on CI)
        assert not Path(f"/run/user/{os.getuid()}").is_dir(), "a login runtime dir exists"
        asked = run_heron(home, "ask", "what time is it", timeout=120)
    finally:
        lock.release()
        cleanup(made, pids)
    assert "FAKE" not in asked.stdout + asked.stderr
    assert asked.returncode == 7, asked.stderr
    assert "[paths.unsafe_runtime_dir]" in asked.stderr
    assert "impersonate" in asked.stderr and "Traceback" not in asked.stderr


@pytest.mark.usefixtures("no_runtime_dir")
def test_a_squatted_socket_dir_is_refused_by_the_server_too(tmp_path):
    data_dir = long_home(tmp_path) / "data"
    made, pids = squat(data_dir)
    try:
        with pytest.raises(CodedError) as err:
            socket_path(data_dir)  # what `heron run` does before it listens
    finally:
        cleanup(made, pids)
    assert err.value.code == "paths.unsafe_runtime_dir" and err.value.exit_code == 7


@pytest.mark.usefixtures("no_runtime_dir")
def test_a_symlink_in_place_of_the_socket_dir_is_refused(tmp_path):
    data_dir = long_home(tmp_path) / "data"
    tag = hashlib.sha256(os.fsencode(data_dir)).hexdigest()[:12]
    link = Path(tempfile.gettempdir()) / f"heron-{os.getuid()}-{tag}"
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    link.symlink_to(target)  # even one pointing at a private dir of ours
    try:
        with pytest.raises(CodedError) as err:
            socket_path(data_dir)
    finally:
        link.unlink()
    assert err.value.code == "paths.unsafe_runtime_dir"


@pytest.mark.usefixtures("no_runtime_dir")
def test_the_fallback_socket_lives_in_a_private_dir(tmp_path):
    path = socket_path(long_home(tmp_path) / "data")
    try:
        st = os.lstat(path.parent)
        assert stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid()
        assert stat.S_IMODE(st.st_mode) == 0o700
        assert len(os.fsencode(path)) <= 107
    finally:
        path.parent.rmdir()


def test_a_private_runtime_dir_is_preferred(tmp_path, monkeypatch):
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setattr(paths, "RUNTIME_ROOT", str(runtime))
    path = socket_path(long_home(tmp_path) / "data")
    assert path.parent.parent == runtime
    runtime.chmod(0o755)  # a runtime dir others may enter is not used
    path.parent.rmdir()
    shared = socket_path(long_home(tmp_path) / "data")
    try:
        assert shared.parent.parent == Path("/tmp")
    finally:
        shared.parent.rmdir()


def test_a_server_of_another_user_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "heron.sock"
    if not ROOT:  # no other uid to be: make ours look like someone else's
        real = os.getuid()
        monkeypatch.setattr(os, "getuid", lambda: real + 1)
    pid = impostor(path)
    try:
        with pytest.raises(CodedError) as err:
            asyncio.run(InstanceClient(path).call({"cmd": "ask", "text": "hi"}, timeout_s=10))
    finally:
        stop(pid)
    assert err.value.code == "instance.impostor"
    assert "not your Heron" in err.value.message
    assert not InstanceClient(path).running()
