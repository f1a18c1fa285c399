"""The live microphone against a real (private) PulseAudio server: capture rate, device
choice, mute as a kill switch and hot-plug, plus `heron devices`.

Each scenario runs MicSource in its own process (PortAudio and ALSA read the server
address and ~/.asoundrc when they start), driven over stdin and reporting JSON lines."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from helpers import REPO, PulseServer, run_heron, write_wav

pytestmark = [pytest.mark.audio, pytest.mark.slow]

DRIVER = r"""
import asyncio, json, sys, threading, time
import numpy as np
from audio.devices import DeviceOptions
from audio.errors import DeviceError
from audio.mic import MicSource

def emit(kind, **data):
    print(json.dumps({"kind": kind, "wall": time.monotonic(), **data}), flush=True)

async def main():
    loop = asyncio.get_running_loop()
    mic = MicSource(DeviceOptions(input_device=sys.argv[1]),
                    on_state=lambda s, d, detail: emit("state", state=s, device=d, detail=detail))
    try:
        await mic.open()
    except DeviceError as err:
        emit("error", **err.to_dict())
        return
    tasks = set()

    async def command(line):
        if line == "mute":
            await mic.mute()
        elif line == "unmute":
            await mic.unmute()
        else:
            await mic.aclose()

    def on_line(line):
        task = loop.create_task(command(line.strip()))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def read():
        for line in sys.stdin:
            loop.call_soon_threadsafe(on_line, line)
        loop.call_soon_threadsafe(on_line, "close")

    threading.Thread(target=read, daemon=True).start()
    try:
        async for chunk in mic:
            rms = float(np.sqrt(np.mean(chunk.samples.astype(np.float64) ** 2)))
            emit("frame", t_ms=chunk.timestamp_ms, rms=round(rms, 1))
    except BaseException as err:
        emit("raised", error=repr(err))
        raise
    emit("done", dropped=mic.dropped_frames)

asyncio.run(main())
"""

LOUD_RMS = 500.0  # the tone below is ~5,600 rms; the null sink's silence is exact zeros

Event = dict


class MicDriver:
    """A MicSource in a subprocess: send commands, wait for the events it reports."""

    def __init__(self, pulse: PulseServer, device: str, log: Path) -> None:
        self._log = log.open("w")
        self.proc = subprocess.Popen([sys.executable, "-c", DRIVER, device], cwd=REPO,
                                     env=pulse.env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._log, text=True)
        self.events: list[Event] = []
        self._new: queue.Queue[Event | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.log_path = log

    def _read(self) -> None:
        for line in self.proc.stdout:
            self._new.put(json.loads(line))
        self._new.put(None)

    def wait(self, what: str, pred: Callable[[Event], bool], timeout_s: float = 20) -> Event:
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self._new.get(timeout=left)
            except queue.Empty:
                break
            if event is None:
                break
            self.events.append(event)
            assert event["kind"] != "raised", f"the consumer got an exception: {event}"
            if pred(event):
                return event
        states = [e for e in self.events if e["kind"] != "frame"]
        pytest.fail(f"no {what} within {timeout_s} s; events: {states[-10:]}; "
                    f"frames: {sum(e['kind'] == 'frame' for e in self.events)}; "
                    f"stderr: {self.log_path.read_text()[-2000:]}")

    def state(self, name: str, timeout_s: float = 20) -> Event:
        return self.wait(f"state {name!r}",
                         lambda e: e["kind"] == "state" and e["state"] == name, timeout_s)

    def loud_frame(self, timeout_s: float = 20) -> Event:
        return self.wait("a frame with the tone in it",
                         lambda e: e["kind"] == "frame" and e["rms"] > LOUD_RMS, timeout_s)

    def frames_for(self, seconds: float) -> list[Event]:
        """Every frame reported during the next `seconds`."""
        end = time.monotonic() + seconds
        before = len(self.events)
        while time.monotonic() < end:
            try:
                event = self._new.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                continue
            if event is None:
                break
            self.events.append(event)
            assert event["kind"] != "raised", f"the consumer got an exception: {event}"
        return [e for e in self.events[before:] if e["kind"] == "frame"]

    def send(self, command: str) -> None:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.wait("the end of iteration", lambda e: e["kind"] == "done", 15)
        self.proc.wait(timeout=15)
        self._log.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._log.close()


@pytest.fixture
def tone(tmp_path) -> Path:
    """60 s of a 440 Hz tone: longer than any test listens."""
    t = np.arange(60 * 16000) / 16000
    return write_wav(tmp_path / "tone.wav", 8000 * np.sin(2 * np.pi * 440 * t))


@pytest.fixture
def drivers(tmp_path):
    started: list[MicDriver] = []

    def start(pulse: PulseServer, device: str = "") -> MicDriver:
        driver = MicDriver(pulse, device, tmp_path / f"mic-{len(started)}.log")
        started.append(driver)
        return driver

    yield start
    for driver in started:
        driver.kill()


@pytest.fixture
def players():
    procs: list[subprocess.Popen] = []
    yield procs
    for p in procs:
        p.terminate()
        p.wait(timeout=10)


def test_tone_in_the_room_is_captured_at_real_time_rate(pulse, tone, drivers, players):
    players.append(pulse.start_playing(tone))
    mic = drivers(pulse)
    opened = mic.state("open")
    assert opened["device"] == "default"
    live = mic.state("live")  # announced once audio flows, before any frame is read
    assert live["wall"] >= opened["wall"]
    assert mic.loud_frame()["wall"] >= live["wall"]
    mic.frames_for(1.0)  # past the stream's start-up
    frames = mic.frames_for(4.0)
    rate = len(frames) / 4.0
    assert 11.0 <= rate <= 14.0, f"{rate} frames/s, expected 12.5"
    assert min(f["rms"] for f in frames) > LOUD_RMS
    steps = {b["t_ms"] - a["t_ms"] for a, b in zip(frames, frames[1:], strict=False)}
    assert steps == {80}
    mic.close()


def test_a_device_is_chosen_by_name_and_a_bad_name_lists_the_devices(pulse, tone, drivers,
                                                                      players):
    pulse.add_alsa_device("heron_mic", "heron_out.monitor")
    players.append(pulse.start_playing(tone))
    mic = drivers(pulse, "heron_mic")
    assert mic.state("open")["device"] == "heron_mic"
    mic.loud_frame()
    mic.close()

    bad = drivers(pulse, "no-such-mic")
    error = bad.wait("an error", lambda e: e["kind"] == "error")
    assert error["code"] == "audio.no_input_device"
    assert "no-such-mic" in error["message"]
    assert "heron_mic" in error["hint"] and "default" in error["hint"]
    assert "input_device" in error["hint"]


def test_mute_closes_the_input_stream_and_unmute_resumes(pulse, tone, drivers, players):
    players.append(pulse.start_playing(tone))
    mic = drivers(pulse)
    mic.state("open")
    last = mic.loud_frame()
    assert len(pulse.source_outputs()) == 1

    mic.send("mute")
    muted = mic.state("muted", 10)
    assert pulse.source_outputs() == []  # the server sees no one recording
    late = [f for f in mic.frames_for(2.0) if f["wall"] > muted["wall"] + 0.2]
    assert late == [], "frames kept coming while muted"
    assert pulse.source_outputs() == []

    last = [e for e in mic.events if e["kind"] == "frame"][-1]
    mic.send("unmute")
    mic.state("open", 10)
    mic.state("live", 10)
    first = mic.loud_frame()
    assert len(pulse.source_outputs()) == 1
    # The gap is a jump in timestamps at least as long as the mute (2 s, minus a frame).
    assert first["t_ms"] - last["t_ms"] >= 2000 - 80
    mic.close()


@pytest.mark.parametrize(("chosen", "leaves_the_list"), [
    ("heron_mic", False), ("", False), ("heron_mic", True)],
    ids=["named-device", "default-device", "device-leaves-portaudio-list"])
def test_an_unplugged_microphone_is_retried_and_resumes(pulse, tone, drivers, players, chosen,
                                                        leaves_the_list):
    # The room's monitor must be the only source: PulseAudio moves a stream to another
    # source when its own goes away, so PortAudio would never notice the unplugging.
    pulse.unload_module(pulse.module_index("sink_name=heron_out"))
    room = pulse.load_module("module-null-sink", "sink_name=heron_room")
    pulse.add_alsa_device("heron_mic", "heron_room.monitor")
    players.append(pulse.start_playing(tone, "heron_room"))
    mic = drivers(pulse, chosen)
    mic.state("open")
    before = mic.loud_frame()

    pulse.unload_module(room)  # unplug
    if leaves_the_list:  # like a USB card: back only after PortAudio rescans its devices
        pulse.remove_alsa_devices()
    lost = mic.state("lost", 10)
    mic.state("retrying", 5)
    mic.state("retrying", 5)  # the first attempt failed: the device is still gone

    # Plug back in: the same device, or for the default device a different one.
    sink = "heron_room" if chosen else "heron_usb"
    if leaves_the_list:
        pulse.add_alsa_device("heron_mic", "heron_room.monitor")
    pulse.load_module("module-null-sink", f"sink_name={sink}")
    players.append(pulse.start_playing(tone, sink))
    mic.state("open", 15)
    after = mic.loud_frame(15)
    gap_s = after["wall"] - lost["wall"]
    assert after["t_ms"] - before["t_ms"] >= (gap_s - 1.0) * 1000  # time kept moving
    frames = [e for e in mic.events if e["kind"] == "frame"]
    assert all(b["t_ms"] > a["t_ms"] for a, b in zip(frames, frames[1:], strict=False))
    mic.close()
    assert pulse.source_outputs() == []


def test_heron_devices_lists_the_sound_server_devices(tmp_path, pulse):
    result = run_heron(tmp_path / "home", "devices", "--json", env=pulse.env, timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    names = {d["name"] for d in report["inputs"]}
    assert {"pulse", "default"} <= names
    assert {"pulse", "default"} <= {d["name"] for d in report["outputs"]}
    assert [d["name"] for d in report["inputs"] if d["is_default"]] == ["default"]
    assert report["selected"]["input"]["device"]["name"] == "default"
    assert "input_device" in report["config_help"]

    text = run_heron(tmp_path / "home", "devices", env=pulse.env, timeout=60)
    assert text.returncode == 0
    assert "Heron's microphone:" in text.stdout and "default" in text.stdout


def test_heron_devices_without_a_sound_server_says_there_is_none(tmp_path):
    (tmp_path / "empty").mkdir()
    env = {"PULSE_SERVER": f"unix:{tmp_path / 'empty' / 'native'}",  # nothing listens
           "PULSE_RUNTIME_PATH": str(tmp_path / "empty")}
    result = run_heron(tmp_path / "home", "devices", "--json", env=env, timeout=60)
    assert result.returncode == 6, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["inputs"] == []
    assert report["selected"]["input"]["error"]["code"] == "audio.no_input_device"
    text = run_heron(tmp_path / "home", "devices", env=env, timeout=60)
    assert "no microphone found" in text.stdout


def test_a_device_that_goes_silent_is_lost_and_resumes_when_it_wakes(pulse, tone, drivers,
                                                                      players):
    # A suspended source delivers nothing and PortAudio reports no error: only the
    # watchdog (no callback for 1.5 s) can tell.
    players.append(pulse.start_playing(tone))
    mic = drivers(pulse)
    mic.state("open")
    mic.loud_frame()
    pulse.pactl("suspend-sink", "heron_out", "1")  # and so its monitor
    suspended = time.monotonic()
    lost = mic.state("lost", 10)
    assert lost["detail"] == "no audio from the device"
    assert lost["wall"] - suspended < 1.5 + 1.0
    mic.state("retrying", 5)
    pulse.pactl("suspend-sink", "heron_out", "0")
    mic.state("open", 15)
    mic.loud_frame(15)
    mic.close()
