"""read_file and find_files on real files with real capability checks: only inside
their grant, never through a link swapped in mid-call, hidden files left alone, and
coded errors for what cannot be read."""

from __future__ import annotations

import asyncio
import os

import pytest
from builtin_support import Recorder, ctx_for, run

from assistant.audit import AuditLog
from assistant.builtins.files import FilesOptions, FindFiles, ReadFile
from assistant.bus import EventBus
from assistant.tools.call import ToolCall
from assistant.tools.capabilities import CapabilityDenied
from assistant.tools.registry import ToolError, ToolRegistry


@pytest.fixture
def home(tmp_path):
    h = tmp_path / "home"
    (h / "Documents" / "taxes").mkdir(parents=True)
    (h / "Documents" / "taxes" / "tax_return_2023.pdf").write_bytes(b"%PDF-1.4\x00\x01")
    (h / "Documents" / "shopping list.txt").write_text("milk\neggs\nbread\n")
    (h / "Documents" / "report.md").write_text("# Quarterly report\nAll good.\n")
    (h / ".ssh").mkdir()
    (h / ".ssh" / "id_ed25519").write_text("PRIVATE KEY")
    return h


# -- read_file ---------------------------------------------------------------------

def test_read_file_reads_a_granted_file_and_marks_it_untrusted(home):
    tool, rec = ReadFile(home=home), Recorder()
    out = run(tool.run({"path": "~/Documents/shopping list.txt"}, ctx_for(tool, home, rec)))
    assert out["text"] == "milk\neggs\nbread\n"
    assert out["untrusted_output"] is True and out["truncated"] is False
    assert out["speech"] == "shopping list.txt says: milk eggs bread"
    assert rec.rows == [("fs.read:~/**", str(home / "Documents" / "shopping list.txt"), True)]


def test_read_file_outside_the_grant_is_denied_and_audited(home, tmp_path):
    secret = tmp_path / "elsewhere.txt"
    secret.write_text("not yours")
    tool, rec = ReadFile(FilesOptions(read=("~/Documents/**",)), home=home), Recorder()
    assert tool.manifest.permissions == ("fs.read:~/Documents/**",)
    for path in (str(secret), "~/notes-outside-documents.txt"):
        with pytest.raises(CapabilityDenied) as err:
            run(tool.run({"path": path}, ctx_for(tool, home, rec)))
        assert err.value.code == "capability.denied"
    assert [allowed for *_, allowed in rec.rows] == [False, False]


def test_a_symlink_out_of_the_grant_is_denied(home, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    (home / "Documents" / "link.txt").symlink_to(outside)
    tool, rec = ReadFile(FilesOptions(read=("~/Documents/**",)), home=home), Recorder()
    with pytest.raises(CapabilityDenied):
        run(tool.run({"path": "~/Documents/link.txt"}, ctx_for(tool, home, rec)))
    assert rec.rows[-1][2] is False


def test_binary_files_are_refused(home):
    tool = ReadFile(home=home)
    with pytest.raises(ToolError) as err:
        run(tool.run({"path": "~/Documents/taxes/tax_return_2023.pdf"}, ctx_for(tool, home)))
    assert err.value.code == "files.binary"
    assert "not a text file" in err.value.message


def test_big_files_are_cut_at_64_kb(home):
    big = home / "Documents" / "big.txt"
    big.write_text("é" * 40_000 + "\n")  # 80 KB of two-byte characters
    tool = ReadFile(home=home)
    out = run(tool.run({"path": str(big)}, ctx_for(tool, home)))
    assert out["truncated"] is True and out["size_bytes"] == 80_001
    assert len(out["text"].encode()) <= 64 * 1024 and set(out["text"]) == {"é"}


def test_hidden_files_are_left_alone_unless_configured(home):
    tool = ReadFile(home=home)
    with pytest.raises(ToolError) as err:
        run(tool.run({"path": "~/.ssh/id_ed25519"}, ctx_for(tool, home)))
    assert err.value.code == "files.hidden"
    (home / "Documents" / "key").symlink_to(home / ".ssh" / "id_ed25519")
    with pytest.raises(ToolError):  # not through a symlink either
        run(tool.run({"path": "~/Documents/key"}, ctx_for(tool, home)))
    opened = ReadFile(FilesOptions(include_hidden=True), home=home)
    out = run(opened.run({"path": "~/.ssh/id_ed25519"}, ctx_for(opened, home)))
    assert out["text"] == "PRIVATE KEY"


def test_a_hidden_path_is_refused_before_it_is_opened(storage, home):
    """The audit shows a refusal, not an allowed read of ~/.ssh followed by one."""
    audit = AuditLog(storage, b"k" * 32)
    registry = ToolRegistry(EventBus(), audit)
    registry.register(ReadFile(home=home))
    registry.register(FindFiles(home=home))
    for tool, args in (("read_file", {"path": "~/.ssh/id_ed25519"}),
                       ("find_files", {"query": "id", "dir": "~/.ssh"})):
        outcome = run(registry.call(ToolCall(tool, args)))
        assert (outcome.status, outcome.code) == ("error", "files.hidden"), outcome
    assert [e for e in audit.entries() if e["kind"] == "capability"] == []
    calls = [(e["tool"], e["status"], e["code"]) for e in audit.entries()
             if e["kind"] == "call"]
    assert calls == [("read_file", "error", "files.hidden"),
                     ("find_files", "error", "files.hidden")]


def test_a_fifo_is_refused_without_hanging(home):
    os.mkfifo(home / "Documents" / "pipe")
    tool = ReadFile(home=home)
    with pytest.raises(ToolError) as err:
        run(asyncio.wait_for(tool.run({"path": "~/Documents/pipe"}, ctx_for(tool, home)), 3))
    assert err.value.code == "files.not_a_file"


def test_read_file_of_a_missing_file_says_so(home):
    tool = ReadFile(home=home)
    with pytest.raises(ToolError) as err:
        run(tool.run({"path": "Documents/nope.txt"}, ctx_for(tool, home)))
    assert err.value.code == "files.not_found"


# -- find_files --------------------------------------------------------------------

def test_find_files_by_words_and_by_glob(home):
    tool = FindFiles(home=home)
    out = run(tool.run({"query": "tax return"}, ctx_for(tool, home)))
    assert [f["name"] for f in out["files"]] == ["tax_return_2023.pdf"]
    assert out["untrusted_output"] is True
    assert out["speech"] == "I found one match in home: tax_return_2023.pdf."
    out = run(tool.run({"query": "*.TXT", "dir": "~/Documents"}, ctx_for(tool, home)))
    assert [f["name"] for f in out["files"]] == ["shopping list.txt"]
    out = run(tool.run({"query": "id_ed25519"}, ctx_for(tool, home)))  # hidden: skipped
    assert out["files"] == [] and "didn't find anything" in out["speech"]


def test_a_folder_said_by_name_is_the_users_folder_of_that_name(home, monkeypatch):
    """"look for my CV in documents": the router says ~/Documents; the folder may be
    spelt in another case, or be the user's XDG documents folder under another name."""
    monkeypatch.chdir(home / "Documents")  # no folder "documents" here, nor in home
    (home / "Documents" / "cv-2024.pdf").write_bytes(b"%PDF")
    tool = FindFiles(home=home)
    for said in ("documents", "~/documents", "~/Documents"):
        out = run(tool.run({"query": "cv", "dir": said}, ctx_for(tool, home)))
        assert [f["name"] for f in out["files"]] == ["cv-2024.pdf"], said
        assert out["dir"] == str(home / "Documents")
    (home / "Dokumente").mkdir()
    (home / "Dokumente" / "lebenslauf-cv.odt").write_bytes(b"PK")
    (home / ".config").mkdir()
    (home / ".config" / "user-dirs.dirs").write_text(
        '# written by xdg-user-dirs-update\nXDG_DOCUMENTS_DIR="$HOME/Dokumente"\n'
        'XDG_DOWNLOAD_DIR="$HOME/Downloads"\n')
    (home / "Documents").rename(home / "Old documents")
    out = run(tool.run({"query": "cv", "dir": "~/Documents"}, ctx_for(tool, home)))
    assert [f["name"] for f in out["files"]] == ["lebenslauf-cv.odt"]
    with pytest.raises(ToolError) as err:  # nothing by that name: said plainly
        run(tool.run({"query": "cv", "dir": "~/Downloads"}, ctx_for(tool, home)))
    assert err.value.code == "files.not_a_directory"


def test_find_files_stays_inside_its_dir_and_grant(home, tmp_path):
    (tmp_path / "report-outside.md").write_text("x")
    (home / "Documents" / "escape").symlink_to(tmp_path)  # a folder link is not followed
    tool = FindFiles(FilesOptions(read=("~/Documents/**",)), home=home)
    out = run(tool.run({"query": "report"}, ctx_for(tool, home)))  # in ~/Documents
    assert [f["path"] for f in out["files"]] == [str(home / "Documents" / "report.md")]
    assert out["speech"] == "I found one match in Documents: report.md."
    rec = Recorder()
    with pytest.raises(CapabilityDenied):
        run(tool.run({"query": "report", "dir": str(tmp_path)}, ctx_for(tool, home, rec)))
    assert rec.rows == [("fs.read:<glob>", str(tmp_path), False)]


def test_find_files_lists_a_link_only_if_where_it_finally_leads_is_granted(home, tmp_path):
    (tmp_path / "secret-report.txt").write_text("outside")
    docs = home / "Documents"
    (docs / "hop").symlink_to(tmp_path / "secret-report.txt")  # out of the grant
    (docs / "report-link.txt").symlink_to("hop")  # its text names a path inside
    (docs / "report-alias.md").symlink_to("current")  # inside, through two links
    (docs / "current").symlink_to("report.md")
    (docs / "report-dangling.txt").symlink_to("gone")
    tool = FindFiles(FilesOptions(read=("~/Documents/**",)), home=home)
    out = run(tool.run({"query": "report"}, ctx_for(tool, home)))
    assert sorted(f["name"] for f in out["files"]) == ["report-alias.md", "report.md"]


def test_a_denied_read_through_the_registry_is_in_the_audit_log(storage, home, tmp_path):
    audit = AuditLog(storage, b"k" * 32)
    registry = ToolRegistry(EventBus(), audit)
    registry.register(ReadFile(FilesOptions(read=(f"{home}/Documents/**",)), home=home))
    outcome = run(registry.call(ToolCall("read_file", {"path": "/etc/hostname"})))
    assert outcome.status == "error" and outcome.code == "capability.denied"
    cap = [e for e in audit.entries() if e["kind"] == "capability"]
    assert cap and cap[0]["allowed"] is False and cap[0]["target"] == "/etc/hostname"
    assert audit.verify() == []


def test_a_link_inside_the_grant_is_read_and_the_real_file_audited(home):
    (home / "Documents" / "current.txt").symlink_to("report.md")
    tool, rec = ReadFile(FilesOptions(read=("~/Documents/**",)), home=home), Recorder()
    out = run(tool.run({"path": "~/Documents/current.txt"}, ctx_for(tool, home, rec)))
    assert out["text"].startswith("# Quarterly report")
    assert out["path"] == str(home / "Documents" / "report.md")
    assert rec.rows == [("fs.read:~/Documents/**", str(home / "Documents" / "report.md"), True)]


def flipping(*pairs):
    """A thread that keeps trading each (path, spare) pair's places (renameat2
    RENAME_EXCHANGE), as a process of the user's could while Heron reads."""
    import ctypes
    import threading

    libc = ctypes.CDLL(None, use_errno=True)
    stop = threading.Event()

    def flip():
        while not stop.is_set():
            for a, b in pairs:
                libc.renameat2(-100, bytes(a), -100, bytes(b), 2)

    thread = threading.Thread(target=flip)
    thread.start()
    return stop, thread


def test_read_file_never_follows_a_link_swapped_in_mid_read(home, tmp_path):
    (tmp_path / "secret.txt").write_text("the secret")
    docs = home / "Documents"
    (docs / "bait.txt").write_text("bait")
    (docs / "bait.swap").symlink_to(tmp_path / "secret.txt")
    (docs / "sub").mkdir()
    (docs / "sub" / "secret.txt").write_text("bait")
    (docs / "sub.swap").symlink_to(tmp_path)
    tool = ReadFile(FilesOptions(read=("~/Documents/**",)), home=home)

    async def race():
        seen = {}
        for _ in range(1500):
            for path in ("~/Documents/bait.txt", "~/Documents/sub/secret.txt"):
                try:
                    key = (await tool.run({"path": path}, ctx_for(tool, home)))["text"]
                except (ToolError, CapabilityDenied) as err:
                    key = err.code
                seen[key] = seen.get(key, 0) + 1
        return seen

    stop, thread = flipping((docs / "bait.txt", docs / "bait.swap"),
                            (docs / "sub", docs / "sub.swap"))
    try:
        seen = run(race())
    finally:
        stop.set()
        thread.join()
    assert "the secret" not in seen, seen
    assert seen.get("bait") and seen.get("capability.denied"), seen


def test_find_files_never_lists_a_folder_swapped_for_a_link(home, tmp_path):
    (tmp_path / "outside-only.txt").write_text("x")
    docs = home / "Documents"
    (docs / "sub").mkdir()
    (docs / "sub" / "inside-only.txt").write_text("x")
    (docs / "sub.swap").symlink_to(tmp_path)
    tool = FindFiles(FilesOptions(read=("~/Documents/**",)), home=home)

    async def race():
        listed = set()
        for _ in range(400):
            out = await tool.run({"query": "only", "dir": "~/Documents"}, ctx_for(tool, home))
            listed.update(f["path"] for f in out["files"])
        return listed

    stop, thread = flipping((docs / "sub", docs / "sub.swap"))
    try:
        listed = run(race())
    finally:
        stop.set()
        thread.join()
    # found under sub or sub.swap, wherever the real folder was at the time; never a
    # name from the folder the link leads to
    assert listed and all(p.endswith("/inside-only.txt") for p in listed), listed


@pytest.mark.parametrize(("tool", "args"), [
    ("read_file", {"path": "/tmp/a\u0000b"}),
    ("read_file", {"path": "~/Documents/a\x00b.txt"}),
    ("find_files", {"query": "report", "dir": "~/Doc\x00uments"}),
])
def test_a_nul_byte_in_a_path_is_a_coded_error_not_a_traceback(storage, home, caplog,
                                                                 tool, args):
    audit = AuditLog(storage, b"k" * 32)
    registry = ToolRegistry(EventBus(), audit)
    registry.register(ReadFile(home=home))
    registry.register(FindFiles(home=home))
    outcome = run(registry.call(ToolCall(tool, args)))
    assert (outcome.status, outcome.code) == ("error", "capability.bad_path"), outcome
    assert "NUL" in outcome.error
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
