""""Open {name}" in other languages opens an installed app (real .desktop files in a
private XDG data dir, the real launcher starting the entry's Exec line) instead of
"connect Home Assistant"; a name that is no app is still a device."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace
from pathlib import Path

import pytest
from intents_support import IntentsRig

from assistant.agent.intents.catalog import catalog
from assistant.agent.intents.mapping import CONNECT_HOME_ASSISTANT
from assistant.agent.intents.open_app import AppNames
from assistant.builtins.apps import OpenApp
from assistant.builtins.desktop import AppLauncher
from assistant.builtins.desktop_apps import DesktopApps

BROWSER_MIME = "MimeType=text/html;x-scheme-handler/http;x-scheme-handler/https;\n"


def entry(apps: Path, app_id: str, body: str) -> None:
    apps.mkdir(parents=True, exist_ok=True)
    (apps / f"{app_id}.desktop").write_text(f"[Desktop Entry]\nType=Application\n{body}")


@pytest.fixture
def desktop(tmp_path, monkeypatch):
    """Firefox and a text editor (named in Arabic too) as distributions ship them; each
    program writes a marker file when it starts."""
    data, none = tmp_path / "data", tmp_path / "none"
    apps = data / "applications"
    started = tmp_path / "started"
    script = tmp_path / "fake-app"
    script.write_text(f"#!/bin/sh\necho \"$0 $1\" >> {started}\nsleep 30\n")
    script.chmod(0o755)
    entry(apps, "firefox-esr", f"Name=Firefox ESR\nGenericName=Web Browser\n"
          f"Exec={script} firefox %u\n" + BROWSER_MIME)
    entry(apps, "org.gnome.TextEditor", "Name=Text Editor\nName[ar]=محرّر النصوص\n"
          f"Exec={script} editor\nCategories=Utility;TextEditor;\n")
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(data), "XDG_DATA_DIRS": str(none),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_CONFIG_DIRS": str(none),
           "PATH": "/usr/bin:/bin"}
    for key in ("XDG_DATA_HOME", "XDG_DATA_DIRS"):  # what the intents stage reads
        monkeypatch.setenv(key, env[key])
    return {"env": env, "started": started}


@pytest.fixture
def rig(tmp_path, desktop):
    r = IntentsRig(tmp_path)
    r.registry.backends = replace(r.registry.backends, apps=AppLauncher(env=desktop["env"]))
    r.registry.register(OpenApp())
    yield r
    r.close()


def started(desktop) -> list[str]:
    for _ in range(100):  # the program writes its marker when it runs
        if desktop["started"].exists():
            break
        time.sleep(0.05)
    return desktop["started"].read_text().split("\n")[:-1] \
        if desktop["started"].exists() else []


def stop(reply) -> None:
    for outcome in reply.tool_calls:
        pid = ((outcome.result or {}).get("app") or {}).get("pid")
        if pid:
            os.kill(pid, signal.SIGTERM)


@pytest.mark.parametrize("language,text,name", [
    ("fr", "ouvre Firefox", "firefox"),
    ("de", "öffne Firefox", "firefox"),
    ("de", "öffne den Browser", "browser"),  # by its kind, the article left out
    ("es", "abre Firefox", "firefox"),
    ("ar", "افتح فايرفوكس", "firefox esr"),  # Firefox in Arabic letters
])
def test_open_an_installed_app_in_another_language(rig, desktop, language, text, name):
    reply = rig.ask(text, language=language)
    try:
        assert [(o.tool, o.args, o.status) for o in reply.tool_calls] == [
            ("open_app", {"name": name}, "ok")]
        assert started(desktop) == [f"{Path(desktop['started']).parent}/fake-app firefox"]
        u = reply.understanding
        assert (u["stage"], u["matched"], u["language"]) == ("intents", "HassTurnOn", language)
        # the package's "opened" in that language, spoken by that language's voice
        assert "Home Assistant" not in reply.text and reply.language == language
        assert reply.text in {" ".join(t.replace("{{ slots.name }}", "Firefox").split())
                              for t in catalog(language).responses["HassTurnOn"].values()}
    finally:
        stop(reply)


def test_an_app_named_in_arabic_in_its_desktop_file(rig, desktop):
    reply = rig.ask("افتح محرر النصوص", language="ar")
    try:
        assert [(o.tool, o.args) for o in reply.tool_calls] == [
            ("open_app", {"name": "text editor"})]
        assert started(desktop)[0].endswith("fake-app editor")
    finally:
        stop(reply)


@pytest.mark.parametrize("language,text", [
    ("fr", "ouvre la porte du garage"), ("es", "abre la puerta"), ("en", "open the garage door"),
    ("ar", "افتح الباب")])
def test_a_name_that_is_no_app_is_still_a_device(rig, desktop, language, text):
    reply = rig.ask(text, language=language)
    assert reply.tool_calls == () and reply.text == CONNECT_HOME_ASSISTANT
    assert not desktop["started"].exists()


def test_without_the_open_app_tool_nothing_is_opened(tmp_path, desktop):
    r = IntentsRig(tmp_path)
    try:
        found = r.agent.understanding.understand("ouvre Firefox", "fr")
        assert found is None or found.tool != "open_app"
    finally:
        r.close()


def test_app_names_reads_the_desktop_files_only(desktop):
    apps = AppNames(DesktopApps(env=desktop["env"]))
    assert apps.app_for("Firefox") == "firefox"
    assert apps.app_for("فايرفوكس") == "firefox esr"
    assert apps.app_for("محرر النصوص") == "text editor"
    for not_an_app in ("garage door", "puerta", "الباب", "فرن", ""):
        assert apps.app_for(not_an_app) is None, not_an_app
    assert not desktop["started"].exists()
