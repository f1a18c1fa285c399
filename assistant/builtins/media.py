"""Built-in media tools: media_pause, media_resume, media_next, media_previous and
media_play {query}, through the MPRIS backend (assistant/builtins/mpris.py) that
Capabilities hands out for `media.control`. MPRIS has no search, so media_play looks
for the best-named file or folder in the music folder ([media] music_dir) and asks the
player to open it."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from assistant.builtins.mpris import MprisSession, PlayerState
from assistant.builtins.music_search import best_match, walk_music
from assistant.tools.capabilities import scope_problem
from assistant.tools.manifest import ToolManifest
from assistant.tools.registry import ToolError

if TYPE_CHECKING:
    from assistant.tools.registry import ToolContext

_STATE_SCHEMA = {"type": "object", "properties": {
    "player": {"type": "string"}, "status": {"type": "string"}, "title": {"type": "string"},
    "artist": {"type": "string"}, "url": {"type": "string"}}}
_NO_ARGS = {"type": "object", "properties": {}, "additionalProperties": False}


@dataclass(frozen=True)
class MediaOptions:
    """[media] in config.toml. `music_dir`: where media_play looks for what to play
    (it gets an fs.read:<music_dir>/** scope, nothing else on disk)."""

    music_dir: str = "~/Music"

    def __post_init__(self) -> None:
        if scope_problem(f"fs.read:{self.glob()}") or not (
                self.music_dir.startswith(("/", "~/")) or self.music_dir == "~"):
            raise ValueError(f"media.music_dir: {self.music_dir!r} must be an absolute path "
                             "or start with ~/ (e.g. \"~/Music\")")

    def glob(self) -> str:
        return self.music_dir.rstrip("/") + "/**"


def _reply(state: PlayerState, speech: str, **extra: Any) -> dict[str, Any]:
    return {**state.to_dict(), **extra, "speech": speech}


def _now_playing(state: PlayerState, fallback: str = "") -> str:
    track = state.track() or fallback
    return f"Playing {track}." if track else "Playing."


class _MediaTool:
    manifest: ToolManifest

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        client = ctx.caps.backend("media.control")

        def work() -> dict[str, Any]:
            with client.session() as session:
                return self.act(session, args)

        return await asyncio.to_thread(work)

    def act(self, session: MprisSession, args: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


def _manifest(name: str, title: str, description: str, examples: tuple[str, ...],
              **more: Any) -> ToolManifest:
    fields = {"input_schema": _NO_ARGS, "output_schema": _STATE_SCHEMA,
              "permissions": ("media.control",), **more}
    return ToolManifest(name=name, title=title, description=description, builtin=True,
                        effects="write", timeout_s=10, examples=examples, **fields)


class MediaPause(_MediaTool):
    manifest = _manifest(
        "media_pause", "Pause the music", "Pause the media player that is playing.",
        ("pause the music", "pause", "pause playback", "pause the song", "stop the music",
         "stop playing", "pause the player", "pause the video",
         "hold the music", "stop the song", "stop the track for now", "hold the song",
         "pause it", "pause that", "pause the track",
         "stop the playback", "pause the player for a moment", "halt the music",
         "freeze the music", "pause what is playing"))

    def act(self, session: MprisSession, args: dict[str, Any]) -> dict[str, Any]:
        player = session.choose()
        if player.status != "Playing":
            return _reply(player, "Nothing is playing.")
        if not player.can_pause:
            raise ToolError("media.cannot_pause", f"{player.identity} can't be paused from "
                            "outside. Pause it in the player itself.", "use the player")
        session.command(player, "Pause")
        return _reply(session.wait(player, lambda s: s.status != "Playing"), "Paused.")


class MediaResume(_MediaTool):
    manifest = _manifest(
        "media_resume", "Resume the music", "Resume playback in the media player.",
        ("resume the music", "resume", "continue playing", "unpause", "resume playback",
         "keep playing", "carry on playing the music", "start the music again",
         "put the music back on", "turn the music back on",
         "unpause the song", "unpause the music", "play the music again",
         "start playing again",
         "continue playback", "continue the music", "play again", "unpause it",
         "carry on playing", "resume the song", "back to the music", "keep the music going",
         "restart the music", "continue the song", "resume what was playing",
         "resume the track"))

    def act(self, session: MprisSession, args: dict[str, Any]) -> dict[str, Any]:
        player = session.choose(lambda p: p.can_play)
        if player.status == "Playing":
            return _reply(player, f"Already playing {player.track() or player.identity}.")
        session.command(player, "Play")
        after = session.wait(player, lambda s: s.status == "Playing")
        return _reply(after, _now_playing(after))


class _Skip(_MediaTool):
    method = "Next"
    word = "next"

    def act(self, session: MprisSession, args: dict[str, Any]) -> dict[str, Any]:
        player = session.choose()
        allowed = player.can_go_next if self.method == "Next" else player.can_go_previous
        none_left = ToolError(f"media.no_{self.word}",
                              f"There is no {self.word} track in {player.identity}.",
                              "pick something else to play")
        if not allowed:
            raise none_left
        session.command(player, self.method)
        after = session.wait(player, lambda s: (s.url, s.title) != (player.url, player.title))
        if (after.url, after.title) == (player.url, player.title):
            raise none_left
        speech = _now_playing(after) if after.status == "Playing" else \
            f"Skipped to {after.track() or 'the ' + self.word + ' track'}."
        return _reply(after, speech)


class MediaNext(_Skip):
    manifest = _manifest(
        "media_next", "Next track", "Skip to the next track in the media player.",
        ("next song", "skip this song", "next track", "skip", "play the next song",
         "skip to the next track", "skip this one", "next one",
         "go to the next song", "next please", "skip ahead", "skip the song", "skip track",
         "play the next track", "change the song", "another song", "move to the next track",
         "on to the next song", "jump to the next song", "go forward a song",
         "skip forward one track"))


class MediaPrevious(_Skip):
    method = "Previous"
    word = "previous"
    manifest = _manifest(
        "media_previous", "Previous track", "Go back to the previous track in the media "
        "player.", ("previous song", "previous track", "skip back", "skip back a song",
                    "go back a song", "play the last song "
                    "again", "back to the previous track", "play the previous song",
                    "go back one track", "previous", "back a track", "play the song before",
                    "last track", "replay the previous song", "go back to the last song",
                    "the song before this one", "previous track please", "one track back"))


class MediaPlay(_MediaTool):
    manifest = _manifest(
        "media_play", "Play music", "Find music by name (a song, an album or artist "
        "folder) in the music folder and play it in the media player.",
        ("play {query}", "play some {query}", "put on {query}", "play the song {query}",
         "music {query}",
         "play the album {query}", "i want to hear {query}", "play music by {query}",
         "play something by {query}",
         "i'd like to listen to {query}", "i want to listen to {query}", "put {query} on",
         "play me {query}", "let's hear {query}", "can you play {query}", "start playing {query}",
         "play some music by {query}", "listen to {query}", "put on some {query}",
         "could you put on {query}", "i feel like listening to {query}",
         "i want to listen {query}",
         "i am in the mood for {query}", "i fancy some {query}", "stick on {query}",
         "stick {query} on", "how about some {query}", "what about some {query}"),
        input_schema={
            "type": "object", "additionalProperties": False, "required": ["query"],
            "properties": {"query": {"type": "string", "minLength": 1, "maxLength": 200,
                                     "x-slot": "text",
                                     # "some jazz", "my workout playlist": what to look for
                                     "x-drop-words": ["some", "my", "the", "a bit of"],
                                     "x-ends-at-statement": True, "x-put-on": True,
                                     # "Burna Boy songs": the search is for Burna Boy
                                     "x-ends-before": ["songs", "tracks", "tunes"],
                                     "description": "song, album or artist to play"}}},
        permissions=("media.control", f"fs.read:{MediaOptions().glob()}"))

    def __init__(self, options: MediaOptions | None = None) -> None:
        self.options = options or MediaOptions()
        # The instance manifest reads exactly the configured music folder.
        self.manifest = replace(type(self).manifest, permissions=(
            "media.control", f"fs.read:{self.options.glob()}"))

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        query = args["query"].strip()
        client = ctx.caps.backend("media.control")

        def walk(fd: int, real: str) -> list[tuple[str, bool]]:
            # a linked file is listed only if where it leads is inside the grant
            return walk_music(fd, lambda rel: ctx.caps.reaches(os.path.join(real, rel), "read"))

        try:
            root, entries = await ctx.caps.use_path(
                self.options.music_dir, "read", os.O_RDONLY | os.O_DIRECTORY, walk)
        except (FileNotFoundError, NotADirectoryError) as err:
            raise ToolError("media.no_music_dir", f"I look for music in {self.options.music_dir}"
                            ", and that folder does not exist. Create it or set music_dir "
                            "under [media] in config.toml.", "set [media] music_dir") from err
        except OSError as err:
            raise ToolError("media.no_music_dir", f"I couldn't read your music folder "
                            f"{self.options.music_dir} ({err.strerror or err}).",
                            "check its permissions") from err
        hit = best_match(query, entries)
        if hit is None:
            raise ToolError("media.not_found", f"I didn't find anything called {query} in "
                            f"your music folder ({self.options.music_dir}). Say the name of "
                            "a song, an album or an artist that is there.",
                            "ask for a name from the music folder")
        rel, is_dir = hit
        path = Path(root, rel)
        name = path.name if is_dir else path.stem

        def work() -> dict[str, Any]:
            with client.session() as session:
                return _open(session, path, is_dir, name)

        out = await asyncio.to_thread(work)
        return {**out, "query": query, "match": {"path": str(path), "is_dir": is_dir}}


def _open(session: MprisSession, path: Path, is_dir: bool, name: str) -> dict[str, Any]:
    player = session.choose(lambda p: p.can_play)
    uri = path.as_uri()
    cannot = ToolError("media.cannot_open", f"{player.identity} can't open files, so I can't "
                       f"play {name} in it. Start a player that can (for example mpv or VLC) "
                       "and ask again.", "use a player that opens files")
    try:
        session.command(player, "OpenUri", "s", (uri,))
    except ToolError as err:
        raise cannot from err

    def opened(s: PlayerState) -> bool:  # a folder: once its first track is loaded
        url = unquote(s.url)  # players escape file URLs each their own way
        return url.startswith(f"file://{path}/") if is_dir else url == f"file://{path}"

    now = session.wait(player, opened)
    if not opened(now) and unquote(now.url) != f"file://{path}":  # a folder as one item
        raise cannot
    if now.status != "Playing":  # a paused player opens the file paused
        session.command(player, "Play")
        now = session.wait(player, lambda s: s.status == "Playing")
    return _reply(now, f"Playing {name}." if is_dir else _now_playing(now, name))


def media_tools(options: MediaOptions | None = None) -> list[Any]:
    return [MediaPause(), MediaResume(), MediaNext(), MediaPrevious(), MediaPlay(options)]
