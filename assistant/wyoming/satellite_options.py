"""[satellite]: Heron as a Home Assistant voice satellite (`heron wyoming --satellite`,
or `enabled = true` for `heron run`). Plain data, so the config loads without the
wyoming package."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from assistant.wyoming.address import DEFAULT_URI

if TYPE_CHECKING:
    from assistant.config import HeronConfig


@dataclass(frozen=True)
class SatelliteOptions:
    """enabled: serve the satellite protocol while Heron runs. uri: where Home Assistant
    connects (its Wyoming integration: the host and port); 127.0.0.1 unless opened to
    the LAN (tcp://0.0.0.0:10700). zeroconf: announce it as _wyoming._tcp (a name, or ""
    for heron-HOSTNAME; unset: not announced). name / area: how Home Assistant shows it.
    wake_words: the wake words whose turns Home Assistant answers while it is connected
    (they are added to [wake]'s words); every other wake word, push-to-talk, the tray,
    the phone and the CLI stay Heron's own, and so does everything while Home Assistant
    is not connected or has paused the satellite. listen_s: the longest a command is
    streamed before Heron stops it; reply_s: how long Heron waits for the answer."""

    enabled: bool = False
    uri: str = DEFAULT_URI
    zeroconf: str | None = None
    name: str = ""
    area: str = ""
    wake_words: tuple[str, ...] = ("okay_nabu",)
    listen_s: float = field(default=15.0, metadata={"range": (1.0, 120.0)})
    reply_s: float = field(default=30.0, metadata={"range": (1.0, 300.0)})

    def __post_init__(self) -> None:
        if self.enabled and not self.wake_words:
            raise ValueError("[satellite] wake_words needs at least one wake word (the "
                             "ones Home Assistant answers)")


def with_satellite_words(config: HeronConfig) -> HeronConfig:
    """The config Heron listens with as a satellite: [wake]'s words plus the
    satellite's (a word both name is listened for once)."""
    if not config.satellite.enabled:
        return config
    wake = config.wake
    words = list(wake.models or (wake.model,))
    extra = [w for w in config.satellite.wake_words if w not in words]
    if not extra:
        return config
    return replace(config, wake=replace(wake, models=(*words, *extra)))
