"""A permission scope in plain words, for every approval surface (terminal, tray,
phone, MCP, voice): "always" grants scopes, so the user must see what they mean.

`scope_words("shell")` is "run any program (shell)": the words first, then the scope
itself in parentheses, so a careful reader can match it with `heron workers grants`.
`spoken_scope` drops the parenthesis (for speech). A scope this module does not know
is still shown, quoted, never hidden.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from pathlib import Path

from assistant.permissions.grants import expand_glob, normalize
from assistant.tools.capabilities import path_matches

_SIMPLE = {
    "mic": "listen through your microphone",
    "camera": "see through your camera",
    "screen.read": "see what is on your screen",
    "input.control": "type and click on your behalf",
    "clipboard.read": "read your clipboard",
    "clipboard.write": "replace what is on your clipboard",
    "shell": "run any program",
    "apps.launch": "open apps and web pages",
    "media.control": "pause, skip and play music and videos in your media players",
    "audio.volume": "change or mute your computer's sound volume",
    "notify": "send notifications to your phone, through the internet",
    "system": "change system settings such as volume and power",
    "home.control": "control the lights, doors and other devices in your home through "
                    "Home Assistant",
}
_FS_VERBS = {"fs.read:": ("read", "read every file on this computer"),
             "fs.write:": ("create, change or delete", "change or delete any file on this "
                                                        "computer")}
# Spellings that mean "everything" even where no probe below falls under them.
_BROAD_FS = ("/", "/**", "/*")
_BROAD_HOME = ("~", "~/**", "~/*")
# Breadth is decided by what a glob covers, not how it is spelt (`/*/**`, `//**`,
# `~/../../**` reach as far as `/**`): a glob that covers every one of these files
# reaches every file on this computer.
_SYSTEM_PROBES = ("/etc/shadow", "/root/.ssh/id_rsa", "/var/lib/heron/probe/x.db")
_HOME_PROBES = (".ssh/id_rsa", "Documents/notes/x.txt")
_HIDDEN = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})


def scope_words(scope: str) -> str:
    """`scope` in plain words, followed by the scope itself in parentheses."""
    return f"{spoken_scope(scope)} ({_visible(scope)})"


def spoken_scope(scope: str) -> str:
    """`scope` in plain words only (short enough to be read aloud)."""
    if scope in _SIMPLE:
        return _SIMPLE[scope]
    for prefix, (verb, everything) in _FS_VERBS.items():
        if scope.startswith(prefix):
            return _files(verb, everything, scope[len(prefix):])
    if scope.startswith("net:"):
        return _network(scope[len("net:"):])
    return f"use a permission Heron does not know: {_visible(scope)}"


def scopes_words(scopes: Iterable[str]) -> list[str]:
    """Each scope in plain words, in the order given (duplicates dropped)."""
    return [scope_words(s) for s in dict.fromkeys(scopes)]


def is_broad(scope: str) -> bool:
    """A scope that reaches (almost) everything: any program, any file, any host, your
    input devices. Voice names these even for a one-time yes."""
    if scope in ("shell", "input.control", "system"):
        return True
    for prefix in _FS_VERBS:
        if scope.startswith(prefix):
            return _reach(scope[len(prefix):]) is not None
    return scope.startswith("net:") and scope[len("net:"):] in ("*", "")


def _reach(glob: str) -> str | None:
    """"computer" when `glob` covers every file on this computer, "home" when it covers
    every file in the user's home folder, else None."""
    if glob in _BROAD_FS or all(_covers(p, glob) for p in _SYSTEM_PROBES):
        return "computer"
    home = Path.home()
    if glob in _BROAD_HOME or all(_covers(home / p, glob) for p in _HOME_PROBES):
        return "home"
    return None


def _covers(path: str | Path, glob: str) -> bool:
    # A glob the file system cannot even look at (a NUL byte) grants nothing; the
    # words must still be shown, not crash the prompt that shows them.
    try:
        return path_matches(path, glob)
    except (ValueError, OSError):
        return False


def _files(verb: str, everything: str, glob: str) -> str:
    reach = _reach(glob)
    if reach == "computer":
        return everything
    home_only = expand_glob(glob) == normalize(f"{Path.home()}/**")
    if reach == "home" and (glob in _BROAD_HOME or home_only):
        return f"{verb} every file in your home folder"
    shown = _visible(glob)
    if glob.endswith("/**") and not any(c in glob[:-3] for c in "*?["):
        words = f"{verb} any file under {_visible(glob[:-3]) or '/'}"
    elif any(c in glob for c in "*?["):
        words = f"{verb} files matching {shown}"
    else:
        words = f"{verb} the file {shown}"
    # e.g. /home/** or ~/../**: more than the home folder, but the home folder for sure
    return words + (", every file in your home folder included" if reach == "home" else "")


def _network(host: str) -> str:
    if host in ("*", ""):
        return "connect to any host on the network"
    if host.startswith("*."):
        return f"connect to any host under {_visible(host[2:])} over the network"
    return f"connect to {_visible(host)} over the network"


def _visible(text: str) -> str:
    """`text` with characters a reader could not see escaped (a scope from a third-party
    manifest must not hide part of itself)."""
    return "".join(c if unicodedata.category(c) not in _HIDDEN
                   else (f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}")
                   for c in text)
