"""Hearing a command (issue 15): decode an utterance biased toward what Heron can do
now, and when whisper's top text is no command Heron knows, choose among what it
nearly heard (its n-best hypotheses), asking the agent's own understanding stages
(intent templates, then the router) about each one. The metric is the right tool with
the right arguments, so a hypothesis wins by forming a sure command with its slots
filled, weighed against how likely the decoder found it."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from assistant.agent.known_values import UNUSABLE_SLOTS
from assistant.agent.understanding import Understanding, Understood
from assistant.voice.stack import VoiceStack
from audio.asr import AsrResult, WhisperTranscriber

log = logging.getLogger(__name__)

# The top text is kept without looking further when the understanding stages are this
# sure of it (every slot filled); chosen on the dev voices (bench/hearing.py).
ACCEPT = 0.9
# A hypothesis must be understood at least this surely to replace the top text.
MIN_FIT = 0.65
# How much the decoder's mean token log-probability counts against the command's fit.
DECODER_WEIGHT = 0.25
SECOND_N_BEST = 5  # hypotheses from the second model (bigger: each costs more)
MISSING_SLOT = 0.3  # a route that still has to ask for a slot is a weaker fit
NO_TOOL = 0.5  # a direct reply (never mind, device control) is rarely what was said
# A slot value Heron does not know (assistant/agent/known_values.py): below ACCEPT, so
# the n-best is consulted, but above MIN_FIT (a new list or an app not installed may
# still be what was said).
UNKNOWN_VALUE = 0.15
# A value the tool cannot run with (a unit the converter does not know): below MIN_FIT,
# so the second pass listens again.
UNUSABLE_VALUE = 0.4


@dataclass(frozen=True)
class Candidate:
    text: str
    score: float  # the decoder's mean token log-probability
    found: Understood | None
    unknown: tuple[str, ...] = ()  # slots whose value Heron does not know

    @property
    def fit(self) -> float:
        """How surely this text is a command Heron can carry out as it was heard."""
        return command_fit(self.found, self.unknown)

    @property
    def value(self) -> float:
        return self.fit + DECODER_WEIGHT * self.score


def command_fit(found: Understood | None, unknown: tuple[str, ...] = ()) -> float:
    """0 for no command; else the stage's confidence, less for a slot still missing, an
    ambiguous route, a slot value Heron does not know, or an answer that calls no tool."""
    if found is None:
        return 0.0
    fit = found.confidence - sum(UNUSABLE_VALUE if slot in UNUSABLE_SLOTS else UNKNOWN_VALUE
                                 for slot in unknown)
    if found.route is not None and (found.route.missing or found.route.ambiguous):
        fit -= MISSING_SLOT
    if found.tool is None:
        fit *= NO_TOOL
    return max(fit, 0.0)


def choose(candidates: Sequence[Candidate]) -> int:
    """The index of the hypothesis to act on: the best-valued one that forms a command
    sure enough, else 0 (the decoder's top)."""
    best, best_value = 0, None
    for k, cand in enumerate(candidates):
        if cand.fit < MIN_FIT:
            continue
        if best_value is None or cand.value > best_value:
            best, best_value = k, cand.value
    return best


class CommandHearing:
    """Samples in, the hypothesis that forms a known command out (else whisper's top)."""

    def __init__(self, stack: VoiceStack, understanding: Understanding) -> None:
        self.stack = stack
        self.understanding = understanding

    def hear(self, samples: np.ndarray, language: str | None = None, *,
             second_pass: bool = True) -> AsrResult:
        """Blocking: run it on the work executor. second_pass=False skips the bigger
        model (e.g. for a decode at a pause that may not be the end of the sentence)."""
        options = self.stack.config.asr
        lang = language or None
        bias = self._bias(options.bias, lang)
        first = self._decode(self.stack.asr, samples, lang, options.n_best, bias)
        if first[1] >= MIN_FIT or len(samples) == 0 or not (second_pass
                                                               and options.second_pass):
            return first[0]  # a command, no audio, or no second model
        second = self.stack.second_asr
        if second is None:
            return first[0]
        # Nothing the first model heard is a command (or it heard no words in what the
        # VAD passed as speech): the bigger one listens again, in the language the first
        # one heard (its own detection needs whisper's 30 s).
        again = self._decode(second, samples, first[0].language or lang,
                             min(options.n_best, SECOND_N_BEST), bias)
        if again[1] <= first[1]:
            return first[0]
        log.debug("second pass heard %r for %r", again[0].text, first[0].text)
        return replace(again[0], heard=first[0].heard or first[0].text)

    def _decode(self, asr: WhisperTranscriber, samples: np.ndarray, lang: str | None,
                n_best: int, bias: dict[str, str]) -> tuple[AsrResult, float]:
        """The chosen hypothesis and how well it fits a command."""
        asked: dict[str, Candidate] = {}  # the top text's, built once for accept

        def accept(text: str) -> bool:
            asked[text] = self._candidate(text, 0.0, lang)
            return asked[text].fit >= ACCEPT

        result = asr.transcribe(samples, language=lang, n_best=n_best, accept=accept, **bias)
        texts = (result.text, *result.alternatives)
        scores = result.scores if len(result.scores) == len(texts) else (0.0,) * len(texts)
        found_in = lang or result.language or None
        default = self.understanding.language  # what the stages use for None
        same = (found_in or default) == (lang or default)
        candidates = [replace(asked[t], score=s) if same and t in asked
                      else self._candidate(t, s, found_in)
                      for t, s in zip(texts, scores, strict=True)]
        k = choose(candidates)
        if k == 0:
            return result, candidates[0].fit
        log.debug("heard %r, chose %r", result.text, texts[k])
        others = tuple(t for j, t in enumerate(texts) if j != k)
        return replace(result, text=texts[k], heard=result.text, alternatives=others,
                       scores=(scores[k], *(s for j, s in enumerate(scores) if j != k))
                       ), candidates[k].fit

    def _bias(self, mode: str, lang: str | None) -> dict[str, Any]:
        if mode == "none":
            return {}
        if mode == "n_best":  # used only when the first text is no command: built then,
            # in the language whisper decodes in
            return {"n_best_prompt": functools.cache(self._hint)}
        # A language detected per utterance is not known yet: names, no English phrases.
        hint = self._hint(lang, examples=lang is not None
                          or self.stack.config.asr.forced_language is not None)
        if not hint:
            return {}
        return {"initial_prompt": hint} if mode == "prompt" else {"hotwords": hint}

    def _hint(self, lang: str | None, examples: bool = True) -> str:
        try:
            return self.understanding.recognition_hint(lang, examples=examples)
        except Exception:  # a hint is a nicety: never lose the utterance over it
            log.exception("hearing: no recognition hint")
            return ""

    def _candidate(self, text: str, score: float, language: str | None) -> Candidate:
        found = self._understand(text, language)
        unknown = self.understanding.unknown_values(found) if found is not None else ()
        return Candidate(text, score, found, unknown)

    def _understand(self, text: str, language: str | None) -> Understood | None:
        return self.understanding.understand(text, language) if text.strip() else None
