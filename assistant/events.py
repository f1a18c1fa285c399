"""Typed, frozen events: everything the assistant does is published as one of these.
Units are in field names; `t_ms` is the bus's monotonic clock in ms."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from audio.mic_state import MicState


@dataclass(frozen=True)
class Event:
    t_ms: float = field(default=0.0, kw_only=True)

    @property
    def type(self) -> str:
        return type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **asdict(self)}


class AssistantState(StrEnum):
    """What the assistant is doing, as the tray and the phone show it (one owner:
    assistant/voice/state.py)."""

    STARTING = "starting"  # models loading; not yet listening
    IDLE = "idle"  # waiting for the wake word (or a command)
    LISTENING = "listening"
    THINKING = "thinking"
    SPEAKING = "speaking"
    MUTED = "muted"  # the microphone is closed by the user


class Stage(StrEnum):
    """Where something failed (StageError.stage): a stage of a voice turn, or a
    background part of the running Heron."""

    WAKE = "wake"
    ASR = "asr"
    AGENT = "agent"
    TTS = "tts"
    AUDIO_IN = "audio_in"
    TURN = "turn"  # a voice turn, outside any one stage
    VOICE = "voice"  # the voice loop
    SCHEDULER = "scheduler"  # timers and reminders
    COMPANION = "companion"  # the phone companion's server
    SATELLITE = "satellite"  # Home Assistant's turns on Heron as its voice satellite


class CallSource(StrEnum):
    """Who asked for a tool call (ToolCall.source, ToolCallStarted.source)."""

    VOICE = "voice"
    TEXT = "text"  # the tray's text box
    CLI = "cli"
    MCP = "mcp"
    PHONE = "phone"
    TIMER = "timer"  # a call a timer or a reminder makes (no user is asking)


class CallStatus(StrEnum):
    """How a tool call ended (ToolCallFinished.status, ToolOutcome.status)."""

    OK = "ok"
    DENIED = "denied"
    INVALID = "invalid"  # the arguments were refused before the tool ran
    ERROR = "error"
    TIMEOUT = "timeout"
    UNKNOWN = "unknown"  # no such tool


class InterruptReason(StrEnum):
    """What cut a reply short (Interrupted.reason)."""

    WAKE = "wake"
    SPEECH = "speech"  # "stop" is short speech: the next turn hears it as "be quiet"


@dataclass(frozen=True)
class StateChanged(Event):
    state: AssistantState


@dataclass(frozen=True)
class WakeDetected(Event):
    model: str
    score: float
    audio_ms: int  # position in the input stream


@dataclass(frozen=True)
class SpeechStarted(Event):
    audio_ms: int


@dataclass(frozen=True)
class SpeechEnded(Event):
    audio_ms: int  # end of the last voiced frame
    duration_ms: int


@dataclass(frozen=True)
class Transcript(Event):
    text: str
    is_final: bool = True
    language: str = "en"


@dataclass(frozen=True)
class ToolCallStarted(Event):
    call_id: str
    tool: str
    args: dict[str, Any]
    source: CallSource


@dataclass(frozen=True)
class ToolCallFinished(Event):
    call_id: str
    tool: str
    status: CallStatus
    result: dict[str, Any] | None = None
    error: str = ""


@dataclass(frozen=True)
class ReplyDelta(Event):
    """A piece of a reply as the language model writes it; the whole text follows as
    one Reply (router answers come whole, with no deltas)."""

    text: str


@dataclass(frozen=True)
class Reply(Event):
    text: str


@dataclass(frozen=True)
class SpeechOutStarted(Event):
    """The first reply audio sample was handed to the sink."""

    text: str


@dataclass(frozen=True)
class SpeechOutFinished(Event):
    audio_ms: int


@dataclass(frozen=True)
class Interrupted(Event):
    """The user cut a reply short (barge-in); playback stopped, Heron listens."""

    reason: InterruptReason
    spoken_ms: int = 0  # how much of the reply had played


@dataclass(frozen=True)
class MicStateChanged(Event):
    """The microphone's stream: open, live (the room is heard), muted (closed by the
    user), lost (the device stopped), retrying."""

    state: MicState
    device: str = ""
    detail: str = ""


@dataclass(frozen=True)
class DeviceInUse(Event):
    """A privacy indicator: the camera or the screen is being read (active=True) or no
    longer is. The microphone's own state is `MicStateChanged`."""

    device: str  # camera | screen
    active: bool
    tool: str = ""  # the tool reading it


@dataclass(frozen=True)
class TimerFired(Event):
    timer_id: int
    label: str
    duration_s: int
    late_s: float = 0.0  # > 0 when it came due while Heron was not running


class TimerEvent(StrEnum):
    """What happened to a Home Assistant timer (SatelliteTimer.event)."""

    STARTED = "started"
    UPDATED = "updated"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    FINISHED = "finished"


@dataclass(frozen=True)
class SatelliteTimer(Event):
    """A timer Home Assistant runs for Heron as its satellite (set by voice there):
    total_s is its length when started or updated."""

    timer_id: str
    event: TimerEvent
    name: str = ""
    total_s: int = 0


@dataclass(frozen=True)
class ReminderFired(Event):
    """A reminder came due (late_s > 0 when it did so while Heron was not running)."""

    reminder_id: int
    text: str
    late_s: float = 0.0


@dataclass(frozen=True)
class StageError(Event):
    """A stage failed; the turn ends cleanly and the assistant keeps running. code
    turn.failed: an unexpected error in that stage of a voice turn (traceback in the
    last-error file); task.crashed: a background part (stage scheduler | companion |
    voice) crashed and is being restarted."""

    stage: Stage
    code: str
    message: str
    hint: str = ""


class EnrolmentStep(StrEnum):
    """How far enrolling a wake word got (EnrolmentProgress.step)."""

    SAY = "say"  # speak sample `sample` of `total` now
    HEARD = "heard"
    BUILDING = "building"
    DONE = "done"
    FAILED = "failed"  # the message says why


@dataclass(frozen=True)
class EnrolmentProgress(Event):
    """Enrolling a wake word in the running Heron, step by step."""

    name: str
    step: EnrolmentStep
    sample: int = 0
    total: int = 0
    message: str = ""


@dataclass(frozen=True)
class TurnFinished(Event):
    timings_ms: dict[str, float]
