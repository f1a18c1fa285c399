"""The [desktop] section of config.toml."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DesktopOptions:
    hotkey: str = "<ctrl>+<alt>+<space>"  # push-to-talk (pynput syntax); "" turns it off
