"""Apps named the way people say them: by kind ("the web browser", "a terminal"), by a
keyword or in another language, from real .desktop files in a private XDG data dir; with
two browsers installed, the default one (mimeapps.list) is the one that opens."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest
from builtin_support import ctx_for

from assistant.agent.router import Router
from assistant.builtins.apps import OpenApp
from assistant.builtins.desktop import AppLauncher
from assistant.builtins.desktop_apps import AppNotFound, DesktopApps
from assistant.tools.backends import DesktopBackends

BROWSER_MIME = "MimeType=text/html;x-scheme-handler/http;x-scheme-handler/https;\n"


def entry(apps_dir: Path, app_id: str, body: str) -> None:
    apps_dir.mkdir(parents=True, exist_ok=True)
    (apps_dir / f"{app_id}.desktop").write_text(f"[Desktop Entry]\nType=Application\n{body}")


@pytest.fixture
def xdg(tmp_path):
    """A user's XDG dirs with apps as distributions ship them."""
    data, config = tmp_path / "data", tmp_path / "config"
    apps = data / "applications"
    entry(apps, "org.gnome.TextEditor", "Name=Text Editor\nName[de]=Texteditor\n"
          "Exec=gnome-text-editor %U\nCategories=GNOME;GTK;Utility;TextEditor;\n"
          "Keywords=text;plain;write;notepad;\nKeywords[de]=Notizblock;\n"
          "MimeType=text/plain;\n")
    entry(apps, "org.gnome.Calculator", "Name=Calculator\nGenericName=Calculator\n"
          "Exec=gnome-calculator\nCategories=GNOME;GTK;Utility;Calculator;\n")
    entry(apps, "xterm", "Name=XTerm\nGenericName=Terminal emulator for X\nExec=xterm\n"
          "Categories=System;TerminalEmulator;\n")
    entry(apps, "firefox-esr", "Name=Firefox ESR\nGenericName=Web Browser\n"
          "GenericName[fr]=Navigateur Web\nExec=firefox-esr %u\n" + BROWSER_MIME)
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(data),
           "XDG_DATA_DIRS": str(tmp_path / "none"), "XDG_CONFIG_HOME": str(config),
           "XDG_CONFIG_DIRS": str(tmp_path / "none"), "PATH": "/usr/bin:/bin"}
    return {"apps": apps, "config": config, "env": env}


@pytest.mark.parametrize("said,name", [
    ("web browser", "Firefox ESR"),
    ("browser", "Firefox ESR"),
    ("navigateur web", "Firefox ESR"),  # GenericName[fr]
    ("text editor", "Text Editor"),
    ("editor", "Text Editor"),
    ("texteditor", "Text Editor"),  # Name[de]
    ("notepad", "Text Editor"),  # a keyword
    ("calculator", "Calculator"),
    ("terminal", "XTerm"),  # its category, TerminalEmulator
])
def test_an_app_is_found_by_its_kind_its_keywords_and_its_names_in_other_languages(
        xdg, said, name):
    assert DesktopApps(env=xdg["env"]).match(said).name == name


def test_with_two_browsers_the_default_one_opens(xdg):
    entry(xdg["apps"], "chromium", "Name=Chromium\nGenericName=Web Browser\n"
          "Exec=chromium %U\n" + BROWSER_MIME)
    apps = DesktopApps(env=xdg["env"])
    with pytest.raises(AppNotFound) as err:  # no default set: ask which
        apps.match("web browser")
    assert err.value.code == "apps.ambiguous"
    assert "Chromium" in err.value.message and "Firefox ESR" in err.value.message
    xdg["config"].mkdir()
    (xdg["config"] / "mimeapps.list").write_text(
        "[Default Applications]\nx-scheme-handler/https=chromium.desktop;\n"
        "x-scheme-handler/http=chromium.desktop\n")
    assert apps.match("the web browser").name == "Chromium"
    assert apps.match("browser").name == "Chromium"
    assert apps.match("firefox").name == "Firefox ESR"  # a name still picks its app


def test_fire_up_the_web_browser_starts_it(xdg, tmp_path):
    """From the words to a running program: the router's app name, then the launcher
    starting the .desktop entry's Exec line."""
    marker = tmp_path / "started"
    script = tmp_path / "fake-browser"
    script.write_text(f"#!/bin/sh\necho \"$@\" > {marker}\nsleep 30\n")
    script.chmod(0o755)
    entry(xdg["apps"], "firefox-esr", "Name=Firefox ESR\nGenericName=Web Browser\n"
          f"Exec={script} %u\n" + BROWSER_MIME)
    tool = OpenApp()
    match = Router([tool.manifest]).route("fire up the web browser")
    assert (match.tool, match.args) == ("open_app", {"name": "web browser"})
    ctx = ctx_for(tool, tmp_path, backends=DesktopBackends(apps=AppLauncher(env=xdg["env"])))
    out = asyncio.run(tool.run(match.args, ctx))
    assert out["speech"] == "Opening Firefox ESR."
    for _ in range(100):  # the program writes its marker when it runs
        if marker.exists():
            break
        time.sleep(0.05)
    assert marker.read_text() == "\n"  # started with no file or URL
    os.kill(out["app"]["pid"], signal.SIGTERM)


@pytest.mark.parametrize("text,name", [
    ("fire up the web browser", "web browser"),
    ("bring up a terminal", "terminal"),
    ("launch the calculator", "calculator"),
    ("open the text editor", "text editor"),
    ("I'd like to use the calendar app", "calendar"),
    ("start Firefox", "firefox"),
])
def test_the_router_hears_the_app_name_without_its_article(text, name):
    match = Router([OpenApp.manifest]).route(text)
    assert match is not None and (match.tool, match.args) == ("open_app", {"name": name})


def _age(apps_dir: Path) -> None:
    """Dirs last changed a minute ago, as on a desktop where nothing was just installed."""
    old = time.time() - 60
    for d in (apps_dir, *(p for p in apps_dir.rglob("*") if p.is_dir())):
        os.utime(d, (old, old))


def test_apps_are_parsed_once_and_a_newly_installed_app_is_still_found(xdg, monkeypatch):
    from assistant.builtins import desktop_apps
    parsed = []
    real_parse = desktop_apps.parse_desktop_file
    monkeypatch.setattr(desktop_apps, "parse_desktop_file",
                        lambda path, app_id: parsed.append(app_id) or real_parse(path, app_id))
    entry(xdg["apps"] / "kde", "org.kde.kate", "Name=Kate\nExec=kate %U\n")
    _age(xdg["apps"])
    apps = DesktopApps(env=xdg["env"])
    assert apps.match("calculator").name == "Calculator"
    assert len(parsed) == 5
    assert apps.match("kate").name == "Kate"  # the next lookup reads no file
    assert apps.match("text editor").name == "Text Editor"
    assert len(parsed) == 5
    entry(xdg["apps"], "org.gnome.Maps", "Name=Maps\nExec=gnome-maps\n")  # installed now
    assert apps.match("maps").name == "Maps"
    entry(xdg["apps"] / "kde", "org.kde.okular", "Name=Okular\nExec=okular %U\n")
    assert apps.match("okular").name == "Okular"  # in a subdir too
    (xdg["apps"] / "org.gnome.Maps.desktop").unlink()  # and removed
    with pytest.raises(AppNotFound):
        apps.match("maps")
    _age(xdg["apps"])
    apps.match("okular")
    parsed.clear()
    apps.match("okular")
    assert parsed == []  # settled again: kept
