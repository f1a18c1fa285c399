"""The media tools against a real MPRIS player (mpv + mpv-mpris) on a private D-Bus
session bus, through the registry (policy, capabilities, audit). What mpv really does
is read through its own IPC socket (tests/integration/mpris_player.py)."""

from __future__ import annotations

import asyncio
import os

import pytest
from helpers import private_session_bus
from mpris_player import Mpv, song

from assistant.audit import AuditLog
from assistant.builtins.media import MediaOptions, media_tools
from assistant.builtins.mpris import MprisClient
from assistant.builtins.music_search import best_match
from assistant.bus import EventBus
from assistant.storage import Storage
from assistant.tools.backends import DesktopBackends
from assistant.tools.call import ToolCall
from assistant.tools.registry import ToolRegistry


@pytest.fixture
def bus(tmp_path):
    with private_session_bus(tmp_path) as address:
        yield address


@pytest.fixture
def music(tmp_path):
    root = tmp_path / "Music"
    for name in ("Alpha Song.wav", "Beta Song.wav", "Gamma Song.wav",
                 "Live/Alpha Song (Live at the Hall).wav",
                 "Café del Mar/01 Sunset.wav", "Café del Mar/02 Sunrise.wav"):
        song(root / name)
    (root / "notes.txt").write_text("not music")
    return root


@pytest.fixture
def players(tmp_path, bus):
    started: list[Mpv] = []

    def start(files, paused=False):
        player = Mpv(bus, tmp_path / f"mpv{len(started)}", files, paused=paused)
        started.append(player)
        return player

    yield start
    for player in started:
        player.stop()


@pytest.fixture
def registry(tmp_path, bus, music):
    storage = Storage(tmp_path / "heron.db")
    audit = AuditLog(storage, b"k" * 32)
    # the client finds the private bus as it would the desktop's: through its env
    client = MprisClient(env={"DBUS_SESSION_BUS_ADDRESS": bus})
    reg = ToolRegistry(EventBus(), audit, backends=DesktopBackends(media=client))
    for tool in media_tools(MediaOptions(music_dir=str(music))):
        reg.register(tool)
    yield reg
    storage.close()


def call(registry, tool, **args):
    return asyncio.run(registry.call(ToolCall(tool, args, source="voice")))


def test_pause_and_resume_really_pause_and_resume_the_player(registry, players, music):
    mpv = players([music / "Alpha Song.wav", music / "Beta Song.wav"])
    assert not mpv.paused()

    out = call(registry, "media_pause")
    assert out.status == "ok", (out.code, out.error)
    assert out.result["speech"] == "Paused."
    assert mpv.paused()
    assert out.result["status"] == "Paused" and out.result["player"] == "mpv"

    out = call(registry, "media_resume")
    assert out.status == "ok", (out.code, out.error)
    assert out.result["speech"] == "Playing Alpha Song."
    assert not mpv.paused()


def test_next_and_previous_change_the_track(registry, players, music):
    mpv = players([music / "Alpha Song.wav", music / "Beta Song.wav", music / "Gamma Song.wav"])

    out = call(registry, "media_next")
    assert out.status == "ok", (out.code, out.error)
    assert out.result["speech"] == "Playing Beta Song."
    assert mpv.path().endswith("Beta Song.wav")

    call(registry, "media_next")
    assert mpv.path().endswith("Gamma Song.wav")
    out = call(registry, "media_previous")
    assert out.result["speech"] == "Playing Beta Song."
    assert mpv.path().endswith("Beta Song.wav")


def test_the_playing_player_is_the_one_paused(registry, players, music):
    idle = players([music / "Gamma Song.wav"], paused=True)
    playing = players([music / "Beta Song.wav"])
    assert idle.paused() and not playing.paused()

    out = call(registry, "media_pause")
    assert out.status == "ok", (out.code, out.error)
    assert playing.paused()
    # the one it paused is the one it resumes, not the one started last
    out = call(registry, "media_resume")
    assert out.result["speech"] == "Playing Beta Song."
    assert not playing.paused() and idle.paused()


def test_play_by_name_opens_the_best_match_in_the_music_folder(registry, players, music):
    mpv = players([])  # idle, nothing loaded

    out = call(registry, "media_play", query="alpha song")
    assert out.status == "ok", (out.code, out.error)
    assert mpv.path() == str(music / "Alpha Song.wav")  # not the live version
    assert out.result["speech"] == "Playing Alpha Song."
    assert not mpv.paused()

    # a folder, named without its accent: the album plays from its first track
    out = call(registry, "media_play", query="cafe del mar")
    assert out.status == "ok", (out.code, out.error)
    assert out.result["speech"] == "Playing Café del Mar."
    assert mpv.path() == str(music / "Café del Mar" / "01 Sunset.wav")

    # words from the folder and the title together
    out = call(registry, "media_play", query="sunrise from cafe del mar")
    assert mpv.path() == str(music / "Café del Mar" / "02 Sunrise.wav")
    assert out.result["speech"] == "Playing 02 Sunrise."


def test_play_a_paused_player_starts_it(registry, players, music):
    mpv = players([music / "Beta Song.wav"], paused=True)
    out = call(registry, "media_play", query="gamma")
    assert out.status == "ok", (out.code, out.error)
    assert mpv.path() == str(music / "Gamma Song.wav") and not mpv.paused()


def test_nothing_matching_is_said_clearly_and_nothing_changes(registry, players, music):
    mpv = players([music / "Beta Song.wav"])
    out = call(registry, "media_play", query="symphony number nine")
    assert (out.status, out.code) == ("error", "media.not_found")
    assert "symphony number nine" in out.error and str(music) in out.error
    assert mpv.path().endswith("Beta Song.wav") and not mpv.paused()
    # a text file is not music, even when it has the name
    out = call(registry, "media_play", query="notes")
    assert out.code == "media.not_found"


def test_no_player_is_a_coded_error(registry, music):
    for tool, args in (("media_pause", {}), ("media_next", {}),
                       ("media_play", {"query": "alpha song"})):
        out = call(registry, tool, **args)
        assert (out.status, out.code) == ("error", "media.no_player"), tool
        assert out.error == ("No media player is running. Start one (for example a music "
                             "app) and ask again.")


def test_no_session_bus_is_a_coded_error(tmp_path, music):
    storage = Storage(tmp_path / "h.db")
    reg = ToolRegistry(EventBus(), AuditLog(storage, b"k" * 32), backends=DesktopBackends(
        media=MprisClient(env={"XDG_RUNTIME_DIR": str(tmp_path / "none")})))
    for tool in media_tools(MediaOptions(music_dir=str(music))):
        reg.register(tool)
    out = call(reg, "media_pause")
    assert (out.status, out.code) == ("error", "media.no_session_bus")
    storage.close()


def test_a_missing_music_folder_says_how_to_fix_it(tmp_path, bus, players, music):
    players([music / "Beta Song.wav"])
    storage = Storage(tmp_path / "h.db")
    reg = ToolRegistry(EventBus(), AuditLog(storage, b"k" * 32), backends=DesktopBackends(
        media=MprisClient(env={"DBUS_SESSION_BUS_ADDRESS": bus})))
    reg.register(media_tools(MediaOptions(music_dir=str(tmp_path / "Nope")))[-1])
    out = call(reg, "media_play", query="beta")
    assert (out.status, out.code) == ("error", "media.no_music_dir")
    assert "music_dir" in out.error
    storage.close()


def test_media_play_reads_only_the_music_folder(registry, players, tmp_path, music):
    assert registry.get("media_play").permissions == ("media.control", f"fs.read:{music}/**")
    mpv = players([music / "Beta Song.wav"])
    song(tmp_path / "elsewhere" / "Secret Song.wav")
    os.symlink(tmp_path / "elsewhere" / "Secret Song.wav", music / "Secret Song.wav")
    out = call(registry, "media_play", query="secret song")
    assert out.code == "media.not_found"  # the link leads out of the music folder
    assert mpv.path().endswith("Beta Song.wav")


@pytest.mark.parametrize(("query", "expected"), [
    ("beyonce halo", "Beyoncé/Halo.flac"),
    ("halo", "Beyoncé/Halo.flac"),
    ("the wall", "Pink Floyd/The Wall"),
    ("another brick in the wall", "Pink Floyd/The Wall/05 Another Brick in the Wall.mp3"),
    ("pink floyd", "Pink Floyd"),
    ("bohemian rapsody", "Queen/Bohemian Rhapsody.mp3"),  # a slip in the name
    ("some music by queen", "Queen"),
    ("mozart", None),
])
def test_names_are_matched_without_case_or_accents(query, expected):
    entries = [("Beyoncé", True), ("Beyoncé/Halo.flac", False), ("Pink Floyd", True),
               ("Pink Floyd/The Wall", True),
               ("Pink Floyd/The Wall/05 Another Brick in the Wall.mp3", False),
               ("Queen", True), ("Queen/Bohemian Rhapsody.mp3", False),
               ("Queen/Bohemian Rhapsody (Live).mp3", False)]
    hit = best_match(query, entries)
    assert (hit[0] if hit else None) == expected
