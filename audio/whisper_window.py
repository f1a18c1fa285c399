"""Whisper on a window fitted to the utterance instead of a fixed 30 s.

faster-whisper pads every input to 3000 mel frames, so a 2 s command costs the encoder
as much as 30 s of speech (300–600 ms of tiny.en on 2 cores). CTranslate2 (≥ 4.7) encodes
shorter inputs; whisper then needs some padding after the speech to behave as trained:
with the utterance plus 8 s of padding, command WER on our corpus equals the 30 s
window's (docs/bench/README.md, asr) at about a quarter of the cost. Anything that
looks like a run-away decode (whisper repeating itself) is decoded again the standard
way by the caller. Only with a known language: on a short window the multilingual
model's language detection goes wrong (English commands came back as Japanese).

Uses faster-whisper's pinned (1.2.1) model object: its feature extractor, tokenizer,
prompt builder and word alignment, and CTranslate2's generate on our window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

FRAMES_PER_S = 100  # whisper's mel frames (10 ms hop)
MAX_FRAMES = 3000  # whisper's own window: past this, decode the standard way
NO_SPEECH_PROB, LOGPROB_FLOOR = 0.6, -1.0  # faster-whisper's silence rule
COMPRESSION_LIMIT = 2.4  # above: repetitive text, whisper ran away
MIN_REPEAT_WORDS = 4
_WORDS = re.compile(r"[\w']+")
PREPEND_PUNCT = "\"'“¿([{-"
APPEND_PUNCT = "\"'.。,，!！?？:：”)]}、"


@dataclass(frozen=True)
class WindowResult:
    text: str
    language: str
    words: tuple[tuple[str, float, float, float], ...]  # (word, start_s, end_s, prob)
    suspicious: bool = False  # repetitive output: decode again with the full window
    score: float = 0.0  # the decoder's mean token log-probability


def window_frames(n_samples: int, pad_s: float) -> int | None:
    """Mel frames for this audio plus padding, or None when it needs whisper's 30 s."""
    content = n_samples // 160
    total = content + round(pad_s * FRAMES_PER_S)
    if pad_s <= 0 or total > MAX_FRAMES:
        return None
    return total + total % 2  # the encoder's stride-2 convolution wants an even count


def repeats_itself(text: str, min_words: int = 3) -> bool:
    """A run of `min_words`+ words said twice in a row: whisper looping, not a person
    ("start a timer start a timer start a")."""
    w = text.lower().replace(",", " ").replace(".", " ").split()
    for n in range(min_words, len(w) // 2 + 1):
        if any(w[i:i + n] == w[i + n:i + 2 * n] for i in range(len(w) - 2 * n + 1)):
            return True
    return False


def said_once(text: str) -> str:
    """`text` up to where whisper starts saying it again: "open the editor, open the
    editor, open the" → "open the editor". A prompt of command phrases makes whisper
    tiny go on listing on a short window; the first round is what was said. Text that
    does not repeat from its start comes back unchanged."""
    spans = [(m.start(), m.end()) for m in _WORDS.finditer(text)]
    words = [text[a:b].lower() for a, b in spans]
    if len(words) < MIN_REPEAT_WORDS:  # "bye bye" is said so
        return text
    for n in range(1, len(words) // 2 + 1):
        if words[n:2 * n] == words[:n] and all(
                words[k] == words[k % n] for k in range(2 * n, len(words))):
            return text[:spans[n - 1][1]].strip()
    return text


def words_only(text: str) -> str:
    """`text`, or "" when it holds no word: over silence whisper may write a lone "."."""
    return text if any(ch.isalnum() for ch in text) else ""


@dataclass(frozen=True)
class Window:
    """An utterance encoded once on a fitted window, ready to be decoded (greedy, then
    n-best on the same encoder output when the first text is no command)."""

    encoded: Any  # ctranslate2.StorageView, the encoder's output
    content: int  # mel frames of real audio in the window
    tokenizer: Any
    prompt: list[int]
    budget: int  # max_length for generate
    suppress: list[int]
    language: str


def prepare(model: Any, audio: np.ndarray, frames: int, *, language: str,
            initial_prompt: str | None = None, hotwords: str | None = None) -> Window:
    """Encode float32 16 kHz `audio` on a window of `frames` mel frames. Blocking."""
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import get_suppressed_tokens

    features = model.feature_extractor(audio)[:, :-1]
    content = min(features.shape[1], frames)
    window = np.zeros((features.shape[0], frames), np.float32)  # zeros, as faster-whisper
    window[:, :content] = features[:, :content]                 # pads its 30 s window
    encoded = model.encode(window)
    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual,
                          task="transcribe", language=language)
    return reprompt(model, Window(encoded, content, tokenizer, [], 0,
                                  get_suppressed_tokens(tokenizer, [-1]), language),
                    initial_prompt, hotwords)


def reprompt(model: Any, window: Window, initial_prompt: str | None = None,
             hotwords: str | None = None) -> Window:
    """The same encoded audio with another decoder prompt (the encoder is not run
    again: the prompt only steers the decoder)."""
    tokenizer = window.tokenizer
    previous = tokenizer.encode(" " + initial_prompt.strip()) if initial_prompt else []
    prompt = model.get_prompt(tokenizer, previous, without_timestamps=True,
                              hotwords=hotwords)
    # ~3 words a second, a couple of tokens each: a bound that still allows fast talkers
    # but stops a hallucinated loop early
    budget = min(model.max_length,
                 len(prompt) + 10 + int(window.content / FRAMES_PER_S * 12))
    return replace(window, prompt=prompt, budget=budget)


def decode_window(model: Any, window: Window, *, beam_size: int,
                  word_timestamps: bool = False) -> WindowResult:
    """The best text for an encoded window (with word timings when asked)."""
    from faster_whisper.transcribe import get_compression_ratio, merge_punctuations

    tokenizer, prompt, budget = window.tokenizer, window.prompt, window.budget
    result = model.model.generate(
        window.encoded, [prompt], beam_size=beam_size, max_length=budget,
        return_scores=True, return_no_speech_prob=True, suppress_blank=True,
        suppress_tokens=window.suppress)[0]
    tokens = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
    text = words_only(tokenizer.decode(tokens).strip())
    avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
    if result.no_speech_prob > NO_SPEECH_PROB and avg_logprob < LOGPROB_FLOOR:
        return WindowResult("", window.language, ())
    once = said_once(text)
    trimmed = once != text
    if trimmed:  # the words again and again: keep them once (and time them so)
        text, tokens = once, tokenizer.encode(" " + once)
    suspicious = bool(text) and (get_compression_ratio(text) > COMPRESSION_LIMIT
                                 or (not trimmed and len(result.sequences_ids[0])
                                     + len(prompt) >= budget)
                                 or repeats_itself(text))
    words: tuple[tuple[str, float, float, float], ...] = ()
    if word_timestamps and text and not suspicious:
        aligned = model.find_alignment(tokenizer, [tokens], window.encoded, window.content)[0]
        merge_punctuations(aligned, PREPEND_PUNCT, APPEND_PUNCT)
        words = tuple((w["word"], float(w["start"]), float(w["end"]), float(w["probability"]))
                      for w in aligned if w["word"])
    return WindowResult(text, window.language, words, suspicious, float(result.scores[0]))


def text_key(text: str) -> str:
    """A hypothesis's words, for telling hypotheses apart (case and punctuation aside)."""
    return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())


def hypotheses(model: Any, window: Window, n: int) -> tuple[tuple[str, float], ...]:
    """Up to `n` distinct texts whisper finds likely for the window, best first, each
    with its score (mean token log-probability). Texts that look like a run-away decode
    are left out. Beam search of width `n` on the encoder output already computed."""
    from faster_whisper.transcribe import get_compression_ratio

    tokenizer = window.tokenizer
    result = model.model.generate(
        window.encoded, [window.prompt], beam_size=n, num_hypotheses=n,
        max_length=window.budget, return_scores=True, suppress_blank=True,
        suppress_tokens=window.suppress)[0]
    out: dict[str, tuple[str, float]] = {}
    for ids, score in zip(result.sequences_ids, result.scores, strict=True):
        said = words_only(tokenizer.decode([t for t in ids if t < tokenizer.eot]).strip())
        text = said_once(said)
        key = text_key(text)
        if not key or key in out or repeats_itself(text) \
                or get_compression_ratio(text) > COMPRESSION_LIMIT \
                or (text == said and len(ids) + len(window.prompt) >= window.budget):
            continue
        out[key] = (text, float(score))
    return tuple(sorted(out.values(), key=lambda h: -h[1]))
