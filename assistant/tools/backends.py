"""The desktop backends a `Capabilities` hands to tools: one field per kind, each typed
by the small Protocol naming what the tools and capabilities call on it. The core builds
one `DesktopBackends` (assistant/builtins/registration.py); a test builds one with just
the part it needs. A field left None means nothing on this machine provides it
(`capability.unavailable`).

Backends are synchronous (they run programs, talk to X11 or D-Bus): callers run them in
a worker thread."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from assistant.builtins.desktop import Launched
    from assistant.builtins.mpris import MprisSession
    from assistant.builtins.volume import VolumeState
    from models.errors import CodedError
    from vision.options import VisionOptions
    from vision.types import Frame
    from vision.windows import WindowInfo


class Clipboard(Protocol):
    """clipboard.read (the clipboard, and the selected text: X11's PRIMARY) and
    clipboard.write."""

    def read(self) -> str: ...

    def read_primary(self) -> str: ...

    def write(self, text: str) -> None: ...


class Launcher(Protocol):
    """apps.launch: installed apps by (spoken) name, and web links."""

    def launch(self, name: str) -> Launched: ...

    def open_url(self, url: str) -> Launched: ...


class ScreenSource(Protocol):
    """screen.read, with the excluded windows already left out."""

    def grab(self, target: str) -> Frame: ...

    def windows(self) -> tuple[list[WindowInfo], WindowInfo | None]: ...

    def reconfigure(self, options: VisionOptions) -> None:
        """[vision] changed while Heron runs (excluded windows, display)."""


class Pointer(Protocol):
    """input.control."""

    def click(self, x: int, y: int, button: int = 1) -> None: ...

    def reconfigure(self, options: VisionOptions) -> None: ...


class Camera(Protocol):
    """camera: one frame per call ("" = the configured device)."""

    def frame(self, device: str = "") -> Frame: ...

    def reconfigure(self, options: VisionOptions) -> None: ...


class MediaPlayers(Protocol):
    """media.control: one bus connection per tool call."""

    def session(self) -> AbstractContextManager[MprisSession]: ...


class VolumeControl(Protocol):
    """audio.volume: each change returns the (before, after) states."""

    def state(self) -> VolumeState: ...

    def set(self, percent: int) -> tuple[VolumeState, VolumeState]: ...

    def change(self, delta: int) -> tuple[VolumeState, VolumeState]: ...

    def set_mute(self, muted: bool) -> tuple[VolumeState, VolumeState]: ...


class SensorSwitch(Protocol):
    """The privacy switch and in-use indicator of the camera and the screen
    (assistant/tools/sensors.py); not a scope: every read passes it."""

    def paused(self, device: str) -> bool: ...

    def refusal(self, device: str, tool: str) -> CodedError: ...

    def reading(self, device: str, tool: str) -> AbstractContextManager[None]: ...


@dataclass(frozen=True)
class DesktopBackends:
    """What this machine provides to the tools; None: nothing does."""

    clipboard: Clipboard | None = None
    apps: Launcher | None = None
    screen: ScreenSource | None = None
    input: Pointer | None = None
    camera: Camera | None = None
    media: MediaPlayers | None = None
    volume: VolumeControl | None = None
    sensors: SensorSwitch | None = None

    def for_scope(self, scope: str) -> object | None:
        """The backend behind a simple scope (see Capabilities.backend), or None."""
        match scope:
            case "clipboard.read" | "clipboard.write":
                return self.clipboard
            case "apps.launch":
                return self.apps
            case "screen.read":
                return self.screen
            case "input.control":
                return self.input
            case "camera":
                return self.camera
            case "media.control":
                return self.media
            case "audio.volume":
                return self.volume
            case _:  # notify, shell, …: no desktop backend behind them (yet)
                return None

