"""Installed apps from XDG .desktop files, matched by a spoken name ("open fire fox" →
Firefox, "the web browser" → the default browser), and their Exec= line turned into an
argv (Desktop Entry Specification 1.5; defaults from mimeapps.list)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

from models.errors import CodedError

AUTO_LAUNCH_SCORE = 0.85  # a fuzzy match this good is launched without asking
SUGGEST_SCORE = 0.55
_FIELD_CODE = re.compile(r"%[fFuUdDnNvmick%]")
_FILLER = re.compile(r"^(?:the|my)\s+|\s+(?:app|application|program)$")


class AppNotFound(CodedError):
    """No installed app has (or sounds like) that name."""


@dataclass(frozen=True)
class DesktopApp:
    app_id: str  # e.g. firefox-esr.desktop
    name: str
    exec: str = ""
    generic_name: str = ""
    keywords: tuple[str, ...] = ()
    icon: str = ""
    path: str = ""  # working directory (Path=)
    terminal: bool = False
    file: str = ""
    # Name[xx] / GenericName[xx] / Keywords[xx]: what users of other languages call it
    local_names: tuple[str, ...] = ()
    local_generic: tuple[str, ...] = ()
    local_keywords: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    mime_types: tuple[str, ...] = ()

    def spoken_names(self) -> list[tuple[str, float]]:
        """Names a user may say, with how much an exact hit on each is worth."""
        stem = self.app_id.removesuffix(".desktop").split(".")[-1]
        binary = os.path.basename(shlex.split(self.exec)[0]) if _splits(self.exec) else ""
        out = [(self.name, 1.0), (stem, 0.98), (binary, 0.97), (self.generic_name, 0.9)]
        out += [(n, 0.97) for n in self.local_names]
        out += [(n, 0.9) for n in self.local_generic]
        # "browser" for a Web Browser, "editor" for a Text Editor: the kind of app
        for generic in (self.generic_name, *self.local_generic):
            words = generic.split()
            if len(words) > 1:
                out.append((words[-1], 0.86))
        out += [(k, 0.86) for k in (*self.keywords, *self.local_keywords)]
        out += [(n, 0.86) for c in self.categories for n in _CATEGORY_NAMES.get(c, ())]
        return [(n, w) for n, w in out if _norm(n)]


# Freedesktop categories that name a kind of app people ask for by kind.
_CATEGORY_NAMES = {
    "WebBrowser": ("web browser", "browser"), "TerminalEmulator": ("terminal",),
    "TextEditor": ("text editor", "editor"), "Calculator": ("calculator",),
    "FileManager": ("file manager", "files"), "Email": ("email", "mail"),
    "Calendar": ("calendar",), "ContactManagement": ("contacts",)}


def _splits(line: str) -> bool:
    try:
        return bool(shlex.split(line))
    except ValueError:
        return False


def _norm(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _unescape(value: str) -> str:
    table = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: table.get(m.group(1), "\\" + m.group(1)), value)


def parse_desktop_file(path: Path, app_id: str) -> DesktopApp | None:
    """The app a .desktop file describes, or None when it is not a visible, runnable
    application (Hidden, NoDisplay, TryExec missing, not Type=Application)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    entry: dict[str, str] = {}
    local: dict[str, list[str]] = {}
    in_entry = False
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            in_entry = line == "[Desktop Entry]"
            continue
        key, sep, value = line.partition("=")
        if not (in_entry and sep):
            continue
        key, value = key.strip(), _unescape(value.strip())
        if "[" in key:  # Name[de]=…: another language's name
            local.setdefault(key.split("[", 1)[0], []).append(value)
        else:
            entry[key] = value
    if entry.get("Type") != "Application" or not entry.get("Name"):
        return None
    if entry.get("Hidden") == "true" or entry.get("NoDisplay") == "true":
        return None
    try_exec = entry.get("TryExec")
    if try_exec and shutil.which(try_exec) is None:
        return None
    if not entry.get("Exec") and entry.get("DBusActivatable") != "true":
        return None
    return DesktopApp(
        app_id=app_id, name=entry["Name"], exec=entry.get("Exec", ""),
        generic_name=entry.get("GenericName", ""),
        keywords=tuple(k for k in entry.get("Keywords", "").split(";") if k),
        icon=entry.get("Icon", ""), path=entry.get("Path", ""),
        terminal=entry.get("Terminal") == "true", file=str(path),
        local_names=tuple(local.get("Name", ())),
        local_generic=tuple(local.get("GenericName", ())),
        local_keywords=tuple(k for v in local.get("Keywords", ()) for k in v.split(";") if k),
        categories=_list(entry.get("Categories", "")),
        mime_types=_list(entry.get("MimeType", "")))


def _list(value: str) -> tuple[str, ...]:
    return tuple(v for v in value.split(";") if v)


def exec_argv(app: DesktopApp) -> list[str]:
    """The Exec= line as an argv with no file or URL: field codes dropped (%i, %c, %k
    expanded as the spec says), quoting honoured."""
    try:
        args = shlex.split(app.exec)
    except ValueError as err:
        raise AppNotFound("apps.bad_entry", f"{app.name}'s launcher line is malformed: {err}.",
                          f"fix or reinstall {app.file}") from err
    out: list[str] = []
    for arg in args:
        if arg == "%i":
            out += ["--icon", app.icon] if app.icon else []
        elif arg in ("%f", "%F", "%u", "%U", "%d", "%D", "%n", "%N", "%v", "%m"):
            continue
        else:
            out.append(_FIELD_CODE.sub(lambda m: {"%c": app.name, "%k": app.file,
                                                  "%%": "%"}.get(m.group(0), ""), arg))
    if not out:
        raise AppNotFound("apps.bad_entry", f"{app.name} has an empty launcher line.",
                          f"fix or reinstall {app.file}")
    return out


class DesktopApps:
    """The apps in the XDG data dirs ($XDG_DATA_HOME, then $XDG_DATA_DIRS). The first dir
    wins for a given id. Parsed once and kept until an applications dir (or one of its
    subdirs) changes, so a lookup is cheap and a newly installed app is still found."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = env
        # ((application dirs, mtimes of every dir looked in), those dirs, the apps)
        self._kept: tuple[tuple, tuple[str, ...], list[DesktopApp]] | None = None

    def dirs(self) -> list[Path]:
        env = os.environ if self._env is None else self._env
        home = env.get("HOME") or os.path.expanduser("~")
        data_home = env.get("XDG_DATA_HOME") or os.path.join(home, ".local/share")
        data_dirs = env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
        return [Path(d) / "applications" for d in [data_home, *data_dirs.split(":")] if d]

    def _scan(self) -> tuple[list[tuple[str, Path]], list[str]]:
        """The .desktop files by app id (a user's copy shadows, or hides, the system
        one), and every directory looked in."""
        seen: dict[str, Path] = {}
        looked: list[str] = []
        for base in self.dirs():
            looked.append(str(base))
            found: list[Path] = []
            # like Path.rglob: symlinked dirs are not followed
            for root, subdirs, names in os.walk(base):
                looked += [os.path.join(root, d) for d in subdirs]
                found += [Path(root, n) for n in names if n.endswith(".desktop")]
            for file in sorted(found):
                seen.setdefault(str(file.relative_to(base)).replace("/", "-"), file)
        return list(seen.items()), looked

    def installed(self) -> list[DesktopApp]:
        """The visible apps, by name; re-read only when a dir they come from changed."""
        kept, bases = self._kept, self.dirs()
        if kept is not None and kept[0] == (bases, _stamps(kept[1])):
            return list(kept[2])
        files, looked = self._scan()
        # Stamped after the scan: a file added during it leaves its dir's time too recent
        # to trust (_racy), so that scan is not kept.
        stamps = _stamps(looked)
        apps = (parse_desktop_file(f, app_id) for app_id, f in files)
        found = sorted((a for a in apps if a), key=lambda a: a.name.lower())
        if not _racy(stamps):
            self._kept = ((bases, stamps), tuple(looked), found)
        return list(found)

    def match(self, spoken: str) -> DesktopApp:
        """The app the user means. Ambiguity and no match are AppNotFound errors whose
        message lists the closest names, ready to be spoken."""
        wanted = _FILLER.sub("", spoken.strip().lower()).strip()
        key = _norm(wanted)
        if not key:
            raise AppNotFound("apps.no_name", "Which app should I open?",
                              "say the app's name, e.g. open Firefox")
        scored = sorted(((self._score(key, app), app) for app in self.installed()),
                        key=lambda s: -s[0])
        if scored and scored[0][0] >= AUTO_LAUNCH_SCORE:
            best, app = scored[0]
            rivals = [a for s, a in scored[1:] if s >= best - 0.02 and a.name != app.name]
            if not rivals or best >= 1.0 > scored[1][0]:
                return app
            # "the web browser" with two installed: the one the user made the default
            chosen = self.default_among([app, *rivals])
            if chosen is not None:
                return chosen
            names = _or_list([app.name, *(a.name for a in rivals[:2])])
            raise AppNotFound("apps.ambiguous", f"Which one do you mean: {names}?",
                              "say the full name of the app")
        close = [a.name for s, a in scored if s >= SUGGEST_SCORE][:3]
        close = list(dict.fromkeys(close))
        suggestion = f" Did you mean {_or_list(close)}?" if close else ""
        raise AppNotFound("apps.not_found",
                          f"I couldn't find an app called {spoken.strip()!r}.{suggestion}",
                          "say the name as it appears in your app menu")

    def default_among(self, apps: list[DesktopApp]) -> DesktopApp | None:
        """The app among `apps` that mimeapps.list makes the default for a type they
        all open (x-scheme-handler/https for browsers, text/plain for editors)."""
        shared = set(apps[0].mime_types).intersection(*(a.mime_types for a in apps[1:]))
        if not shared:
            return None
        by_id = {a.app_id: a for a in apps}
        defaults = self.defaults()
        for mime in sorted(shared, key=_mime_rank):
            for app_id in defaults.get(mime, ()):
                if app_id in by_id:
                    return by_id[app_id]
        return None

    def defaults(self) -> dict[str, list[str]]:
        """[Default Applications] of the mimeapps.list files, most important first."""
        env = os.environ if self._env is None else self._env
        home = env.get("HOME") or os.path.expanduser("~")
        config_home = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
        config_dirs = (env.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(":")
        files = [Path(d) / "mimeapps.list" for d in [config_home, *config_dirs] if d]
        files += [d / "mimeapps.list" for d in self.dirs()]
        out: dict[str, list[str]] = {}
        for file in files:
            for mime, ids in _default_apps(file).items():
                out.setdefault(mime, []).extend(ids)
        return out

    @staticmethod
    def _score(key: str, app: DesktopApp) -> float:
        best = 0.0
        for name, weight in app.spoken_names():
            other = _norm(name)
            if other == key:
                best = max(best, weight)
                continue
            best = max(best, weight * SequenceMatcher(None, key, other).ratio())
            # Part of the name: "firefox" for Firefox ESR, "writer" for LibreOffice Writer.
            words = [w for w in re.split(r"[^0-9a-z]+", name.lower()) if w]
            for i in range(len(words)):
                for j in range(i + 1, len(words) + 1):
                    if "".join(words[i:j]) == key:
                        best = max(best, (0.9 if i == 0 else 0.88) * weight)
        return best


def _stamps(dirs) -> tuple:
    """Each dir's modification time (None when it is missing): adding, removing or
    renaming an entry in a dir changes its own."""
    out = []
    for d in dirs:
        try:
            out.append(os.stat(d).st_mtime_ns)
        except OSError:
            out.append(None)
    return tuple(out)


RACY_S = 2.0


def _racy(stamps: tuple) -> bool:
    """A dir changed so recently that another change within the file system's clock
    tick would leave its time as it is: such a scan is not kept (as git does)."""
    newest = max((s for s in stamps if s is not None), default=0)
    return time.time_ns() - newest < RACY_S * 1e9


def _or_list(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _mime_rank(mime: str) -> tuple[int, str]:
    """Web addresses and plain text first: they say most about what the app is for."""
    order = ("x-scheme-handler/https", "x-scheme-handler/http", "text/plain")
    return (order.index(mime) if mime in order else len(order), mime)


def _default_apps(file: Path) -> dict[str, list[str]]:
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    out: dict[str, list[str]] = {}
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Default Applications]" and "=" in line:
            mime, _, ids = line.partition("=")
            out[mime.strip()] = list(_list(ids.strip()))
    return out
