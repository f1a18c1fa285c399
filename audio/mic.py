"""The microphone as a frame source: PortAudio thread -> 16 kHz int16 mono 80 ms frames."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import numpy as np

from audio.devices import DeviceInfo, DeviceOptions, close_stream, find_input, sounddevice
from audio.errors import DeviceError
from audio.frames import FRAME_SAMPLES, SAMPLE_RATE_HZ, AudioChunk

log = logging.getLogger(__name__)

MAX_QUEUED_FRAMES = 50  # 4 s: a consumer this far behind loses the oldest frames


class MicSource:
    """`async with MicSource(options) as mic: async for chunk in mic: ...`

    Opens the chosen input at its default rate and converts once, in the PortAudio
    thread, to Heron's format. Frames reach the loop with `call_soon_threadsafe`.
    """

    def __init__(self, options: DeviceOptions) -> None:
        self.options = options
        self.device: DeviceInfo | None = None
        self.dropped_frames = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[AudioChunk | BaseException | None] = asyncio.Queue()
        self._stream: Any = None
        self._resampler: Any = None
        self._pending = np.zeros(0, np.int16)
        self._emitted = 0
        self._closed = False

    async def __aenter__(self) -> MicSource:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.close)

    async def open(self) -> None:
        """Find and start the input device (blocking parts run in an executor)."""
        self._loop = asyncio.get_running_loop()
        await self._loop.run_in_executor(None, self._open)

    def _open(self) -> None:
        import av

        sd = sounddevice()
        self.device = device = find_input(self.options)
        rate = device.default_rate_hz or SAMPLE_RATE_HZ
        self._rate_hz = rate
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE_HZ)
        try:
            self._stream = sd.InputStream(
                device=device.index, samplerate=rate, channels=1, dtype="int16",
                blocksize=rate * 20 // 1000, latency=self.options.latency_ms / 1000,
                callback=self._callback,
                finished_callback=self._finished)
            self._stream.start()
        except sd.PortAudioError as err:
            raise DeviceError("audio.input_failed",
                              f"could not open microphone {device.name}: {err}",
                              "choose another [audio] input_device (see `heron doctor`), "
                              "or run `heron listen FILE`") from err
        log.info("microphone %s open at %d Hz", device.name, rate)

    # -- PortAudio thread: copy only; a slow callback makes the device overrun -------
    def _callback(self, indata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
        if status:
            log.debug("microphone status: %s", status)
        self._post(indata[:, 0].copy())

    def _finished(self) -> None:
        if not self._closed:  # the device went away under us (hot-plug seam)
            name = self.device.name if self.device else "?"
            self._post(DeviceError("audio.input_lost",
                                   f"microphone {name} stopped delivering audio",
                                   "check the device is still plugged in"))
        self._post(None)

    def _post(self, item: np.ndarray | BaseException | None) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._deliver, item)
        except RuntimeError:
            pass  # loop closed between the check and the call

    # -- loop thread -----------------------------------------------------------------
    def _deliver(self, item: np.ndarray | BaseException | None) -> None:
        if not isinstance(item, np.ndarray):
            self._queue.put_nowait(item)
            return
        for chunk in self._convert(item):
            if self._queue.qsize() >= MAX_QUEUED_FRAMES:
                self._queue.get_nowait()
                self.dropped_frames += 1
            self._queue.put_nowait(chunk)

    def _convert(self, block: np.ndarray) -> list[AudioChunk]:
        """Device-rate block → whole 80 ms frames at 16 kHz (the rest waits)."""
        import av

        frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self._rate_hz
        converted = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame)]
        self._pending = np.concatenate([self._pending, *converted])
        chunks = []
        while len(self._pending) >= FRAME_SAMPLES:
            samples, self._pending = self._pending[:FRAME_SAMPLES], self._pending[FRAME_SAMPLES:]
            chunks.append(AudioChunk(samples.astype(np.int16, copy=False),
                                     self._emitted * 1000 // SAMPLE_RATE_HZ))
            self._emitted += FRAME_SAMPLES
        return chunks

    def __aiter__(self) -> MicSource:
        return self

    async def __anext__(self) -> AudioChunk:
        if self._closed and self._queue.empty():
            raise StopAsyncIteration
        item = await self._queue.get()
        if item is None:
            raise StopAsyncIteration
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        """Stop capturing; iteration ends after the frames already delivered."""
        if self._closed:
            return
        self._closed = True
        stream, self._stream = self._stream, None
        close_stream(stream)
        if stream is None:
            self._post(None)
