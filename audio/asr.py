"""Speech recognition with faster-whisper (CTranslate2)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from audio import whisper_window
from audio.frames import SAMPLE_RATE_HZ
from audio.remote_backend import parse_backend
from models.catalog import get_spec, specs_for_role
from models.errors import ModelError
from models.store import ModelStore

log = logging.getLogger(__name__)

# The languages whisper knows (faster_whisper.tokenizer._LANGUAGE_CODES, kept here so
# reading the config does not import faster-whisper; a unit test keeps them equal).
WHISPER_LANGUAGES = frozenset("""
af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha
haw he hi hr ht hu hy id is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr
ms mt my ne nl nn no oc pa pl ps pt ro ru sa sd si sk sl sn so sq sr su sv sw ta te tg th
tk tl tr tt uk ur uz vi yi yo zh yue""".split())
MULTILINGUAL_MODEL = "whisper-base"
AUTO = "auto"
BIAS_MODES = ("none", "prompt", "hotwords", "n_best")


@dataclass(frozen=True)
class AsrOptions:
    """model: catalog id (whisper-tiny.en, English; whisper-base, multilingual) or a
    CTranslate2 model directory. language: "" = English for .en models, auto-detect for
    multilingual ones; "auto" = detect it per utterance; a code ("de", "ar") = that
    language. Any language but English needs a multilingual model: with "auto" or a code
    other than "en" an English-only model (*.en) gives way to whisper-base (`model_id`).
    detect_among: with auto-detection, the languages to choose between (the ones the
    user speaks, e.g. ["en", "ar"]); empty = any whisper knows. Short commands are often
    heard as a neighbouring language, so naming yours makes detection much surer.
    device: auto | cpu | cuda. With device "auto" on a GPU the
    compute type is float16; otherwise `compute_type` is used as given.
    window_pad_s: whisper sees the utterance plus this much padding instead of its fixed
    30 s window (4x faster on short commands, same WER; audio/whisper_window.py) when
    the language is known (an English model, or `language` set); 0 = always 30 s.
    max_file_s: the longest audio file `heron transcribe` / `heron listen` decode;
    longer ones are refused (audio.too_long) before they can fill the memory."""

    model: str = "whisper-tiny.en"
    language: str = ""
    detect_among: tuple[str, ...] = ()
    # Upper bounds keep an absurd value from reaching CTranslate2, whose overflow would
    # be reported as a corrupt model.
    beam_size: int = field(default=1, metadata={"range": (1, 32)})
    cpu_threads: int = field(default=2, metadata={
        "range": (0, 256), "range_note": "0 lets CTranslate2 choose (OMP_NUM_THREADS)"})
    device: str = "auto"
    compute_type: str = "int8"
    window_pad_s: float = 8.0
    max_file_s: float = 600.0
    n_best: int = field(default=10, metadata={"range": (0, 16)})
    bias: str = "n_best"
    second_pass: str = "whisper-base"
    backend: str = ""  # "wyoming://HOST:PORT": a Wyoming ASR server first (remote_backend)

    def __post_init__(self) -> None:
        parse_backend("asr", self.backend)
        if self.bias not in BIAS_MODES:
            raise ValueError(f"asr.bias {self.bias!r} is not one of {', '.join(BIAS_MODES)}")
        if not 1 <= self.max_file_s <= 86_400:  # also refuses nan
            raise ValueError("asr.max_file_s must be between 1 and 86400 seconds")
        if self.language not in ("", AUTO) and self.language not in WHISPER_LANGUAGES:
            raise ValueError(f"asr.language {self.language!r} is not a language whisper "
                             f"knows: use \"auto\" (detect it), \"\" (English), or a "
                             f"code such as en, de, fr, es, ar")
        unknown = [c for c in self.detect_among if c not in WHISPER_LANGUAGES]
        if unknown:
            raise ValueError(f"asr.detect_among: {', '.join(map(repr, unknown))} "
                             f"{'is' if len(unknown) == 1 else 'are'} not a language whisper "
                             f"knows: use codes such as en, de, fr, es, ar")

    @property
    def model_id(self) -> str:
        """The model to load: `model`, or whisper-base when `language` asks for more
        than an English-only model can hear."""
        if self.language not in ("", "en") and self.model.endswith(".en"):
            return MULTILINGUAL_MODEL
        return self.model

    @property
    def forced_language(self) -> str | None:
        """The language to decode in on a multilingual model; None = detect it."""
        return None if self.language in ("", AUTO) else self.language


@dataclass(frozen=True)
class AsrWord:
    """One recognised word; times in ms from the start of the decoded audio."""

    text: str  # as whisper wrote it, usually with a leading space
    start_ms: int
    end_ms: int
    probability: float


@dataclass(frozen=True)
class AsrResult:
    text: str
    language: str
    language_probability: float
    audio_ms: int
    decode_ms: int
    words: tuple[AsrWord, ...] = ()  # only with transcribe(..., word_timestamps=True)
    alternatives: tuple[str, ...] = ()  # other hypotheses, best first
    heard: str = ""  # the decoder's top text when another hypothesis was chosen
    # the decoder's mean token log-probability of `text`, then of each alternative
    scores: tuple[float, ...] = ()


def resolve_device(options: AsrOptions) -> tuple[str, str]:
    """(device, compute_type) to load with."""
    if options.device != "auto":
        return options.device, options.compute_type
    import ctranslate2

    if ctranslate2.get_cuda_device_count() > 0:
        return "cuda", "float16"
    return "cpu", "int8" if options.compute_type in ("auto", "float16") else options.compute_type


class WhisperTranscriber:
    """16 kHz int16 samples in, text out. The model loads lazily, once, behind a lock.
    Blocking: call from an executor thread."""

    def __init__(self, options: AsrOptions, store: ModelStore) -> None:
        self.options = options
        self._store = store
        self._lock = threading.Lock()
        self._model: Any = None  # faster_whisper.WhisperModel
        self.name = options.model_id
        self.device = ""  # set when loaded

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def transcribe(self, samples: np.ndarray, initial_prompt: str | None = None, *,
                   word_timestamps: bool = False, hotwords: str | None = None,
                   language: str | None = None, full_window: bool = False,
                   n_best: int = 0, accept: Callable[[str], bool] | None = None,
                   n_best_prompt: str | Callable[[str], str] | None = None) -> AsrResult:
        """Decode a whole utterance (the segment generator is consumed here).
        word_timestamps fills `words`; hotwords is faster-whisper's hint phrase;
        language forces a language on a multilingual model; full_window: whisper's
        30 s window even for short audio. n_best > 1: when `accept` (default: none)
        refuses the first text, up to n_best hypotheses of the same encoder output fill
        `alternatives` (short-window decodes only: a known language, a short utterance);
        n_best_prompt: the initial prompt for that n-best decode only (the first text
        stays unbiased; the encoder output is shared); a callable is asked only when
        the n-best decode runs, with the language decoded in (an English prompt makes
        whisper translate German speech into English)."""
        audio_ms = len(samples) * 1000 // SAMPLE_RATE_HZ
        with self._lock:
            model = self._load_locked()
            forced = self._language(model)
            if language and model.model.is_multilingual:
                forced = language
            if len(samples) == 0:
                return AsrResult("", forced or "", 0.0, 0, 0)
            audio = np.asarray(samples, dtype=np.int16).astype(np.float32) / 32768.0
            t0 = time.perf_counter()
            sure = 1.0
            if forced is None:  # per utterance; then it decodes as a known language
                forced, sure = self._detect(model, audio)
            fast, window = (None, None) if full_window else self._decode_window(
                model, audio, forced, initial_prompt, hotwords, word_timestamps)
            if fast is not None and window is not None:
                words = tuple(AsrWord(w, round(a * 1000), round(b * 1000), p)
                              for w, a, b, p in fast.words)
                others: tuple[tuple[str, float], ...] = ()
                if n_best > 1 and fast.text and (accept is None or not accept(fast.text)):
                    top = whisper_window.text_key(fast.text)
                    prompt = (n_best_prompt(forced) if callable(n_best_prompt)
                              else n_best_prompt)
                    if prompt:
                        window = whisper_window.reprompt(model, window, prompt)
                    others = tuple(h for h in whisper_window.hypotheses(model, window, n_best)
                                   if whisper_window.text_key(h[0]) != top)
                return AsrResult(fast.text, fast.language, sure, audio_ms,
                                 round((time.perf_counter() - t0) * 1000), words,
                                 alternatives=tuple(h[0] for h in others),
                                 scores=(fast.score, *(h[1] for h in others)))
            segments, info = model.transcribe(
                audio, language=forced, beam_size=self.options.beam_size,
                initial_prompt=initial_prompt or None, without_timestamps=True,
                condition_on_previous_text=False, vad_filter=False,
                word_timestamps=word_timestamps, hotwords=hotwords or None,
            )
            segments = list(segments)
            text = whisper_window.words_only("".join(s.text for s in segments).strip())
            decode_ms = round((time.perf_counter() - t0) * 1000)
        words = tuple(AsrWord(w.word, round(w.start * 1000), round(w.end * 1000),
                              float(w.probability))
                      for segment in segments for w in (segment.words or ())) if text else ()
        return AsrResult(text, info.language, sure, audio_ms, decode_ms, words)

    def _detect(self, model: Any, audio: np.ndarray) -> tuple[str, float]:
        """The utterance's language and how sure whisper is of it, chosen among
        `detect_among` when set. Whisper's own 30 s window: on a shorter one its
        detection goes wrong (audio/whisper_window.py)."""
        language, probability, ranked = model.detect_language(audio)
        among = self.options.detect_among
        if among:
            scores = dict(ranked)
            language = max(among, key=lambda code: scores.get(code, 0.0))
            probability = scores.get(language, 0.0)
        return language, float(probability)

    def _decode_window(self, model: Any, audio: np.ndarray, language: str | None,
                       initial_prompt: str | None, hotwords: str | None,
                       word_timestamps: bool
                       ) -> tuple[whisper_window.WindowResult | None, whisper_window.Window | None]:
        """The short-window decode and its encoded window, or (None, None) when the
        standard 30 s one is needed: the language is to be detected (that needs 30 s),
        the audio is long, or the short decode ran away."""
        frames = whisper_window.window_frames(len(audio), self.options.window_pad_s)
        if frames is None or not language:
            return None, None
        window = whisper_window.prepare(model, audio, frames, language=language,
                                        initial_prompt=initial_prompt, hotwords=hotwords)
        fast = whisper_window.decode_window(model, window, beam_size=self.options.beam_size,
                                            word_timestamps=word_timestamps)
        if fast.suspicious:
            log.debug("short-window decode ran away (%r): full window", fast.text[:80])
            return None, None
        return fast, window

    def warm_up(self) -> None:
        """Load the model and decode 1 s of silence."""
        self.transcribe(np.zeros(SAMPLE_RATE_HZ, np.int16))

    def _language(self, model: Any) -> str | None:
        if not model.model.is_multilingual:
            return "en"
        return self.options.forced_language

    # -- loading ----------------------------------------------------------------
    def _model_path(self) -> tuple[Path, str]:
        model = self.options.model_id
        if model in {s.id for s in specs_for_role("asr")}:
            return self._store.model_dir(model), (
                f"reinstall it: {get_spec(model).reinstall_command()}")
        path = Path(model).expanduser()
        if len(path.parts) > 1 or path.is_dir():
            if not (path / "model.bin").is_file():
                raise ModelError("model.missing", f"no CTranslate2 model.bin in {path}",
                                 "fix [asr] model in config.toml: a catalog id or a "
                                 "faster-whisper model directory")
            return path, "convert or copy the model directory again"
        get_spec(model)  # raises model.unknown with the list of ids
        raise ModelError("model.unknown", f"{model!r} is not a speech recognition model",
                         "choose whisper-tiny.en or whisper-base")

    def _load_locked(self) -> Any:
        if self._model is not None:
            return self._model
        from faster_whisper import WhisperModel

        path, hint = self._model_path()
        device, compute_type = resolve_device(self.options)
        t0 = time.perf_counter()
        try:
            self._model = WhisperModel(str(path), device=device, compute_type=compute_type,
                                       cpu_threads=self.options.cpu_threads)
        except Exception as err:  # CTranslate2 raises RuntimeError/ValueError untyped
            if device == "cuda" and self.options.device == "auto":
                log.warning("whisper on GPU failed (%s); using CPU", err)
                device, compute_type = "cpu", "int8"
                try:
                    self._model = WhisperModel(str(path), device="cpu", compute_type="int8",
                                               cpu_threads=self.options.cpu_threads)
                except Exception as err2:
                    raise self._corrupt(path, err2, hint) from err2
            else:
                raise self._corrupt(path, err, hint) from err
        self.device = device
        log.info("whisper %s loaded on %s/%s in %.2f s", self.name, device, compute_type,
                 time.perf_counter() - t0)
        return self._model

    def _corrupt(self, path: Path, err: Exception, hint: str) -> ModelError:
        first = (str(err).splitlines() or [type(err).__name__])[0][:200]
        return ModelError("model.corrupt", f"whisper model {self.name} at {path} could not be "
                          f"loaded: {first}", hint)
