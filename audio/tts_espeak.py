"""Speech synthesis with espeak-ng: replies in the languages no bundled neural voice
speaks (robotic, but spoken). Same interface as PiperSynthesizer."""

from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess
import threading
import wave
from collections.abc import Iterator

import numpy as np

from audio.tts import TtsOptions
from models.errors import CodedError

log = logging.getLogger(__name__)

ESPEAK_WPM = 160  # espeak-ng's words per minute at length_scale 1 (its default is 175)
TIMEOUT_S = 30.0
INSTALL_HINT = "install espeak-ng (Debian/Ubuntu: sudo apt install espeak-ng)"
# espeak-ng voice names where they are not the language code itself
_VOICES = {"en": "en-us", "fr": "fr-fr", "pt": "pt-br", "zh": "cmn", "no": "nb",
           "yue": "yue", "fa": "fa", "jw": "jv"}
# A sentence ends at . ! ? (also Arabic ؟ and the CJK stops) followed by space.
_SENTENCE_END = re.compile(r"(?<=[.!?؟。！？])\s+")


class EspeakError(CodedError):
    """espeak-ng is missing, has no voice for the language, or failed."""

    exit_code = 2


def espeak_path() -> str | None:
    """The espeak-ng program, or None when it is not installed."""
    return shutil.which("espeak-ng")


def voice_name(language: str) -> str:
    """espeak-ng's voice for an ISO 639-1 code ("ar" → "ar", "fr" → "fr-fr")."""
    base = language.replace("_", "-").split("-")[0].lower()
    return _VOICES.get(base, base)


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


class EspeakSynthesizer:
    """Text in, int16 mono audio out, one array per sentence, at `sample_rate_hz`
    (espeak-ng's own 22,050 Hz unless `rate_hz` asks for another: then resampled, so a
    sink opened for the main voice can play it). Blocking: call from an executor."""

    def __init__(self, language: str, options: TtsOptions | None = None,
                 rate_hz: int | None = None) -> None:
        self.language = language.replace("_", "-").split("-")[0].lower()
        self.voice = voice_name(language)
        self.name = f"espeak-ng:{self.voice}"
        self.options = options or TtsOptions()
        self._rate_hz = rate_hz
        self._lock = threading.Lock()
        self._checked = False

    @property
    def sample_rate_hz(self) -> int:
        return self._rate_hz or 22050

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        """Yield int16 audio per sentence; nothing for empty text."""
        for sentence in split_sentences(text):
            audio = self._speak(sentence)
            if audio.size:
                yield audio

    def synthesize_all(self, text: str) -> np.ndarray:
        parts = list(self.synthesize(text))
        return np.concatenate(parts) if parts else np.zeros(0, np.int16)

    def warm_up(self) -> None:
        """Check espeak-ng and the voice are there (raises EspeakError when not)."""
        self._program()

    # -- internals ----------------------------------------------------------------------
    def _program(self) -> str:
        program = espeak_path()
        if program is None:
            raise EspeakError("tts.espeak_missing",
                              f"espeak-ng is not installed, so replies in "
                              f"{self.language!r} cannot be spoken", INSTALL_HINT)
        with self._lock:
            if not self._checked:
                listed = self._run([program, f"--voices={self.voice}"]).decode(
                    "utf-8", "replace")
                if len(listed.strip().splitlines()) < 2:  # just the header line
                    raise EspeakError("tts.no_voice",
                                      f"espeak-ng has no voice for {self.language!r}",
                                      "set [asr] language to one espeak-ng speaks "
                                      "(`espeak-ng --voices` lists them)")
                self._checked = True
        return program

    def _speak(self, sentence: str) -> np.ndarray:
        program = self._program()
        wpm = max(80, min(450, round(ESPEAK_WPM / self.options.length_scale)))
        # "--" ends the options: a reply starting with "-" is text, not a flag.
        wav = self._run([program, "-v", self.voice, "-s", str(wpm), "--stdout", "--",
                         sentence])
        try:
            with wave.open(io.BytesIO(wav)) as w:
                rate, width, channels = w.getframerate(), w.getsampwidth(), w.getnchannels()
                frames = w.readframes(w.getnframes())
        except (wave.Error, EOFError) as err:
            raise EspeakError("tts.espeak_failed", "espeak-ng wrote no readable audio",
                              INSTALL_HINT + " (or reinstall it)") from err
        if width != 2:
            raise EspeakError("tts.espeak_failed", f"espeak-ng wrote {8 * width}-bit audio",
                              "reinstall espeak-ng")
        audio = np.frombuffer(frames, np.int16).reshape(-1, channels)[:, 0]
        return _resample(audio, rate, self.sample_rate_hz)

    def _run(self, argv: list[str]) -> bytes:
        try:
            proc = subprocess.run(argv, capture_output=True, timeout=TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise EspeakError("tts.espeak_failed", f"espeak-ng did not run: {err}",
                              INSTALL_HINT) from err
        if proc.returncode != 0:
            first = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise EspeakError("tts.espeak_failed",
                              f"espeak-ng failed ({first[0][:160] if first else proc.returncode})",
                              INSTALL_HINT + " (or reinstall it)")
        return proc.stdout


def _resample(audio: np.ndarray, rate_hz: int, to_hz: int) -> np.ndarray:
    """Linear resampling (enough for a robotic voice); int16 out."""
    if rate_hz == to_hz or audio.size == 0:
        return audio.astype(np.int16, copy=False)
    n = max(1, round(audio.size * to_hz / rate_hz))
    x = np.linspace(0, audio.size - 1, n)
    return np.interp(x, np.arange(audio.size), audio.astype(np.float32)).astype(np.int16)
