"""Installed apps from XDG .desktop files, matched by a spoken name ("open fire fox" →
Firefox), and their Exec= line turned into an argv (Desktop Entry Specification 1.5)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
from collections.abc import Iterator, Mapping
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

    def spoken_names(self) -> list[tuple[str, float]]:
        """Names a user may say, with how much an exact hit on each is worth."""
        stem = self.app_id.removesuffix(".desktop").split(".")[-1]
        binary = os.path.basename(shlex.split(self.exec)[0]) if _splits(self.exec) else ""
        out = [(self.name, 1.0), (stem, 0.98), (binary, 0.97), (self.generic_name, 0.9)]
        out += [(k, 0.86) for k in self.keywords]
        return [(n, w) for n, w in out if _norm(n)]


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
    in_entry = False
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            in_entry = line == "[Desktop Entry]"
            continue
        key, sep, value = line.partition("=")
        if in_entry and sep and "[" not in key:  # localised keys are not used for matching
            entry[key.strip()] = _unescape(value.strip())
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
        terminal=entry.get("Terminal") == "true", file=str(path))


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
    """The apps in the XDG data dirs ($XDG_DATA_HOME, then $XDG_DATA_DIRS), read on each
    lookup so newly installed apps are found. The first dir wins for a given id."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = env

    def dirs(self) -> list[Path]:
        env = os.environ if self._env is None else self._env
        home = env.get("HOME") or os.path.expanduser("~")
        data_home = env.get("XDG_DATA_HOME") or os.path.join(home, ".local/share")
        data_dirs = env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
        return [Path(d) / "applications" for d in [data_home, *data_dirs.split(":")] if d]

    def _files(self) -> Iterator[tuple[str, Path]]:
        seen: set[str] = set()
        for base in self.dirs():
            if not base.is_dir():
                continue
            for file in sorted(base.rglob("*.desktop")):
                app_id = str(file.relative_to(base)).replace("/", "-")
                if app_id not in seen:
                    seen.add(app_id)  # a user's copy shadows (or hides) the system one
                    yield app_id, file

    def installed(self) -> list[DesktopApp]:
        apps = (parse_desktop_file(f, app_id) for app_id, f in self._files())
        return sorted((a for a in apps if a), key=lambda a: a.name.lower())

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
            names = _or_list([app.name, *(a.name for a in rivals[:2])])
            raise AppNotFound("apps.ambiguous", f"Which one do you mean: {names}?",
                              "say the full name of the app")
        close = [a.name for s, a in scored if s >= SUGGEST_SCORE][:3]
        close = list(dict.fromkeys(close))
        suggestion = f" Did you mean {_or_list(close)}?" if close else ""
        raise AppNotFound("apps.not_found",
                          f"I couldn't find an app called {spoken.strip()!r}.{suggestion}",
                          "say the name as it appears in your app menu")

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


def _or_list(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
