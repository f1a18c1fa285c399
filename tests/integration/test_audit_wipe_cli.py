"""Wiping the audit log, as an attacker or a careless user would, through the real CLI
(`python -m assistant audit …` with HERON_HOME in a tmp dir): the rows and the head
file, the key too, or the whole data dir. Each must make `heron audit verify` exit 8,
never verify clean after the next start; `heron audit reset --yes` is the only way to a
new chain, and that chain's first row records the old head.

Two storage modes, as docs/security.md describes them: "keyring" (a real keyring backend:
keyrings.alt's file-backed one, outside the Heron home) and "file" (no keyring: 0600
files in data/secrets/, the marker copy of the anchor in the config dir)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BACKENDS = {"keyring": "keyrings.alt.file.PlaintextKeyring",
            "file": "keyring.backends.fail.Keyring"}

# Stands in for Heron running and making tool calls: the same open/append/close Core does.
APPEND = textwrap.dedent("""
    import sys
    from assistant.audit import AuditLog
    from assistant.audit.anchor import marker_path
    from assistant.paths import resolve_paths
    from assistant.secrets import SecretStore
    from assistant.storage import Storage
    paths = resolve_paths()
    paths.ensure()
    storage = Storage(paths.db_file)
    audit = AuditLog.open(storage, SecretStore(paths.data_dir), anchor_path=marker_path(paths))
    for i in range(int(sys.argv[1])):
        audit.append("call", {"tool": "get_time", "status": "ok", "source": "cli", "i": i})
    audit.close()
    storage.close()
""")


class Home:
    def __init__(self, root: Path, mode: str) -> None:
        self.root, self.mode = root, mode
        self.path = root / "home"
        self.data = self.path / "data"
        self.env = {**os.environ, "HERON_HOME": str(self.path),
                    "PYTHON_KEYRING_BACKEND": BACKENDS[mode],
                    "XDG_DATA_HOME": str(root / "xdg")}  # where the keyring file lives

    def run(self, *argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, *argv], cwd=REPO, env=self.env,
                              capture_output=True, text=True, timeout=120)

    def heron(self, *argv: str) -> subprocess.CompletedProcess:
        return self.run("-m", "assistant", "audit", *argv)

    def append(self, n: int) -> None:
        done = self.run("-c", APPEND, str(n))
        assert done.returncode == 0, done.stderr

    def verify(self) -> tuple[int, dict]:
        done = self.heron("verify", "--json")
        return done.returncode, json.loads(done.stdout)

    def wipe_rows_and_head(self) -> None:
        con = sqlite3.connect(self.data / "heron.db", isolation_level=None)
        con.execute("DELETE FROM audit")
        con.close()
        (self.data / "audit-head.json").unlink()

    def delete_key(self) -> None:
        self.delete_secret("audit-hmac-key")

    def delete_anchor(self) -> None:
        """Both copies: the secret store's and the marker in the config dir."""
        self.delete_secret("audit-anchor")
        (self.path / "config" / "audit-anchor.json").unlink()

    def delete_secret(self, name: str) -> None:
        if self.mode == "file":
            (self.data / "secrets" / name).unlink()
            return
        from keyrings.alt.file import PlaintextKeyring

        from assistant.secrets import keyring_service

        ring = PlaintextKeyring()
        ring.file_path = str(self.root / "xdg" / "python_keyring" / "keyring_pass.cfg")
        service = keyring_service(self.data)  # this home's own service in the keyring
        assert ring.get_password(service, name)
        ring.delete_password(service, name)


@pytest.fixture(params=list(BACKENDS))
def home(request, tmp_path) -> Home:
    h = Home(tmp_path, request.param)
    h.append(6)
    return h


def test_a_fresh_home_starts_clean_and_stays_clean(tmp_path):
    h = Home(tmp_path, "file")
    code, doc = h.verify()
    assert code == 0 and doc["ok"] and doc["rows_checked"] == 0
    h.append(3)
    code, doc = h.verify()
    assert code == 0 and doc["rows_checked"] == 3 and doc["problems"] == []


def test_wiping_rows_and_head_is_caught_before_and_after_the_next_start(home):
    home.wipe_rows_and_head()
    code, doc = home.verify()
    assert code == 8 and "truncated" in {p["kind"] for p in doc["problems"]}
    home.append(2)  # ids restart at 1: this used to verify clean
    code, doc = home.verify()
    assert code == 8
    gap = [p for p in doc["problems"] if p["kind"] == "gap"]
    assert gap and "the anchor recorded 6 rows ending at row 6" in gap[0]["message"]
    out = home.heron("verify").stdout
    assert "TAMPERED" in out and "[gap]" in out


def test_wiping_rows_head_and_both_anchor_copies_but_keeping_the_key_is_caught(home):
    home.wipe_rows_and_head()
    home.delete_anchor()
    code, doc = home.verify()
    assert code == 8 and "anchor_missing" in {p["kind"] for p in doc["problems"]}
    home.append(2)  # this used to anchor the empty log as if it were an upgrade
    code, doc = home.verify()
    assert code == 8
    assert [(p["kind"], p["row_id"]) for p in doc["problems"]] == [("gap", 1)]
    assert "the chain anchor was missing, edited or signed with another key" \
        in doc["problems"][0]["message"]


def test_wiping_rows_head_and_key_is_an_error_not_a_new_key(home):
    home.wipe_rows_and_head()
    home.delete_key()
    done = home.heron("verify")
    assert done.returncode == 8
    assert "[audit.key_missing]" in done.stderr and "heron audit reset --yes" in done.stderr
    assert "a chain was started here" in done.stderr
    # Heron's next start refuses the same way instead of quietly making a key...
    started = home.run("-c", APPEND, "1")
    assert started.returncode != 0 and "audit.key_missing" in started.stderr
    # ...so verify still fails: nothing made a key behind the user's back.
    assert home.heron("verify").returncode == 8


def test_deleting_only_the_key_is_an_error(home):
    home.delete_key()
    done = home.heron("verify", "--json")
    assert done.returncode == 8
    assert json.loads(done.stdout)["error"]["code"] == "audit.key_missing"


def test_deleting_the_whole_data_dir_is_caught(home):
    """keyring mode: the keyring still holds key and anchor, so the emptied log reads as
    truncated; file mode: the key went with the data dir, and the marker in the config
    dir makes that an error instead of a clean first start."""
    shutil.rmtree(home.data)
    done = home.heron("verify", "--json")
    assert done.returncode == 8
    doc = json.loads(done.stdout)
    if home.mode == "keyring":
        assert {"truncated", "head_missing"} <= {p["kind"] for p in doc["problems"]}
        assert any("all rows were deleted: the anchor in the secret store"
                   in p["message"] for p in doc["problems"])
    else:
        assert doc["error"]["code"] == "audit.key_missing"
        assert "audit-anchor.json" in doc["error"]["message"]


def test_deleting_data_and_config_dirs_is_caught_only_with_a_keyring(home):
    """The documented limit of file mode: with every copy gone, nothing is left to tell
    a wiped install from a new one."""
    shutil.rmtree(home.data)
    shutil.rmtree(home.path / "config")
    code, doc = home.verify()
    if home.mode == "keyring":
        assert code == 8 and "truncated" in {p["kind"] for p in doc["problems"]}
    else:
        assert code == 0 and doc["rows_checked"] == 0


def test_reset_without_yes_refuses_and_changes_nothing(home):
    home.delete_key()
    done = home.heron("reset")
    assert done.returncode == 2
    assert "[audit.reset_unconfirmed]" in done.stderr and "--yes" in done.stderr
    assert "6 row(s)" in done.stderr
    assert home.heron("verify").returncode == 8
    assert not (home.data / "audit-archive").exists()


@pytest.mark.parametrize("damage", ["key", "rows+head", "rows+head+key"])
def test_reset_with_yes_starts_a_new_chain_recording_the_old_head(home, damage):
    if "rows" in damage:
        home.wipe_rows_and_head()
    if "key" in damage:
        home.delete_key()
    done = home.heron("reset", "--yes", "--reason", "lost laptop backup")
    assert done.returncode == 0, done.stderr
    assert "started a new audit chain at row 7" in done.stdout
    code, doc = home.verify()
    assert code == 0 and doc["problems"] == [] and doc["rows_checked"] == 1
    assert any("started by `heron audit reset`" in n and "lost laptop backup" in n
               for n in doc["notes"])
    first = json.loads(home.heron("--json").stdout)[0]
    assert first["kind"] == "audit.reset" and first["id"] == 7
    assert first["reason"] == "lost laptop backup"
    assert first["previous"]["count"] == 6 and first["previous"]["last_id"] == 6
    archived = list((home.data / "audit-archive").glob("*.jsonl"))
    if "rows" in damage:
        assert archived == [] and first["rows_archived"] == 0
    else:
        lines = archived[0].read_text().splitlines()
        assert len(lines) == 1 + 6 and json.loads(lines[-1])["id"] == 6
    home.append(3)
    code, doc = home.verify()
    assert code == 0 and doc["rows_checked"] == 4
