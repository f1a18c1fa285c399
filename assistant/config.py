"""Heron's configuration: config.toml → frozen option dataclasses.

Defaults work with no file. A malformed file, an unknown key, a wrong type or a value
out of range is a ConfigError naming the line (or key) — never silently ignored.

Ranges: a numeric field may declare `field(metadata={"range": (low, high)})` (either
may be None; "range_note" explains a special value). Without one, a duration (a name
ending in _s or _ms) must be >= 0, and no float may be nan or infinite.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from assistant.agent.llm import LlmOptions
from assistant.builtins.files import FilesOptions
from assistant.builtins.home_assistant_options import HomeAssistantOptions
from assistant.builtins.media import MediaOptions
from assistant.builtins.weather import WeatherOptions
from assistant.companion.options import CompanionOptions
from assistant.desktop.options import DesktopOptions
from assistant.mcp.options import McpOptions
from assistant.nesting import MAX_DOCUMENT_DEPTH, toml_too_deep
from assistant.voice.factory import VoiceBackends
from assistant.wyoming.satellite_options import SatelliteOptions
from audio.asr import AsrOptions
from audio.devices import DeviceOptions
from audio.endpointer import EndpointOptions
from audio.streaming_asr import StreamingOptions
from audio.tts import TtsOptions
from audio.vad import VadOptions
from audio.wake_options import WakeOptions
from models.errors import CodedError
from vision.options import VisionOptions


class ConfigError(CodedError):
    exit_code = 5


@dataclass(frozen=True)
class WakeConfig(WakeOptions):
    """enabled = false skips the wake word: every utterance is a command."""

    enabled: bool = True


@dataclass(frozen=True)
class StreamingConfig(StreamingOptions):
    """enabled: partial transcripts while the user speaks (the decode after speech
    pauses always runs: it is the final transcript and the endpoint check). Off by
    default: on a 2-core CPU a partial still decoding when the user stops delays the
    reply by ~250 ms (docs/bench/README.md); turn it on where partials are shown."""

    enabled: bool = False


@dataclass(frozen=True)
class PermissionOptions:
    """[permissions]: tools you never allow (deny beats every other rule), and how long
    an approval question waits for an answer before it counts as a no."""

    denied_tools: tuple[str, ...] = ()
    approval_timeout_s: float = 60.0

    def __post_init__(self) -> None:
        if self.approval_timeout_s <= 0:
            raise ValueError("approval_timeout_s must be > 0")


@dataclass(frozen=True)
class RuntimeOptions:
    prefer_gpu: bool = True


@dataclass(frozen=True)
class HeronConfig:
    audio: DeviceOptions = field(default_factory=DeviceOptions)
    voice: VoiceBackends = field(default_factory=VoiceBackends)
    wake: WakeConfig = field(default_factory=WakeConfig)
    vad: VadOptions = field(default_factory=VadOptions)
    endpoint: EndpointOptions = field(default_factory=EndpointOptions)
    streaming: StreamingConfig = field(default_factory=StreamingConfig)
    asr: AsrOptions = field(default_factory=AsrOptions)
    tts: TtsOptions = field(default_factory=TtsOptions)
    runtime: RuntimeOptions = field(default_factory=RuntimeOptions)
    llm: LlmOptions = field(default_factory=LlmOptions)
    mcp: McpOptions = field(default_factory=McpOptions)
    files: FilesOptions = field(default_factory=FilesOptions)
    permissions: PermissionOptions = field(default_factory=PermissionOptions)
    vision: VisionOptions = field(default_factory=VisionOptions)
    companion: CompanionOptions = field(default_factory=CompanionOptions)
    desktop: DesktopOptions = field(default_factory=DesktopOptions)
    weather: WeatherOptions = field(default_factory=WeatherOptions)
    media: MediaOptions = field(default_factory=MediaOptions)
    home_assistant: HomeAssistantOptions = field(default_factory=HomeAssistantOptions)
    satellite: SatelliteOptions = field(default_factory=SatelliteOptions)


def load_config(path: Path) -> HeronConfig:
    """Read `path` (missing file = defaults)."""
    if not path.is_file():
        return HeronConfig()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError("config.unreadable", f"cannot read {path}: {err}",
                          "fix the file's permissions or encoding (UTF-8)") from err
    deep = toml_too_deep(text)
    if deep is not None:  # tomllib recurses per level and dies of RecursionError
        raise ConfigError("config.too_deep",
                          f"{path}:{deep[0]}:{deep[1]}: a value is nested more than "
                          f"{MAX_DOCUMENT_DEPTH} levels deep",
                          "no Heron setting nests like that: fix or remove that value")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        # tomllib's message ends with "(at line N, column M)".
        raise ConfigError("config.malformed", f"{path}: {err}",
                          "fix that line, or move the file away to use the defaults") from err
    return from_dict(data, source=str(path))


def from_dict(data: dict[str, Any], source: str = "config") -> HeronConfig:
    return _build(HeronConfig, data, source, "")


def _build(cls: type, data: Any, source: str, where: str):
    if not isinstance(data, dict):
        raise ConfigError("config.invalid", f"{source}: [{where}] must be a table",
                          f"write it as a [{where}] section")
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        name = f"{where}.{key}" if where else key
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError("config.unknown_key", f"{source}: unknown setting {name!r}",
                              f"known settings here: {known}")
        kwargs[key] = _coerce(hints[key], value, source, name)
        _check_range(fields[key], kwargs[key], source, name)
    try:
        return cls(**kwargs)
    except ValueError as err:  # the options' own checks (__post_init__)
        raise ConfigError("config.invalid", f"{source}: {err}",
                          f"fix the [{where}] section" if where else "fix the file") from err


def _coerce(tp: Any, value: Any, source: str, name: str):
    """Check `value` against the annotation `tp`: dataclass (a table), X | None (TOML
    has no null: X), tuple[X, ...] (an array), dict[str, X] (a table of X), scalars."""
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, source, name)
    origin, args = get_origin(tp), get_args(tp)
    if origin in (Union, types.UnionType):
        return _coerce(next(a for a in args if a is not type(None)), value, source, name)
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError("config.invalid", f"{source}: {name} must be a list, got {value!r}",
                              f'write it as {name.rsplit(".", 1)[-1]} = ["…", "…"]')
        return tuple(_coerce(args[0], v, source, f"{name}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError("config.invalid", f"{source}: [{name}] must be a table",
                              f"write it as [{name}.NAME] sections")
        return {k: _coerce(args[1], v, source, f"{name}.{k}") for k, v in value.items()}
    ok = {
        bool: isinstance(value, bool),
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, (int, float)) and not isinstance(value, bool),
        str: isinstance(value, str),
    }.get(tp, True)
    if not ok:
        raise ConfigError("config.invalid",
                          f"{source}: {name} must be {tp.__name__}, got {_short(value)}",
                          f"set {name} to a {tp.__name__} value")
    if tp is float:
        try:
            number = float(value)
        except OverflowError:  # an int past float's range (TOML ints are unbounded)
            number = math.inf
        if not math.isfinite(number):
            raise ConfigError("config.invalid", f"{source}: {name} must be a finite number, "
                              f"got {_short(value)}", f"set {name} to an ordinary number")
        return number
    return value


def _check_range(f: dataclasses.Field, value: Any, source: str, name: str) -> None:
    """The field's declared range; by default durations (…_s, …_ms) are >= 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    default = (0, None) if f.name.endswith(("_s", "_ms")) else (None, None)
    low, high = f.metadata.get("range", default)
    if (low is None or value >= low) and (high is None or value <= high):
        return
    if low is not None and high is not None:
        allowed = f"from {low} to {high}"
    else:
        allowed = f"at least {low}" if low is not None else f"at most {high}"
    note = f" ({f.metadata['range_note']})" if "range_note" in f.metadata else ""
    raise ConfigError("config.invalid",
                      f"{source}: {name} must be {allowed}{note}, got {_short(value)}",
                      f"set {name} to a value {allowed}")


def _short(value: Any) -> str:
    """repr, cut short: a wrong value may be huge."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def to_dict(config: HeronConfig) -> dict[str, Any]:
    return dataclasses.asdict(config)
