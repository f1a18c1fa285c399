"""The hostile-worker suite once more, as a normal user: what a desktop install gets.

CI runs as root, where the worker also loses its uid; a desktop user's Heron has no uid
to drop, reaches its namespaces through a user namespace, and shares its uid with the
session D-Bus, X11 and Heron's own socket. So, as root, this test creates the user
`heron-ci` and runs the suite as that user. The checkout, the venv and the Python
installation may sit below directories only root can enter (/root): rather than
loosening their modes, the run happens in a private mount namespace where each such
directory is replaced by an empty tmpfs holding just the needed paths, bound back in
place. Not root, the suite simply runs again as the user we are.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import REPO

pytest.register_assert_rewrite("sandbox_harness")  # a helper module: before its import
from sandbox_harness import kill_all_of  # noqa: E402

USER = "heron-ci"
SUITE = ("tests/integration/test_sandbox.py", "tests/integration/test_sandbox_routes.py",
         "tests/integration/test_sandbox_race.py")
INNER_TIMEOUT_S = 900  # the whole suite; a hang is the only thing this bounds


def ensure_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--create-home", "--shell",
                        "/usr/sbin/nologin", USER], check=True, capture_output=True)
        return pwd.getpwnam(USER)


def others_can_enter(directory: Path) -> bool:
    return bool(directory.stat().st_mode & stat.S_IXOTH)


def hidden_roots(paths: list[Path]) -> dict[Path, list[Path]]:
    """For each path, its top-most ancestor another user cannot enter, with the paths
    below it that must be put back."""
    out: dict[Path, list[Path]] = {}
    for path in paths:
        for ancestor in reversed(path.parents):
            if ancestor != Path("/") and not others_can_enter(ancestor):
                out.setdefault(ancestor, []).append(path)
                break
    return out


def expose_script(paths: list[Path], stage: Path) -> list[str]:
    """Shell lines, for a private mount namespace, that make `paths` reachable by any
    user while everything else below the blocking directories stays out of sight."""
    lines = [f"mount -t tmpfs -o mode=0700 heron-stage {shlex.quote(str(stage))}"]
    hidden = hidden_roots(paths)
    staged: list[tuple[Path, Path]] = []
    for i, path in enumerate(p for group in hidden.values() for p in group):
        held = stage / str(i)
        lines += [f"mkdir {shlex.quote(str(held))}",
                  f"mount --rbind {shlex.quote(str(path))} {shlex.quote(str(held))}"]
        staged.append((path, held))
    for top in hidden:
        lines.append(f"mount -t tmpfs -o mode=0755 heron-ci-view {shlex.quote(str(top))}")
    for path, held in staged:
        lines += [f"mkdir -p -m 0755 {shlex.quote(str(path))}",
                  f"mount --rbind {shlex.quote(str(held))} {shlex.quote(str(path))}"]
    return lines


def suite_files() -> list[str]:
    return [f for f in SUITE if (REPO / f).exists()]


def suite_command(junit: Path) -> list[str]:
    files = suite_files()
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            f"--junitxml={junit}", *files]


def run_as_user(tmp_path: Path, junit: Path) -> subprocess.CompletedProcess[str]:
    user = ensure_user()
    home = Path(user.pw_dir)
    os.chown(junit.parent, user.pw_uid, user.pw_gid)
    stage = tmp_path / "stage"
    stage.mkdir(mode=0o700)
    needed = [REPO, Path(sys.prefix), Path(sys.base_prefix),
              Path(os.path.realpath(sys.executable)).parent]
    others_rx = stat.S_IROTH | stat.S_IXOTH
    closed = [str(p) for p in needed if p.stat().st_mode & others_rx != others_rx]
    assert not closed, (f"{closed} cannot be read by other users: clone and build the venv "
                        "with umask 022")
    env = {"HOME": str(home), "PATH": "/usr/local/bin:/usr/bin:/bin",
           "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "TMPDIR": "/tmp"}
    inner = ["runuser", "-u", USER, "--", "env", "-i",
             *(f"{k}={v}" for k, v in env.items()), *suite_command(junit)]
    script = [*expose_script(needed, stage), f"cd {shlex.quote(str(REPO))}",
              "exec " + shlex.join(inner)]
    return run_bounded(["unshare", "--mount", "--propagation", "private", "sh", "-ec",
                        "\n".join(script)], INNER_TIMEOUT_S, leftover_uid=user.pw_uid)


def run_bounded(argv: list[str], timeout_s: float, cwd: Path | None = None,
                leftover_uid: int | None = None) -> subprocess.CompletedProcess[str]:
    """Run `argv` in a session of its own. However it ends (exit, timeout, or this test
    being stopped), nothing it started is left: its process group is killed, and with
    `leftover_uid` every process of that user (the inner pytest starts its workers in
    sessions of their own, which the group kill does not reach)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, cwd=cwd)
    try:
        try:
            out, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_everything(proc.pid, leftover_uid)
            out, err = proc.communicate()
            err += f"\n[stopped after {timeout_s:g} s]"
        return subprocess.CompletedProcess(argv, proc.returncode, out, err)
    finally:
        _kill_everything(proc.pid, leftover_uid)
        proc.wait()


def _kill_everything(pgid: int, uid: int | None) -> None:
    # a group id stays reserved while any member lives, so this never hits a stranger
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    if uid is not None:
        kill_all_of(uid)


@pytest.fixture
def junit() -> Iterator[Path]:
    """Where the inner run writes its report: a directory the user owns (pytest's
    tmp_path is below a 0700 one of ours)."""
    out = Path(tempfile.mkdtemp(prefix="heron-ci-out-", dir="/tmp"))
    try:
        yield out / "suite.xml"
    finally:
        shutil.rmtree(out, ignore_errors=True)


@pytest.mark.timeout(INNER_TIMEOUT_S + 120)  # ours must not fire before the inner bound
def test_the_hostile_worker_suite_holds_for_a_normal_user(tmp_path: Path, junit: Path) -> None:
    if os.geteuid() == 0:
        proc = run_as_user(tmp_path, junit)
    else:  # already what a desktop user is
        proc = run_bounded(suite_command(junit), INNER_TIMEOUT_S, cwd=REPO)
    tail = (proc.stdout + proc.stderr)[-4000:]
    assert proc.returncode == 0, tail
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None, tail
    counts = {k: int(suite.get(k, "0")) for k in ("tests", "failures", "errors", "skipped")}
    written = sum((REPO / f).read_text().count("\ndef test_") for f in suite_files())
    # every test really ran: none skipped, none failed
    assert counts["tests"] >= written > 0, (counts, written)
    assert counts["failures"] == counts["errors"] == counts["skipped"] == 0, (counts, tail)
    assert junit.stat().st_uid != 0  # written by the inner run: it ran as a normal user


def test_the_outer_timeout_outlasts_the_inner_bound() -> None:
    """Else pytest-timeout stops this test first, and nothing of the inner run is
    cleaned up."""
    marks = test_the_hostile_worker_suite_holds_for_a_normal_user.pytestmark
    assert [m.args[0] for m in marks if m.name == "timeout"] == [INNER_TIMEOUT_S + 120]


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")  # killed; its new parent has not reaped it yet


LEFTOVER_UID = 3_999_999  # no user has it: killing "all of its processes" hurts no one


def test_a_bounded_run_leaves_nothing_behind_when_it_is_stopped() -> None:
    """What a hung inner suite leaves: a child in the same group, and (as root) one that
    runs as another user in a session of its own."""
    script = "sleep 1000 & echo $!\n"
    if os.geteuid() == 0:
        script += (f"setsid setpriv --reuid {LEFTOVER_UID} --regid {LEFTOVER_UID} "
                   "--clear-groups sleep 1000 & echo $!\n")
    script += "wait\n"
    proc = run_bounded(["sh", "-c", script], 1, leftover_uid=LEFTOVER_UID
                       if os.geteuid() == 0 else None)
    assert "[stopped after 1 s]" in proc.stderr
    pids = [int(p) for p in proc.stdout.split()]
    assert len(pids) == (2 if os.geteuid() == 0 else 1), proc
    # killed at once; on a busy machine the kernel may take a moment to finish them
    deadline = time.monotonic() + 5.0
    while not all(_gone(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_gone(pid) for pid in pids), pids
