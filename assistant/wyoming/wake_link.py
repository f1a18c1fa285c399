"""The connection behind [wake] backend = "wyoming://HOST:PORT": one long stream to a
Wyoming wake word server (wyoming-openwakeword, another Heron), on a thread and event
loop of its own so the frame thread only hands frames over and never waits on the
network.

The exchange, as Home Assistant's satellites do it: Describe → Info (which of our words
the server has, under its names), Detect(names), AudioStart, then one AudioChunk per
80 ms frame for as long as Heron listens; the server sends Detection(name, timestamp)
whenever a word fires. A reset (a new turn) sends Detect and AudioStart again: the
server forgets the audio heard, as the local detector does. Timestamps count the
stream's audio (ms) across resets, so a Detection says which frame it is about.

The server says nothing while no word fires, so its health is asked: a Describe every
PING_S must be answered within the stage timeout. A connection refused or closed, an
error event, an unanswered ping, or frames piling up unsent (the server stopped
reading) end the stream; the detector listens locally meanwhile, and the breaker
(assistant/wyoming/remote.py) says when to connect again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np
from wyoming.audio import AudioChunk, AudioStart
from wyoming.client import AsyncTcpClient
from wyoming.info import Describe, Info
from wyoming.wake import Detect, Detection

from assistant.wyoming.remote import (
    CONNECT_TIMEOUT_S,
    RemoteFailed,
    RemoteStage,
    read_checked,
    read_until,
)
from audio.frames import FRAME_MS, SAMPLE_RATE_HZ

log = logging.getLogger(__name__)

PING_S = 2.0  # how often the server is asked whether it is still there
MAX_BACKLOG_FRAMES = 25  # 2 s of audio not written yet: the server stopped reading
RETRY_POLL_S = 0.25  # how often a closed link looks whether the breaker allows a retry
_PING = ("ping",)


@dataclass(frozen=True)
class Heard:
    """A Detection, in Heron's terms: which stream, which word (Heron's name), and the
    index of the frame the server had heard last when it fired (None: it did not say)."""

    stream: int
    word: str
    frame: int | None


def wake_key(name: str) -> str:
    """A wake word's name compared across servers: "okay_nabu", "ok_nabu_v0.1" and
    "Ok Nabu" are one word; a model file's path counts by its file name."""
    if name.endswith((".onnx", ".tflite")):
        name = PurePath(name).stem
    name = re.sub(r"_v[0-9][0-9.]*$", "", name.strip())
    words = re.split(r"[\s_\-]+", name.lower())
    return " ".join("ok" if w == "okay" else w for w in words if w)


def match_words(wanted: Iterable[str], offered: Iterable[str]) -> dict[str, str]:
    """{server's name: Heron's name} for each wanted word; RemoteFailed naming the first
    word the server does not have."""
    by_key = {wake_key(o): o for o in offered}
    names = {}
    for word in wanted:
        theirs = by_key.get(wake_key(word))
        if theirs is None:
            have = ", ".join(sorted(by_key.values())) or "none"
            raise RemoteFailed(f"the server has no wake word {word!r} (it has: {have})")
        names[theirs] = word
    return names


def offered_words(info: Info) -> list[str]:
    """The wake words an Info lists as installed."""
    return [m.name for p in info.wake or [] if p.installed
            for m in p.models or [] if m.installed]


class WakeLink:
    """Started by `start()`, ended by `close()`. The frame thread calls `push` and
    `reset` (both return at once) and reads `heard`; everything else happens on the
    link's own thread."""

    def __init__(self, remote: RemoteStage, words: tuple[str, ...]) -> None:
        self.remote = remote
        self.words = words
        self.heard: queue.SimpleQueue[Heard] = queue.SimpleQueue()
        self.live = False  # a stream is open: frames pushed now reach the server
        self.stream = 0  # which stream is (or was last) open: each connection is one
        self._names: dict[str, str] = {}  # server's name → Heron's
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._frames: asyncio.Queue[tuple] | None = None
        self._pong: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._pushed = 0  # frames pushed on `_push_stream` (frame thread only)
        self._push_stream = -1

    # --- the frame thread's side: never blocks -----------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"heron-wake-link-{self.remote.port}")
        self._thread.start()
        self._ready.wait(5.0)

    @property
    def running(self) -> bool:
        """Whether the link's thread is up (connected or waiting to connect)."""
        return self._thread is not None and self._thread.is_alive()

    def push(self, samples: np.ndarray) -> tuple[int, int] | None:
        """Send one frame; (stream, index of the frame in it), or None when no stream
        is open (the caller listens locally)."""
        if not self.live or self._loop is None:
            return None
        stream = self.stream
        if stream != self._push_stream:
            self._push_stream, self._pushed = stream, 0
        index = self._pushed
        self._pushed += 1
        pcm = np.ascontiguousarray(samples, dtype=np.int16).tobytes()
        if not self._call(self._enqueue, stream, ("frame", index, pcm)):
            return None
        return stream, index

    def reset(self) -> int | None:
        """The audio starts again (a new turn): the server forgets what it heard. The
        index of the next frame, from which detections count; None when no stream."""
        if not self.live or self._push_stream != self.stream:
            return None
        self._call(self._enqueue, self.stream, ("reset", self._pushed))
        return self._pushed

    def close(self) -> None:
        """Disconnect and end the thread (a few hundred ms at most)."""
        self._closed = True
        if self._stop is not None:
            self._call(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=3.0)

    def _call(self, fn, *args) -> bool:
        loop = self._loop
        try:
            if loop is not None:
                loop.call_soon_threadsafe(fn, *args)
                return True
        except RuntimeError:  # the loop has ended (closing)
            pass
        return False

    # --- the link's own thread ---------------------------------------------------------

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._ready.set()
        while not self._closed:
            if self.remote.allow():
                try:
                    await self._stream()
                except Exception as err:  # whatever the server did, Heron listens locally
                    self.live = False
                    if not self._closed:
                        self.remote.failed(err)
            wait = max(RETRY_POLL_S, min(self.remote.breaker.retry_in_s(), 1.0))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), wait)

    async def _stream(self) -> None:
        client = AsyncTcpClient(self.remote.host, self.remote.port,
                                connect_timeout=CONNECT_TIMEOUT_S)
        t0 = time.perf_counter()
        try:
            async with asyncio.timeout(self.remote.timeout_s):
                await client.connect()
                await client.write_event(Describe().event())
                info = Info.from_event(await read_until(client,
                                                        lambda e: Info.is_type(e.type)))
                self._names = match_words(self.words, offered_words(info))
                await self._start_audio(client, 0)
            self.remote.succeeded(round((time.perf_counter() - t0) * 1000, 1))
            self._frames = asyncio.Queue()
            self._pong = asyncio.Event()
            self.stream += 1
            self.live = True
            log.info("wake: listening through the Wyoming server at %s (%s)",
                     self.remote.uri, ", ".join(self._names))
            await _first_to_end(self._write(client), self._read(client), self._ping(),
                                self._stop.wait())
        finally:
            self.live = False
            with contextlib.suppress(Exception):
                await client.disconnect()

    def _enqueue(self, stream: int, item: tuple) -> None:
        if self.live and stream == self.stream and self._frames is not None:
            self._frames.put_nowait(item)

    async def _write(self, client: AsyncTcpClient) -> None:
        frames = self._frames
        assert frames is not None
        while True:
            item = await frames.get()
            if item[0] == "frame":
                _, index, pcm = item
                # the end of the frame, in ms since the stream began: the server's
                # Detection carries the timestamp of the audio it had when it fired
                await client.write_event(AudioChunk(SAMPLE_RATE_HZ, 2, 1, pcm, timestamp=(
                    index + 1) * FRAME_MS).event())
            elif item[0] == "reset":
                await self._start_audio(client, item[1])
            else:
                await client.write_event(Describe().event())

    async def _start_audio(self, client: AsyncTcpClient, index: int) -> None:
        """Detect and AudioStart: listen afresh from frame `index` of the stream (a
        server may forget the Detect when a stream of audio ends, so it is sent again)."""
        await client.write_event(Detect(names=list(self._names)).event())
        await client.write_event(AudioStart(SAMPLE_RATE_HZ, 2, 1,
                                            timestamp=index * FRAME_MS).event())

    async def _read(self, client: AsyncTcpClient) -> None:
        pong = self._pong
        assert pong is not None
        while True:
            event = await read_checked(client)
            if Info.is_type(event.type):
                pong.set()
            elif Detection.is_type(event.type):
                detection = Detection.from_event(event)
                word = self._names.get(detection.name or "")
                if word is None:  # not a name we asked for: one of ours spelt otherwise
                    word = next((w for w in self.words
                                 if wake_key(w) == wake_key(detection.name or "")),
                                self.words[0] if not detection.name
                                and len(self.words) == 1 else None)
                if word is None:  # a word nobody configured never wakes Heron
                    log.info("wake: the server heard %r, not one of ours", detection.name)
                    continue
                frame = (detection.timestamp // FRAME_MS - 1
                         if detection.timestamp else None)
                self.heard.put(Heard(self.stream, word, frame))

    async def _ping(self) -> None:
        frames, pong = self._frames, self._pong
        assert frames is not None and pong is not None
        while True:
            await asyncio.sleep(PING_S)
            if frames.qsize() > MAX_BACKLOG_FRAMES:
                raise RemoteFailed("the server stopped taking audio")
            pong.clear()
            t0 = time.perf_counter()
            frames.put_nowait(_PING)
            await asyncio.wait_for(pong.wait(), self.remote.timeout_s)
            self.remote.last_ms = round((time.perf_counter() - t0) * 1000, 1)


async def _first_to_end(*coros) -> None:
    """Run them together until one ends; re-raise its error; cancel the others."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
