"""Where synthesized audio goes: a WAV file or a speaker (cancellable)."""

from __future__ import annotations

import logging
import threading
import time
import wave
from collections import deque
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from audio.devices import DeviceInfo, DeviceOptions, close_stream, find_output, sounddevice
from audio.echo import EchoReference
from audio.errors import AudioError, DeviceError

log = logging.getLogger(__name__)

BLOCK_MS = 80  # playback block: stop() takes effect within one block


class WavSink:
    """Write int16 mono audio to a WAV file. A write error removes the partial file."""

    def __init__(self, path: Path | str, rate_hz: int) -> None:
        self.path = Path(path)
        self.rate_hz = rate_hz  # the file's
        self.source_rate_hz = rate_hz  # the audio written's (see retune)
        self.samples_written = 0
        self._wav: wave.Wave_write | None = None
        self._created = False  # only a file we created is removed on failure
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._wav = wave.open(str(self.path), "wb")  # closed in close()
            self._created = True
            self._wav.setnchannels(1)
            self._wav.setsampwidth(2)
            self._wav.setframerate(rate_hz)
        except OSError as err:
            self._fail(err)

    def write(self, samples: np.ndarray) -> None:
        if self._wav is None:
            raise AudioError("audio.write_failed", f"{self.path} is already closed",
                             "open a new WavSink")
        data = np.asarray(samples, dtype=np.int16).reshape(-1)
        if not len(data):  # wave writes its header on any write: the rate stays open
            return
        if self.rate_hz != self.source_rate_hz:
            data = _resample(data, self.source_rate_hz, self.rate_hz)
        try:
            self._wav.writeframes(data.astype("<i2", copy=False).tobytes())
        except OSError as err:
            self._fail(err)
        self.samples_written += len(data)

    def drain(self) -> None:
        """Nothing is pending: writes go straight to the file."""

    def stop(self) -> None:
        """Nothing plays: a file has no sound to silence."""

    def retune(self, rate_hz: int) -> None:
        """Audio written from now on comes at `rate_hz`. A file has one rate: before its
        first sample it takes this one; after, the new audio is resampled to the file's
        (an approval question in the main voice, then a reply in another language's)."""
        if self.samples_written == 0 and self._wav is not None:
            self._wav.setframerate(rate_hz)
            self.rate_hz = rate_hz
        self.source_rate_hz = rate_hz

    def close(self) -> None:
        """Finish the header and close the file."""
        wav, self._wav = self._wav, None
        if wav is not None:
            try:
                wav.close()
            except OSError as err:
                self._fail(err)

    def _fail(self, err: OSError) -> None:
        wav, self._wav = self._wav, None
        if wav is not None:
            try:
                wav.close()
            except OSError:
                pass  # the file is removed below anyway
        if self._created:
            try:
                self.path.unlink(missing_ok=True)
            except OSError as unlink_err:
                log.warning("could not remove partial %s: %s", self.path, unlink_err)
        raise AudioError("audio.write_failed",
                         f"could not write {self.path}: {err.strerror or err}",
                         "free some disk space or choose another output path") from err

    def __enter__(self) -> WavSink:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class SpeakerSink:
    """Play int16 mono chunks on a speaker. `write()` blocks the caller's thread while
    the audio is queued (at most ~2 blocks ahead); `stop()` from any thread drops what
    is queued and makes a blocked `write()` return within one 80 ms block."""

    def __init__(self, options: DeviceOptions, rate_hz: int,
                 reference: EchoReference | None = None) -> None:
        sd = sounddevice()
        self.device: DeviceInfo = find_output(options)
        self._reference = reference  # told what is played, for echo suppression
        self._ref_t0: float | None = None
        self._ref_samples = 0
        self.source_rate_hz = rate_hz
        self._latency_s = options.latency_ms / 1000
        self._cond = threading.Condition()
        self._queue: deque[np.ndarray] = deque()
        self._queued = 0
        self._generation = 0
        self._closed = False
        self._stream: Any = None
        for rate in dict.fromkeys((rate_hz, self.device.default_rate_hz)):
            try:
                self._open(sd, rate)
                break
            except sd.PortAudioError as err:
                last_err = err
        else:
            raise DeviceError("audio.output_failed",
                              f"could not open speaker {self.device.name}: {last_err}",
                              "choose another [audio] output_device (see `heron doctor`)")

    def _open(self, sd: Any, rate: int) -> None:
        self.rate_hz = rate
        self._block = rate * BLOCK_MS // 1000
        self._stream = sd.OutputStream(
            device=self.device.index, samplerate=rate, channels=1, dtype="int16",
            blocksize=self._block, latency=self._latency_s, callback=self._callback)
        self._stream.start()

    def _callback(self, outdata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
        out = outdata[:, 0]
        filled = 0
        with self._cond:
            while filled < frames and self._queue:
                head = self._queue[0]
                n = min(frames - filled, len(head))
                out[filled:filled + n] = head[:n]
                filled += n
                if n == len(head):
                    self._queue.popleft()
                else:
                    self._queue[0] = head[n:]
            self._queued -= filled
            self._cond.notify_all()
        out[filled:] = 0
        if self._reference is not None:
            # A continuous timeline: the device consumes exactly rate_hz samples a
            # second, so only the first block's time is read off the (jittery) clock;
            # it sounds about one output latency later.
            if self._ref_t0 is None:
                self._ref_t0 = time.monotonic() + self._latency_s
            self._reference.add(out, self.rate_hz,
                                self._ref_t0 + self._ref_samples / self.rate_hz)
            self._ref_samples += frames

    def write(self, samples: np.ndarray) -> bool:
        """Queue audio for playback, blocking while more than ~2 blocks are queued.
        Returns False when `stop()` or `close()` cut it short."""
        data = np.asarray(samples, dtype=np.int16).reshape(-1)
        if self.rate_hz != self.source_rate_hz and len(data):
            data = _resample(data, self.source_rate_hz, self.rate_hz)
        with self._cond:
            generation = self._generation
            for start in range(0, len(data), self._block):
                while (self._queued >= 2 * self._block and generation == self._generation
                       and not self._closed):
                    self._cond.wait(timeout=1.0)
                if generation != self._generation or self._closed:
                    return False
                block = data[start:start + self._block]
                self._queue.append(block)
                self._queued += len(block)
        return True

    def drain(self) -> None:
        """Return once everything written has been played (bounded, in case the device
        stalls)."""
        queued_s = self._queued / self.rate_hz if self.rate_hz else 0.0
        generation = self._generation
        if self.wait_done(timeout_s=queued_s + 2.0) and not self._closed:
            # The last blocks are still in the device's buffer: let them sound before
            # anyone closes the stream (and cuts the reply's last syllable) — unless
            # stop() or close() comes first: a barge-in must not wait for them.
            with self._cond:
                self._cond.wait_for(
                    lambda: self._closed or self._generation != generation,
                    self._latency_s + BLOCK_MS / 1000)

    def wait_done(self, timeout_s: float | None = None) -> bool:
        """Block until everything queued has been played (or stopped); True if so."""
        with self._cond:
            return self._cond.wait_for(lambda: self._queued <= 0 or self._closed, timeout_s)

    def retune(self, rate_hz: int) -> None:
        """Audio written from now on comes at `rate_hz` (resampled to the device's rate
        when they differ: the device stays open)."""
        with self._cond:
            self.source_rate_hz = rate_hz

    def stop(self) -> None:
        """Drop queued audio now; a blocked `write()` returns False. Later writes play."""
        with self._cond:
            self._generation += 1
            self._queue.clear()
            self._queued = 0
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._queued = 0
            self._cond.notify_all()
        stream, self._stream = self._stream, None
        close_stream(stream)

    def __enter__(self) -> SpeakerSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ReplySpeaker:
    """A speaker opened only while a reply plays: the first write opens it, `drain()`
    waits for the end of the reply and closes it, so an idle assistant holds no
    output stream (no underruns, and other programs keep the device)."""

    def __init__(self, options: DeviceOptions, rate_hz: int,
                 reference: EchoReference | None = None) -> None:
        self.options = options
        self.rate_hz = rate_hz
        self.reference = reference
        self._sink: SpeakerSink | None = None
        self._lock = threading.Lock()  # write/drain on the playback thread, stop on the loop
        self._stopped = False  # after stop(), writes are dropped until close()

    def write(self, samples: np.ndarray) -> bool:
        with self._lock:
            if self._stopped:
                return False
            if self._sink is None:
                self._sink = SpeakerSink(self.options, self.rate_hz, self.reference)
            sink = self._sink
        return sink.write(samples)

    def drain(self) -> None:
        # The speaker stays attached while it drains, so a stop() meanwhile (the user
        # talking over the last words) still silences it at once.
        with self._lock:
            sink = self._sink
        if sink is None:
            return
        sink.drain()
        with self._lock:
            if self._sink is sink:
                self._sink = None
        sink.close()

    def stop(self) -> None:
        """Silence now (barge-in): drop the queue and abort the device buffer too."""
        with self._lock:
            self._stopped = True
            sink, self._sink = self._sink, None
        if sink is not None:
            sink.stop()
            sink.close()

    def retune(self, rate_hz: int) -> None:
        """Play at `rate_hz` from the next opening of the device (a voice changed while
        Heron runs; the device is opened per reply)."""
        with self._lock:
            self.rate_hz = rate_hz

    def close(self) -> None:
        """Release the device; the next write opens it again."""
        with self._lock:
            self._stopped = False
            sink, self._sink = self._sink, None
        if sink is not None:
            sink.close()


def _resample(data: np.ndarray, from_hz: int, to_hz: int) -> np.ndarray:
    """Linear resampling: for a speaker that refuses the voice's own rate, and for a
    file already holding audio at another rate."""
    n_out = round(len(data) * to_hz / from_hz)
    positions = np.arange(n_out) * (from_hz / to_hz)
    return np.interp(positions, np.arange(len(data)), data).astype(np.int16)
