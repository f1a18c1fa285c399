"""Speech synthesis with piper (the bundled joe voice)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from audio.remote_backend import parse_backend
from audio.speech_text import speakable
from models.catalog import get_spec, specs_for_role
from models.errors import ModelError
from models.onnx import SessionOptions, create_session
from models.store import ModelStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TtsOptions:
    """voice: catalog id or path to a piper .onnx voice (its .onnx.json beside it).
    length_scale > 1 speaks slower. noise_scale / noise_w_scale: piper's random
    variation (negative = the voice's own); 0 makes the same text always give the
    same audio, which test and benchmark corpora want."""

    voice: str = "piper-joe-medium"
    length_scale: float = 1.0
    noise_scale: float = -1.0
    noise_w_scale: float = -1.0
    backend: str = ""  # "wyoming://HOST:PORT": a Wyoming TTS server first (remote_backend)

    def __post_init__(self) -> None:
        parse_backend("tts", self.backend)


class PiperSynthesizer:
    """Text in, int16 mono audio at `sample_rate_hz` out, one array per sentence.

    The voice loads lazily, once, behind a lock (first `synthesize` or `warm_up`).
    Blocking: call from an executor, one synthesis at a time.
    """

    def __init__(self, options: TtsOptions, store: ModelStore) -> None:
        self.options = options
        self._store = store
        self._lock = threading.Lock()
        self._voice: Any = None  # piper.PiperVoice
        self._config: dict[str, Any] | None = None
        self.name = options.voice

    @property
    def sample_rate_hz(self) -> int:
        return int(self._config_dict()["audio"]["sample_rate"])

    @property
    def language(self) -> str:
        """The voice's language as an ISO 639-1 code ("en"), "" when unknown."""
        lang = self._config_dict().get("language") or {}
        code = lang.get("family") or lang.get("code") or ""
        return code.replace("-", "_").split("_")[0].lower()

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        """Yield int16 audio per sentence; nothing for empty text. Consume it in the
        executor (piper synthesises while you iterate)."""
        if not text.strip():
            return
        from piper import SynthesisConfig

        voice = self._load()
        text = speakable(text, self.language)
        o = self.options
        config = SynthesisConfig(
            length_scale=o.length_scale,
            noise_scale=o.noise_scale if o.noise_scale >= 0 else None,
            noise_w_scale=o.noise_w_scale if o.noise_w_scale >= 0 else None)
        for chunk in voice.synthesize(text, syn_config=config):
            audio = chunk.audio_int16_array
            if audio.size:
                yield audio.astype(np.int16, copy=False).reshape(-1)

    def synthesize_all(self, text: str) -> np.ndarray:
        """The whole text as one int16 array (empty for empty text)."""
        parts = list(self.synthesize(text))
        return np.concatenate(parts) if parts else np.zeros(0, np.int16)

    def warm_up(self) -> None:
        """Load the voice and run one short synthesis so the first reply is fast."""
        for _ in self.synthesize("Ready."):
            pass

    # -- loading ----------------------------------------------------------------
    def _paths(self) -> tuple[Path, Path, str]:
        voice = self.options.voice
        tts_ids = [s.id for s in specs_for_role("tts")]
        if voice in tts_ids:
            spec = get_spec(voice)
            model = self._store.path(voice)
            return model, model.with_name(model.name + ".json"), (
                f"reinstall it: {spec.reinstall_command()}")
        path = Path(voice).expanduser()
        if path.suffix != ".onnx" and len(path.parts) == 1:
            raise ModelError("model.unknown", f"unknown piper voice {voice!r}",
                             f"choose one of: {', '.join(tts_ids)}, or a path to a .onnx voice")
        config = path.with_name(path.name + ".json")
        for p in (path, config):
            if not p.is_file():
                raise ModelError("model.missing", f"piper voice file {p} not found",
                                 "a custom voice needs both VOICE.onnx and VOICE.onnx.json; "
                                 "fix [tts] voice in config.toml")
        return path, config, "download the voice again (both .onnx and .onnx.json)"

    def _config_dict(self) -> dict[str, Any]:
        if self._config is None:
            _, config_path, hint = self._paths()
            try:
                config = json.loads(config_path.read_text(encoding="utf-8"))
                int(config["audio"]["sample_rate"])
            except (OSError, ValueError, KeyError, TypeError) as err:
                raise ModelError("model.corrupt", f"piper voice config {config_path} is unreadable",
                                 hint) from err
            self._config = config
        return self._config

    def _load(self) -> Any:
        with self._lock:
            if self._voice is None:
                from piper import PiperVoice
                from piper.config import PiperConfig

                model_path, _, hint = self._paths()
                config = PiperConfig.from_dict(self._config_dict())
                session = create_session(model_path, SessionOptions(intra_op_threads=2),
                                         model_id=self.name, reinstall_hint=hint)
                self._voice = PiperVoice(session=session, config=config,
                                         download_dir=self._store.models_dir)
                log.info("piper voice %s loaded (%d Hz)", self.name, self.sample_rate_hz)
            return self._voice
