"""Audio devices (sounddevice/PortAudio): listing and choosing input and output."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from audio.errors import DeviceError

log = logging.getLogger(__name__)
_NO_MIC_HINT = "plug one in, or run `heron listen FILE` / `heron ask TEXT`"
_NO_SPEAKER_HINT = "plug in a speaker or headphones, or write replies to a file with --out"


@dataclass(frozen=True)
class DeviceOptions:
    """Device name (substring) or index as text; "" = the system default.
    latency_ms: the stream buffer asked of PortAudio. Below ~100 ms the ALSA→PulseAudio
    bridge starves: capture runs slow and playback races through its queue."""

    input_device: str = ""
    output_device: str = ""
    latency_ms: int = 100


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    name: str
    inputs: int  # max input channels
    outputs: int  # max output channels
    default_rate_hz: int
    is_default_input: bool = False
    is_default_output: bool = False
    host_api: str = ""


def sounddevice() -> ModuleType:
    """Import sounddevice, turning a missing PortAudio library into a DeviceError."""
    try:
        import sounddevice as sd
    except OSError as err:
        raise DeviceError("audio.portaudio_missing",
                          "the PortAudio library is not installed, so no audio device can be used",
                          "install it: sudo apt-get install libportaudio2") from err
    return sd


def list_devices() -> list[DeviceInfo]:
    """Every device PortAudio reports (empty when there is no sound server or card)."""
    sd = sounddevice()
    try:
        raw = sd.query_devices()
        apis = [api["name"] for api in sd.query_hostapis()]
        default_in, default_out = _defaults(sd)
    except sd.PortAudioError as err:
        raise DeviceError("audio.device_error", f"could not list audio devices: {err}",
                          "check that the sound server is running (`pactl info`)") from err
    return [
        DeviceInfo(
            index=int(d["index"]), name=str(d["name"]),
            inputs=int(d["max_input_channels"]), outputs=int(d["max_output_channels"]),
            default_rate_hz=int(d["default_samplerate"]),
            is_default_input=int(d["index"]) == default_in,
            is_default_output=int(d["index"]) == default_out,
            host_api=apis[d["hostapi"]] if 0 <= d["hostapi"] < len(apis) else "",
        )
        for d in raw
    ]


def _defaults(sd: ModuleType) -> tuple[int, int]:
    try:
        default_in, default_out = sd.default.device
    except (TypeError, ValueError):
        return -1, -1
    return int(default_in if default_in is not None else -1), int(
        default_out if default_out is not None else -1)


def find_input(options: DeviceOptions) -> DeviceInfo:
    """The microphone named by `options.input_device` (or the default one)."""
    return _find(list_devices(), options.input_device, output=False)


def find_output(options: DeviceOptions) -> DeviceInfo:
    """The speaker named by `options.output_device` (or the default one)."""
    return _find(list_devices(), options.output_device, output=True)


def _find(devices: list[DeviceInfo], wanted: str, output: bool) -> DeviceInfo:
    kind = "speaker" if output else "microphone"
    usable = [d for d in devices if (d.outputs if output else d.inputs) > 0]
    if not usable:
        if output:
            raise DeviceError("audio.no_output_device", "no speaker found", _NO_SPEAKER_HINT)
        raise DeviceError("audio.no_input_device", "no microphone found", _NO_MIC_HINT)
    wanted = wanted.strip()
    if not wanted:
        for d in usable:
            if d.is_default_output if output else d.is_default_input:
                return d
        return usable[0]
    if wanted.isdigit():
        matches = [d for d in usable if d.index == int(wanted)]
    else:
        exact = [d for d in usable if d.name.lower() == wanted.lower()]
        matches = exact or [d for d in usable if wanted.lower() in d.name.lower()]
    if matches:
        return matches[0]
    names = ", ".join(f"{d.index}: {d.name}" for d in usable)
    code = "audio.no_output_device" if output else "audio.no_input_device"
    setting = "output_device" if output else "input_device"
    raise DeviceError(code, f"no {kind} matches {wanted!r}",
                      f"set [audio] {setting} to one of: {names}")


def close_stream(stream: Any) -> None:
    """Abort and close a PortAudio stream, tolerating a device that already went away."""
    if stream is None:
        return
    try:
        stream.abort()
        stream.close()
    except Exception as err:  # PortAudio errors while the device goes away
        log.debug("closing %r failed: %s", stream, err)


def refresh_devices() -> None:
    """Re-initialise PortAudio so devices plugged in since it started are listed.

    PortAudio (Debian libportaudio2 19.6) builds its device list once, at initialisation.
    Re-initialising also closes every stream still open in this process, so call it only
    when no device could be found (nothing of ours is then open)."""
    sd = sounddevice()
    try:
        if sd._initialized:  # 0 after an earlier _initialize() failed
            sd._terminate()
        sd._initialize()
    except sd.PortAudioError as err:
        raise DeviceError("audio.device_error", f"could not rescan audio devices: {err}",
                          "check that the sound server is running (`pactl info`)") from err
