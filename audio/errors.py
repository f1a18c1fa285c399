"""Coded errors of the audio library."""

from __future__ import annotations

from models.errors import CodedError


class AudioError(CodedError):
    """Audio that cannot be read, decoded or written."""

    exit_code = 2


class DeviceError(AudioError):
    """A microphone or speaker that is missing or fails."""

    exit_code = 6
