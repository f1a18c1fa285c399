"""Built-in volume tools: set_volume, change_volume, mute_audio and unmute_audio on the
default output (sink) of PulseAudio — or PipeWire's PulseAudio server — through the
`audio.volume` backend `PulseVolume` (pulsectl). Blocking: tools call it with
asyncio.to_thread, one short-lived connection per call."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.tools.manifest import ToolManifest
from assistant.tools.registry import ToolError

if TYPE_CHECKING:
    from assistant.tools.backends import VolumeControl
    from assistant.tools.registry import ToolContext

NO_SERVER = ("I can't reach the sound server (PulseAudio or PipeWire). Check that it is "
             "running (`pactl info` says so) and ask again.")


@dataclass(frozen=True)
class VolumeState:
    """The default output as the sound server shows it."""

    sink: str
    description: str
    percent: int
    muted: bool

    def to_dict(self) -> dict[str, Any]:
        return {"sink": self.sink, "output": self.description, "percent": self.percent,
                "muted": self.muted}


class PulseVolume:
    """The default sink's volume and mute switch. `server` None: the server libpulse
    finds itself (PULSE_SERVER, the user's runtime dir), looked up on each call."""

    def __init__(self, server: str | None = None) -> None:
        self.server = server

    @contextmanager
    def _sink(self) -> Iterator[tuple[Any, Any]]:
        import pulsectl

        pulse = pulsectl.Pulse("heron", server=self.server, connect=False)
        try:
            try:
                # No timeout here: pulsectl 24.12 then waits out the whole timeout even
                # after connecting. A missing server fails at once; a hung one is cut off
                # by the tool's timeout.
                pulse.connect(autospawn=False)
                default = pulse.server_info().default_sink_name
                sinks = pulse.sink_list()
            except pulsectl.PulseError as err:
                raise ToolError("volume.no_server", NO_SERVER, "start PulseAudio or "
                                "PipeWire (with pipewire-pulse)") from err
            sink = next((s for s in sinks if s.name == default), sinks[0] if sinks else None)
            if sink is None:
                raise ToolError("volume.no_output", "There is no sound output whose volume I "
                                "could change. Plug in speakers or headphones and ask again.",
                                "check `pactl list short sinks`")
            try:
                yield pulse, sink
            except pulsectl.PulseError as err:
                raise ToolError("volume.failed", f"The sound server refused to change "
                                f"{sink.description}: {err}. Ask again.",
                                "check `pactl info`") from err
        finally:
            pulse.close()

    @staticmethod
    def _read(pulse: Any, sink: Any) -> VolumeState:
        now = pulse.sink_info(sink.index)
        return VolumeState(now.name, now.description, round(now.volume.value_flat * 100),
                           bool(now.mute))

    def state(self) -> VolumeState:
        with self._sink() as (pulse, sink):
            return self._read(pulse, sink)

    def set(self, percent: int) -> tuple[VolumeState, VolumeState]:
        """Set the volume (0..100); (before, after). It unmutes too: a user who sets a
        volume wants to hear it."""
        with self._sink() as (pulse, sink):
            before = self._read(pulse, sink)
            pulse.volume_set_all_chans(sink, max(0, min(100, percent)) / 100)
            if before.muted and percent > 0:
                pulse.mute(sink, False)
            return before, self._read(pulse, sink)

    def change(self, delta: int) -> tuple[VolumeState, VolumeState]:
        """Raise or lower by `delta` points, never past 100 % (nor below 0)."""
        with self._sink() as (pulse, sink):
            before = self._read(pulse, sink)
            target = max(0, min(max(100, before.percent), before.percent + delta))
            pulse.volume_set_all_chans(sink, target / 100)
            if before.muted and delta > 0:
                pulse.mute(sink, False)
            return before, self._read(pulse, sink)

    def set_mute(self, muted: bool) -> tuple[VolumeState, VolumeState]:
        with self._sink() as (pulse, sink):
            before = self._read(pulse, sink)
            pulse.mute(sink, muted)
            return before, self._read(pulse, sink)

    def status(self) -> dict[str, Any]:
        """For `heron doctor`."""
        try:
            now = self.state()
        except ToolError as err:
            return {"available": False, "problem": err.message, "hint": err.hint}
        return {"available": True, "output": now.description}


def _volume(ctx: ToolContext) -> VolumeControl:
    return ctx.caps.backend("audio.volume")


def _muted_note(state: VolumeState) -> str:
    return " The sound is still muted." if state.muted else ""


def _manifest(name: str, title: str, description: str, examples: tuple[str, ...],
              properties: dict[str, Any] | None = None) -> ToolManifest:
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False,
                              "properties": properties or {}}
    if properties:
        schema["required"] = list(properties)
    return ToolManifest(
        name=name, title=title, description=description, builtin=True, effects="write",
        permissions=("audio.volume",), timeout_s=10, input_schema=schema, examples=examples,
        output_schema={"type": "object", "properties": {
            "percent": {"type": "integer"}, "muted": {"type": "boolean"},
            "output": {"type": "string"}, "previous_percent": {"type": "integer"}}})


def _result(before: VolumeState, after: VolumeState, speech: str) -> dict[str, Any]:
    return {**after.to_dict(), "previous_percent": before.percent,
            "previous_muted": before.muted, "speech": speech}


class SetVolume:
    manifest = _manifest(
        "set_volume", "Set the volume", "Set the computer's sound volume (default output) "
        "to a percentage.",
        ("set the volume to {percent} percent", "volume {percent}", "volume to {percent}",
         "set volume to {percent}", "change the volume to {percent} percent",
         "make the volume {percent} percent", "make the volume {percent}",
         "set the sound to {percent}", "volume at {percent} percent",
         "put the volume at {percent}", "turn the volume to {percent}",
         "set the volume at {percent}", "volume {percent} percent", "change volume to {percent}",
         "sound to {percent} percent", "set the volume to half", "turn the volume to max",
         "put the volume on full", "put the volume on {percent}",
         "reduce the volume to {percent} percent", "lower the volume to {percent}",
         "turn it down to {percent}", "turn it up to {percent}"),
        {"percent": {"type": "integer", "minimum": 0, "maximum": 100, "x-slot": "number",
                     "x-not-after": ["by"],  # "lower the volume by 10" changes it
                     # a level said in words (a number said wins)
                     "x-words": {"50": ["half", "halfway"], "100": ["max", "maximum", "full"]},
                     "description": "new volume, 0 to 100"}})

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        before, after = await asyncio.to_thread(_volume(ctx).set, args["percent"])
        return _result(before, after,
                       f"Volume set to {after.percent} percent.{_muted_note(after)}")


class ChangeVolume:
    manifest = _manifest(
        "change_volume", "Turn the volume up or down", "Raise (positive) or lower "
        "(negative) the computer's sound volume by a number of percentage points.",
        # The router reads a number, not its sign: a word of "x-negative-when-said"
        # makes it negative ("lower the volume by 10" → -10); said without a number, the
        # schema's default stands in ("turn it down" → -10).
        ("turn the volume up by {percent}", "volume up {percent} percent",
         "raise the volume by {percent} percent", "increase the volume by {percent}",
         "turn it up by {percent} percent", "make it {percent} percent louder",
         "turn the volume down by {percent}", "lower the volume by {percent} percent",
         "decrease the volume by {percent}", "turn it down by {percent} percent",
         "turn it down {percent} points", "turn it up {percent} points",
         "bring it down {percent}", "bring the volume down by {percent}",
         "turn it up {percent}", "turn it down {percent}",
         "bring it up {percent}", "bring the volume up by {percent}",
         "make it {percent} percent quieter", "turn the volume up", "turn the volume down",
         "turn it up", "turn it down", "turn it up a bit", "louder", "quieter",
         "volume up", "volume down",
         "turn the sound down", "turn the sound up", "make it louder", "make it quieter",
         "a bit louder", "a little quieter", "too loud", "it is too quiet", "i can't hear it",
         "lower the volume", "raise the volume", "turn it down a bit",
         "turn the sound down a little", "reduce the volume", "softer", "boost the volume",
         "it is too loud", "crank it up", "bring the volume down", "volume up {percent}",
         "volume down {percent}", "turn the volume up a notch", "turn it down a notch",
         "i can barely hear it", "put the volume up a bit", "put the volume down a bit",
         "volume up a bit", "volume down a bit"),
        {"percent": {"type": "integer", "minimum": -100, "maximum": 100, "not": {"const": 0},
                     "x-slot": "number", "default": 10,
                     "x-not-after": ["to"],  # "turn it down to 20" sets a level
                     "x-negative-when-said": ["down", "lower", "decrease", "reduce",
                                              "quieter", "softer", "too loud", "so loud",
                                              "too noisy"],
                     "description": "points to add (negative: to take away)"}})

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        delta = args["percent"]
        before, after = await asyncio.to_thread(_volume(ctx).change, delta)
        if after.percent == before.percent:
            edge = "at its highest" if delta > 0 else "already off"
            speech = f"The volume is {edge}, at {after.percent} percent."
        else:
            way = "up" if after.percent > before.percent else "down"
            speech = f"Volume {way} to {after.percent} percent."
        return _result(before, after, speech + _muted_note(after))


class MuteAudio:
    manifest = _manifest(
        "mute_audio", "Mute the sound", "Mute the computer's sound (default output).",
        ("mute", "mute the sound", "mute the audio", "mute the volume", "silence the "
         "speakers", "turn the sound off",
         "mute the speakers", "mute everything", "mute the laptop", "silence",
         "turn off the sound", "kill the sound", "no sound please", "sound off", "mute the pc",
         "mute all sound"))

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        before, after = await asyncio.to_thread(_volume(ctx).set_mute, True)
        speech = "The sound was already muted." if before.muted else "Muted."
        return _result(before, after, speech)


class UnmuteAudio:
    manifest = _manifest(
        "unmute_audio", "Unmute the sound", "Unmute the computer's sound (default output).",
        ("unmute", "unmute the sound", "unmute the audio", "turn the sound back on",
         "sound on", "unmute the speakers",
         "turn the sound on", "unmute everything", "sound back on", "bring the sound back",
         "unmute the laptop", "turn on the sound", "turn the audio back on",
         "take the mute off", "take off the mute"))

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        before, after = await asyncio.to_thread(_volume(ctx).set_mute, False)
        speech = (f"The sound is on, at {after.percent} percent." if not before.muted
                  else f"Sound back on, at {after.percent} percent.")
        return _result(before, after, speech)


def volume_tools() -> list[Any]:
    return [SetVolume(), ChangeVolume(), MuteAudio(), UnmuteAudio()]
