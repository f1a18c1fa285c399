"""The microphone as a frame source that survives mute and unplugging.

PortAudio thread: the callback only copies the block. Loop thread: conversion to 16 kHz
int16 mono 80 ms frames (audio/capture.py), state changes, the watchdog. Executor:
every blocking PortAudio call (open, start, abort, close, rescanning devices)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from audio.capture import CaptureTiming, FrameConverter, backoff_delays, stalled
from audio.devices import (
    DeviceInfo,
    DeviceOptions,
    close_stream,
    find_input,
    refresh_devices,
    sounddevice,
)
from audio.errors import DeviceError
from audio.frames import SAMPLE_RATE_HZ, AudioChunk
from audio.mic_state import MicState

log = logging.getLogger(__name__)

MAX_QUEUED_FRAMES = 50  # 4 s: a consumer this far behind loses the oldest frames
# PortAudio block length. 80 ms blocks (one per frame) cut the loop's wake-ups 4x but
# broke the echo timing of a reply in the room test (tests/integration/
# test_run_headless.py), so the blocks stay at 20 ms.
BLOCK_MS = 20

StateCallback = Callable[[MicState, str, str], None]
"""on_state(state, device_name, detail), called on the loop thread."""


class MicSource:
    """`async with MicSource(options, on_state) as mic: async for chunk in mic: ...`

    `open()` raises DeviceError when the device cannot be opened at all (bad name, no
    microphone). After that the iterator never raises: `mute()` closes the input stream
    until `unmute()`; a device that stops delivering is reported "lost", then reopened
    with backoff ("retrying" … "open"). After every "open" comes "live" once the first
    audio arrives: only then is the room heard. Iteration ends only after `close()`.
    A gap (mute, lost device) shows as a jump in `timestamp_ms`: the first frame after it
    is stamped with the wall-clock time that passed, in whole 80 ms frames."""

    def __init__(self, options: DeviceOptions, on_state: StateCallback | None = None,
                 timing: CaptureTiming | None = None) -> None:
        self.options = options
        self.timing = timing or CaptureTiming()
        self.device: DeviceInfo | None = None
        self.state = MicState.CLOSED
        self.dropped_frames = 0
        self._on_state = on_state
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[AudioChunk | None] = asyncio.Queue()
        self._converter = FrameConverter()
        # _lock guards what the executor and the loop both touch: the stream and flags.
        self._lock = threading.Lock()
        self._stream: Any = None
        self._closed = False
        self._muted = False
        self._generation = 0  # of the newest stream; stale callbacks are ignored
        self._active = -1  # the generation whose blocks are delivered (loop thread)
        self._ops = asyncio.Lock()  # one open/stop at a time
        self._wake = asyncio.Event()
        self._opened_at = 0.0
        self._last_block_at: float | None = None
        self._gap_from: float | None = None
        self._lost_detail: str | None = None
        self._supervisor: asyncio.Task[None] | None = None

    async def __aenter__(self) -> MicSource:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- public control (loop thread) --------------------------------------------------
    async def open(self) -> None:
        """Find and start the input device; DeviceError if it cannot be used."""
        self._loop = asyncio.get_running_loop()
        async with self._ops:
            await self._run(self._start_stream, False)
            if not self._muted:
                self._opened()
        self._supervisor = self._loop.create_task(self._supervise(), name="mic-watchdog")

    async def mute(self) -> None:
        """Hard kill switch: close the input stream (the OS sees the mic unused). Frames
        captured before it and not yet read are dropped: what was said just before the
        mute is never heard after the unmute."""
        with self._lock:
            if self._closed or self._muted:
                return
            self._muted = True  # an open in flight now closes its own stream
        self._wake.set()
        async with self._ops:
            await self._stop()
            self._drop_queued()
            self._set_state(MicState.MUTED)

    async def unmute(self) -> None:
        """Reopen the input; if that fails the retry loop takes over (state "lost")."""
        with self._lock:
            if self._closed or not self._muted:
                return
            self._muted = False
        async with self._ops:
            try:
                await self._run(self._start_stream, False)
            except DeviceError as err:
                self._lost_detail = err.message
                self._wake.set()
                return
            if not self._muted:
                self._opened()

    def close(self) -> None:
        """Stop capturing (any thread); iteration ends after the frames already queued."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            stream, self._stream = self._stream, None
        close_stream(stream)
        self._post(self._finish_close)

    async def aclose(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.close)
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)

    # -- executor: blocking PortAudio calls --------------------------------------------
    def _start_stream(self, rescan: bool) -> None:
        sd = sounddevice()
        if rescan:
            refresh_devices()
        device = find_input(self.options)
        rate = _stream_rate(sd, device)
        with self._lock:
            if self._closed or self._muted:
                return
            self._generation += 1
            gen = self._generation
        stream = None
        try:
            stream = sd.RawInputStream(  # raw: no numpy wrapping on PortAudio's thread
                device=device.index, samplerate=rate, channels=1, dtype="int16",
                blocksize=rate * BLOCK_MS // 1000, latency=self.options.latency_ms / 1000,
                callback=partial(self._callback, gen),
                finished_callback=partial(self._finished, gen))
            # Queued before the first block, so the loop is ready for it.
            self._post(self._begin, gen, rate, device)
            stream.start()
        except sd.PortAudioError as err:
            close_stream(stream)
            raise DeviceError("audio.input_failed",
                              f"could not open microphone {device.name}: {err}",
                              "choose another [audio] input_device (see `heron devices`), "
                              "or run `heron listen FILE`") from err
        with self._lock:
            keep = not (self._closed or self._muted)
            if keep:
                self._stream = stream
        if not keep:  # muted or closed while we were opening
            close_stream(stream)
            return
        log.info("microphone %s open at %d Hz", device.name, rate)

    def _stop_stream(self) -> None:
        with self._lock:
            stream, self._stream = self._stream, None
        close_stream(stream)

    # -- PortAudio thread: copy only; a slow callback makes the device overrun ---------
    def _callback(self, gen: int, indata: Any, frames: int, _time: Any,
                  status: Any) -> None:
        if status:
            log.debug("microphone status: %s", status)
        self._post(self._deliver, gen, bytes(indata), time.monotonic())

    def _finished(self, gen: int) -> None:
        self._post(self._stream_ended, gen)

    def _post(self, fn: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:
            pass  # loop closed between the check and the call

    # -- loop thread -------------------------------------------------------------------
    def _begin(self, gen: int, rate: int, device: DeviceInfo) -> None:
        self._active = gen
        self.device = device
        self._converter.start(rate)
        self._opened_at = time.monotonic()
        self._last_block_at = None
        self._lost_detail = None

    def _drop_queued(self) -> None:
        ended = False
        while not self._queue.empty():
            ended = self._queue.get_nowait() is None or ended
        if ended:  # closed meanwhile: the reader must still see the end
            self._queue.put_nowait(None)

    def _deliver(self, gen: int, raw: bytes, captured_at: float) -> None:
        if gen != self._active or self._closed or self._muted:
            return
        block = np.frombuffer(raw, dtype=np.int16)  # mono int16, as the stream was opened
        now = time.monotonic()
        if self._last_block_at is None and self._gap_from is not None:
            self._converter.skip(now - self._gap_from)
            self._gap_from = None
        first, self._last_block_at = self._last_block_at is None, now
        if first and self.state == MicState.OPEN:
            self._set_state(MicState.LIVE)
        for chunk in self._converter.push(block):
            chunk = dataclasses.replace(chunk, captured_at=captured_at)
            if self._queue.qsize() >= MAX_QUEUED_FRAMES:
                self._queue.get_nowait()
                self.dropped_frames += 1
            self._queue.put_nowait(chunk)

    def _stream_ended(self, gen: int) -> None:
        if gen == self._active and not self._closed and not self._muted:
            self._lost_detail = "the device stopped the stream"
            self._wake.set()

    def _finish_close(self) -> None:
        self._active = -1
        self.state = MicState.CLOSED
        self._queue.put_nowait(None)
        self._wake.set()

    def _opened(self) -> None:
        self._set_state(MicState.OPEN)
        if self._active != -1 and self._last_block_at is not None:
            self._set_state(MicState.LIVE)  # audio came before the open was announced

    def _set_state(self, state: MicState, detail: str = "") -> None:
        if self._closed:
            return
        self.state = state
        name = self.device.name if self.device else self.options.input_device
        log.info("microphone %s: %s %s", name, state, detail)
        if self._on_state is not None:
            self._on_state(state, name, detail)

    async def _run(self, fn: Callable[..., None], *args: Any) -> None:
        await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    async def _stop(self) -> None:
        """Close the current stream; late blocks from it are dropped."""
        if self._active != -1 and self._gap_from is None:
            self._gap_from = self._last_block_at or time.monotonic()
        self._active = -1
        await self._run(self._stop_stream)

    async def _supervise(self) -> None:
        """Watchdog: a finished or silent stream is lost; reopen it with backoff."""
        while not self._closed:
            try:
                await asyncio.wait_for(self._wake.wait(), self.timing.poll_s)
            except TimeoutError:
                pass
            self._wake.clear()
            if self._closed or self._muted:
                continue
            if (self.state in (MicState.OPEN, MicState.LIVE) and self._lost_detail is None
                    and self._active != -1
                    and stalled(self.timing, time.monotonic(), self._opened_at,
                                self._last_block_at)):
                self._lost_detail = "no audio from the device"
            if self._lost_detail is not None:
                await self._recover()

    async def _recover(self) -> None:
        async with self._ops:
            detail, self._lost_detail = self._lost_detail or "", None
            if self._closed or self._muted:
                return
            await self._stop()
            self._set_state(MicState.LOST, detail)
        rescan = False
        for attempt, delay in enumerate(
                backoff_delays(self.timing.retry_first_s, self.timing.retry_max_s), 1):
            await self._pause(delay)
            async with self._ops:
                if self._closed or self._muted or self.state in (MicState.OPEN, MicState.LIVE):
                    return  # closed, muted, or an unmute reopened it meanwhile
                self._set_state(MicState.RETRYING, f"attempt {attempt}" + (
                    f" (last: {detail})" if detail else ""))
                try:
                    await self._run(self._start_stream, rescan)
                except DeviceError as err:
                    # PortAudio lists devices once: a replugged card may be missing from
                    # its list or listed stale, so later attempts rescan. A rescan also
                    # closes every other PortAudio stream of this process (a speaker).
                    detail, rescan = err.message, True
                    continue
                if not (self._closed or self._muted):
                    self._opened()
                return

    async def _pause(self, delay_s: float) -> None:
        """Sleep for the backoff, cut short by mute or close."""
        try:
            await asyncio.wait_for(self._wake.wait(), delay_s)
        except TimeoutError:
            return
        self._wake.clear()

    def __aiter__(self) -> MicSource:
        return self

    async def __anext__(self) -> AudioChunk:
        if self._closed and self._queue.empty():
            raise StopAsyncIteration
        item = await self._queue.get()
        if item is None:
            raise StopAsyncIteration
        return item


def _stream_rate(sd, device) -> int:
    """16 kHz when the device (or the sound server behind it) takes it: the server's
    resampler is C, ours would be PyAV on every block. Else the device's own rate."""
    try:
        sd.check_input_settings(device=device.index, samplerate=SAMPLE_RATE_HZ,
                                channels=1, dtype="int16")
        return SAMPLE_RATE_HZ
    except Exception:  # PortAudioError or ValueError: that rate is not supported
        return device.default_rate_hz or SAMPLE_RATE_HZ

