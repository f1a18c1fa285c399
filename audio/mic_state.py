"""The microphone's states (MicSource reports each change), apart from the capture code
so the events can name them without loading the audio stack."""

from enum import StrEnum


class MicState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"  # the stream is open; no audio yet
    LIVE = "live"  # the first audio has arrived: the room is heard
    MUTED = "muted"  # closed by the user (the kill switch)
    LOST = "lost"  # the device stopped delivering
    RETRYING = "retrying"  # reopening it, with backoff
