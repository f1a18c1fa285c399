"""`heron audit` and `heron audit verify` as a user runs them: real tool calls through the
registry fill the log, another program tampers with the database, the key or the head,
and verify must exit 8 naming the rows. (Until the command is registered in
assistant/cli/main.py these drive the module's own parser and handlers.)"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sqlite3
from pathlib import Path

import pytest

from assistant.audit import AUDIT_KEY, HEAD_FILE, AuditError, AuditLog
from assistant.builtins.clock import GetDate, GetTime
from assistant.bus import EventBus
from assistant.cli import audit_cmd
from assistant.cli.context import Context
from assistant.secrets import SecretStore
from assistant.storage import Storage
from assistant.tools.call import ToolCall
from assistant.tools.registry import ToolRegistry


def heron_audit(capsys, *argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="heron")
    audit_cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["audit", *argv])
    code = args.handler(args, Context())
    return code, capsys.readouterr().out


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A Heron home whose log holds six real tool calls (a decision and a call each)."""
    monkeypatch.setenv("HERON_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    data = tmp_path / "home" / "data"
    storage = Storage(data / "heron.db")
    registry = ToolRegistry(EventBus(), AuditLog.open(storage, SecretStore(data)))
    registry.register(GetTime())
    registry.register(GetDate())

    async def calls() -> None:
        for i in range(3):
            await registry.call(ToolCall("get_time", {}, source="cli"))
            await registry.call(ToolCall("get_date", {}, source="voice" if i else "cli"))

    asyncio.run(calls())
    storage.close()
    return tmp_path / "home"


def tamper(home: Path, *statements: str) -> None:
    con = sqlite3.connect(home / "data" / "heron.db", isolation_level=None)
    for sql in statements:
        con.execute(sql)
    con.close()


def test_audit_lists_recent_entries_as_a_table_and_json(home, capsys):
    code, out = heron_audit(capsys)
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["ID", "TIME", "KIND", "TOOL", "OUTCOME",
                                              "SOURCE", "DETAIL"]
    assert len(lines) == 1 + 12
    assert lines[1].split()[3:7] == ["decision", "get_time", "allow", "cli"]
    assert lines[2].split()[3:7] == ["call", "get_time", "ok", "cli"]
    code, out = heron_audit(capsys, "--json", "--limit", "4", "--tool", "get_date")
    entries = json.loads(out)
    assert [(e["kind"], e["tool"], e["source"]) for e in entries] == [
        ("decision", "get_date", "voice"), ("call", "get_date", "voice")] * 2
    assert heron_audit(capsys, "--tool", "open_app")[1].strip() == \
        "no audit entries for tool 'open_app'"


def test_verify_passes_an_intact_log_and_says_how_much_it_checked(home, capsys):
    code, out = heron_audit(capsys, "verify")
    assert code == 0
    assert "audit log intact: 12 row(s) checked" in out
    code, out = heron_audit(capsys, "verify", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["ok"] and doc["rows_checked"] == 12 and doc["problems"] == []


TAMPERING = {
    "edit data": (["UPDATE audit SET data = replace(data, 'cli', 'phone') WHERE id = 2"],
                  "edited", 12),
    "edit ts": (["UPDATE audit SET ts = ts + 60 WHERE id = 7"], "edited", 12),
    "delete a middle row": (["DELETE FROM audit WHERE id = 5"], "missing", 11),
    "reorder two rows": (["UPDATE audit SET id = 100 WHERE id = 3",
                          "UPDATE audit SET id = 3 WHERE id = 4",
                          "UPDATE audit SET id = 4 WHERE id = 100"], "reordered", 12),
    "truncate the tail": (["DELETE FROM audit WHERE id > 9"], "truncated", 9),
    "delete all rows": (["DELETE FROM audit"], "truncated", 0),
}


@pytest.mark.parametrize("how", TAMPERING)
def test_verify_exits_8_on_each_kind_of_tampering(home, capsys, how):
    statements, kind, rows_left = TAMPERING[how]
    tamper(home, *statements)
    code, out = heron_audit(capsys, "verify", "--json")
    doc = json.loads(out)
    assert code == AuditError.exit_code == 8
    assert not doc["ok"] and doc["rows_checked"] == rows_left
    assert kind in {p["kind"] for p in doc["problems"]}
    code, out = heron_audit(capsys, "verify")
    assert code == 8
    assert f"[{kind}]" in out and "TAMPERED" in out
    assert f"problem(s) in {rows_left} row(s) checked" in out


def test_verify_exits_8_when_the_key_was_replaced(home, capsys):
    SecretStore(home / "data").set(AUDIT_KEY, secrets.token_hex(32))
    code, out = heron_audit(capsys, "verify", "--json")
    assert code == 8
    assert [p["kind"] for p in json.loads(out)["problems"]] == ["wrong_key"]


def test_verify_exits_8_when_the_head_is_deleted(home, capsys):
    (home / "data" / HEAD_FILE).unlink()
    code, out = heron_audit(capsys, "verify")
    assert code == 8 and "[head_missing]" in out
