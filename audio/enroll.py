"""Few-shot wake words: a detector built from 3–5 spoken samples, no training run.

Each sample becomes a template: the openWakeWord speech embeddings (one per 80 ms)
that cover the spoken phrase. While streaming, the last embeddings are aligned with
each template by a slope-limited DTW whose start is free and whose end is the current
frame; the mean cosine distance along the best path is the match distance. The
distance that counts as a match is calibrated from the samples themselves
(leave-one-out), and mapped so a score of 0.5 is exactly that distance.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from audio.endpointer import Endpointer, EndpointEvent, EndpointOptions
from audio.frames import FRAME_MS, AudioChunk
from models.errors import CodedError

if TYPE_CHECKING:
    from audio.wake import WakeFeatures

MIN_SAMPLES, MAX_SAMPLES = 3, 10
EMBEDDING_SPAN_MS = 760  # an embedding covers 76 mel rows of 10 ms, ending at its time
_START_AFTER_MS = 160  # first template embedding: the phrase has begun to be in view
_END_AFTER_MS = 160  # last template embedding: the whole phrase is in view
CALIBRATION_MARGIN = 1.3  # accept a new voice a bit further off than the samples were
FORMAT_VERSION = 1
NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")


class EnrollError(CodedError):
    exit_code = 2


def check_name(name: str) -> None:
    if not NAME_RE.match(name):
        raise EnrollError("enroll.bad_name", f"wake word name {name!r} is not usable",
                          "use 2–40 lowercase letters, digits, '_' or '-', starting with a "
                          "letter, e.g. hey_heron")


def spoken_form(name: str) -> str:
    """How a wake word's name is said: hey_heron -> "hey heron"."""
    return name.replace("_", " ").replace("-", " ")


def check_new_word(name: str, folder: Path, builtin: Sequence[str], force: bool,
                   samples: int | None = None) -> None:
    """Refuse, with a code and a next step, a name or sample count `heron wake enroll`
    and the tray's Settings cannot use."""
    check_name(name)
    if name in builtin:
        raise EnrollError("enroll.name_taken", f"{name} is a built-in wake word",
                          f"choose another name, e.g. my_{name}")
    if (folder / f"{name}.npz").exists() and not force:
        raise EnrollError("enroll.exists", f"a wake word named {name} is already enrolled",
                          f"pass --force to replace it, or `heron wake remove {name}` first")
    if samples is not None and not MIN_SAMPLES <= samples <= 5:
        raise EnrollError("enroll.too_few_samples" if samples < MIN_SAMPLES
                          else "enroll.too_many_samples",
                          f"{samples} samples is out of range",
                          f"record {MIN_SAMPLES}–5 samples")


def cosine_costs(template: np.ndarray, stream: np.ndarray) -> np.ndarray:
    """[m, n] cosine distances between template rows and stream rows."""
    a = template / np.maximum(np.linalg.norm(template, axis=1, keepdims=True), 1e-9)
    b = stream / np.maximum(np.linalg.norm(stream, axis=1, keepdims=True), 1e-9)
    return 1.0 - a @ b.T


def end_distances(template: np.ndarray, stream: np.ndarray) -> np.ndarray:
    """Mean cost of the best alignment of the whole template that ends at each stream
    position (start free). Steps: diagonal, skip one stream row (speech up to 2x
    faster) or consume two template rows on one stream row (up to 2x slower); each
    template row is counted once, so the mean is the sum / m. Returns [n] (inf where no
    alignment fits)."""
    c = cosine_costs(template, stream)
    m, n = c.shape
    inf = np.inf
    prev2 = np.full(n, inf)
    prev = c[0].copy()
    for i in range(1, m):
        cur = np.full(n, inf)
        best = np.full(n, inf)
        best[1:] = prev[:-1]  # (i-1, j-1)
        if n > 2:
            best[2:] = np.minimum(best[2:], prev[:-2])  # (i-1, j-2)
        if i >= 2:
            both = np.full(n, inf)
            both[1:] = prev2[:-1] + c[i - 1, :-1]  # (i-2, j-1) with row i-1 on stream j
            best = np.minimum(best, both)
        cur = c[i] + best
        prev2, prev = prev, cur
    return prev / m


@dataclass(frozen=True)
class EnrolledWakeWord:
    """A few-shot wake word: templates [m_k, 96] and the calibrated match distance."""

    name: str
    templates: tuple[np.ndarray, ...]
    distance_threshold: float
    meta: dict

    @property
    def window(self) -> int:
        """Embeddings of stream the scorer needs: the longest template, 2x slower."""
        return 2 * max(len(t) for t in self.templates) + 1

    def distance(self, stream: np.ndarray) -> float:
        """Best match distance of any template ending at the last stream row."""
        return min(float(end_distances(t, stream)[-1]) for t in self.templates)

    def score_stream(self, stream: np.ndarray) -> float:
        """0..1; 0.5 at the calibrated distance, 1 for a perfect match."""
        return distance_to_score(self.distance(stream), self.distance_threshold)

    def score(self, features: WakeFeatures) -> float:
        """The wake-model face (as OnnxWakeModel): score the latest embeddings."""
        return self.score_stream(features.embeddings(self.window))

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {f"t{i}": t.astype(np.float32) for i, t in enumerate(self.templates)}
        path = folder / f"{self.name}.npz"
        np.savez(path, **arrays)
        meta = {**self.meta, "name": self.name, "format": FORMAT_VERSION,
                "distance_threshold": self.distance_threshold, "templates": len(self.templates)}
        (folder / f"{self.name}.json").write_text(json.dumps(meta, indent=2) + "\n")
        return path

    @classmethod
    def load(cls, folder: Path, name: str) -> EnrolledWakeWord:
        from models.errors import ModelError

        npz, meta_path = folder / f"{name}.npz", folder / f"{name}.json"
        hint = f"enroll it again: heron wake enroll {name}"
        try:
            meta = json.loads(meta_path.read_text())
            with np.load(npz, allow_pickle=False) as data:
                templates = tuple(data[f"t{i}"] for i in range(int(meta["templates"])))
            threshold = float(meta["distance_threshold"])
        except (OSError, ValueError, KeyError) as err:
            raise ModelError("model.corrupt", f"enrolled wake word {name} is unreadable: {err}",
                             hint) from err
        if meta.get("format") != FORMAT_VERSION or any(t.ndim != 2 for t in templates):
            raise ModelError("model.corrupt", f"enrolled wake word {name} has an unknown format",
                             hint)
        return cls(name, templates, threshold, meta)


def distance_to_score(distance: float, threshold: float) -> float:
    return float(np.clip(1.0 - 0.5 * distance / max(threshold, 1e-6), 0.0, 1.0))


def template_from_clip(embeddings: np.ndarray, start_ms: int, end_ms: int) -> np.ndarray:
    """The embeddings of `WakeFeatures.embed_clip` (one per 80 ms step, embedding i
    ending at i*80 + 760 ms) that cover speech from start_ms to end_ms."""
    ends = np.arange(len(embeddings)) * FRAME_MS + EMBEDDING_SPAN_MS
    keep = (ends >= start_ms + _START_AFTER_MS) & (ends <= end_ms + _END_AFTER_MS)
    if keep.sum() < 2:  # a very short word: at least the view that holds all of it
        last = int(min(len(embeddings) - 1, max(0, np.searchsorted(ends, end_ms))))
        keep[max(0, last - 1):last + 1] = True
    return embeddings[keep]


def speech_span(probs: np.ndarray, threshold: float = 0.5) -> tuple[int, int] | None:
    """(start_ms, end_ms) from per-frame VAD probabilities, or None with no speech."""
    voiced = np.flatnonzero(np.asarray(probs) >= threshold)
    if len(voiced) < 2:
        return None
    return int(voiced[0]) * FRAME_MS, int(voiced[-1] + 1) * FRAME_MS


def build(name: str, clips: list[tuple[str, np.ndarray, tuple[int, int]]],
          features: WakeFeatures) -> EnrolledWakeWord:
    """Templates from (label, 16 kHz samples, speech span) clips, calibrated by
    leave-one-out: each sample scored by the others' templates."""
    if len(clips) < MIN_SAMPLES:
        raise EnrollError("enroll.too_few_samples",
                          f"{len(clips)} sample(s) with speech; at least {MIN_SAMPLES} needed",
                          f"record or give {MIN_SAMPLES}–5 samples of the wake phrase")
    streams, templates = [], []
    for _label, samples, (start, end) in clips:
        emb = features.embed_clip(_pad_tail(samples))
        streams.append(emb)
        templates.append(template_from_clip(emb, start, end))
    loo = []
    for k, stream in enumerate(streams):
        others = [t for j, t in enumerate(templates) if j != k]
        loo.append(min(float(end_distances(t, stream).min()) for t in others))
    threshold = CALIBRATION_MARGIN * max(loo)
    meta = {"created": time.strftime("%Y-%m-%d %H:%M:%S"),
            "samples": [label for label, _, _ in clips],
            "leave_one_out_distances": [round(d, 4) for d in loo],
            "template_lengths": [len(t) for t in templates]}
    return EnrolledWakeWord(name, tuple(templates), threshold, meta)


def _pad_tail(samples: np.ndarray) -> np.ndarray:
    """Half a second of silence after a sample, so the last template embedding exists."""
    return np.concatenate([np.asarray(samples, np.int16), np.zeros(8000, np.int16)])


def file_clip(label: str, samples: np.ndarray, vad) -> tuple[str, np.ndarray, tuple[int, int]]:
    """(label, samples, speech span) of a recorded sample; no speech is an error."""
    from audio.file_source import iter_frames

    vad.reset()
    span = speech_span(np.array([vad.process(c.samples) for c in iter_frames(samples)]),
                       vad.threshold)
    if span is None:
        raise EnrollError("enroll.no_speech", f"no speech found in {label}",
                          "record the wake phrase again, closer to the microphone and with "
                          "less background noise")
    return label, samples, span


async def record_clip(frames: AsyncIterator[AudioChunk], vad, label: str,
                      timeout_ms: int = 10000) -> tuple[str, np.ndarray, tuple[int, int]]:
    """One spoken sample from a live frame source: waits for speech (VAD), ends after
    400 ms of silence or 3 s of speech. Kept: from 1 s before the speech to its end."""
    seg = Endpointer(EndpointOptions(
        start_speech_ms=160, long_silence_ms=400, max_utterance_ms=3000,
        no_speech_timeout_ms=timeout_ms, pre_roll_ms=0))
    vad.reset()
    kept: list[np.ndarray] = []
    async for chunk in frames:
        kept.append(chunk.samples)
        prob = await asyncio.to_thread(vad.process, chunk.samples)
        event = seg.process(prob >= vad.threshold)
        if event is EndpointEvent.TIMEOUT:
            raise EnrollError("enroll.no_speech",
                              f"heard no speech for {label} within {timeout_ms // 1000} s",
                              "check the microphone (`heron devices`) and speak the phrase "
                              "when prompted; or use --from-files")
        if event in (EndpointEvent.END, EndpointEvent.MAX_LENGTH):
            break
    else:
        raise EnrollError("enroll.no_speech", f"the microphone stopped before {label}",
                          "check the microphone (`heron devices`) or use --from-files")
    start, end = seg.speech_start_ms or 0, seg.speech_end_ms or 0
    first = max(0, start - 1000) // FRAME_MS
    samples = np.concatenate(kept[first:])
    offset = first * FRAME_MS
    return label, samples, (start - offset, end - offset)
