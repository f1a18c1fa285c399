"""[wake] backend = "wyoming://HOST:PORT": the wake word heard by a Wyoming wake word
server (wyoming-openwakeword on another machine, say), this machine's detector as the
fallback.

`step` stays a frame thread's call of microseconds while the server listens: the frame
is handed to the link (assistant/wyoming/wake_link.py) and any Detection that has come
back since is turned into the decision. When no stream is open — the server is down,
stalled, or the breaker waits out its cooldown — the local detector scores the frame
instead; it is reset whenever it takes over, since it missed the audio in between.

A Detection comes a few frames after the audio it is about: the decision says how late
(`late_ms`), so the pipeline hands those frames to the listener (they are the start of
the command). The server decides threshold and patience; Heron keeps each word's
cooldown, since the server reports every frame that scores above its threshold."""

from __future__ import annotations

import logging
import queue

import numpy as np

from assistant.voice.ports import WakeDetector
from assistant.wyoming.remote import RemoteStage
from assistant.wyoming.wake_link import Heard, WakeLink
from audio.frames import FRAME_MS
from audio.wake import WakeDecision

log = logging.getLogger(__name__)
ENGINE = "wyoming"  # the engine name in a remote decision's engine_scores


class RemoteWakeDetector:
    """A WakeDetector (assistant/voice/ports.py) that asks the server first."""

    def __init__(self, remote: RemoteStage, local: WakeDetector, words: tuple[str, ...],
                 cooldown_ms: dict[str, int] | None = None) -> None:
        self.remote = remote
        self.local = local
        self.words = words
        self.name = words[0]
        self.threshold = local.threshold
        self._cooldown = {w: (cooldown_ms or {}).get(w, 0) // FRAME_MS for w in words}
        self._stream = -1
        self._from = 0  # frames before this one in the stream belong to the last turn
        self._quiet_until: dict[str, int] = {}  # word → first frame it may fire again
        self._local_in_use = True  # the last frame was scored here
        self.link = WakeLink(remote, words)
        self.link.start()

    @property
    def using_remote(self) -> bool:
        """Whether the last frame went to the server."""
        return not self._local_in_use

    def step(self, frame: np.ndarray) -> WakeDecision:
        sent = self.link.push(frame)
        if sent is None:
            if not self._local_in_use:  # the server just went away: listen here
                self.local.reset()
                self._local_in_use = True
            decision = self.local.step(frame)
            if decision.fired is not None:
                self.name = decision.fired
            return decision
        self._local_in_use = False
        stream, index = sent
        if stream != self._stream:  # a new connection: a new stream of frames
            self._stream, self._from, self._quiet_until = stream, 0, {}
        fired: tuple[str, int] | None = None
        while True:
            try:
                heard = self.link.heard.get_nowait()
            except queue.Empty:
                break
            at = self._accept(heard, index)
            if at is not None and fired is None:
                fired = (heard.word, at)
        if fired is None:
            return WakeDecision(None, 0.0, dict.fromkeys(self.words, 0.0))
        word, at = fired
        self.name = word
        self._quiet_until[word] = at + max(1, self._cooldown[word])
        return WakeDecision(word, 1.0, {w: float(w == word) for w in self.words},
                            {word: {ENGINE: 1.0}}, late_ms=(index - at) * FRAME_MS)

    def _accept(self, heard: Heard, index: int) -> int | None:
        """The frame a detection is about, or None when it does not count: from an
        older stream or turn, or inside the word's cooldown."""
        if heard.stream != self._stream:
            return None
        at = index if heard.frame is None else min(max(heard.frame, 0), index)
        if at < self._from or at < self._quiet_until.get(heard.word, 0):
            return None
        return at

    def reset(self) -> None:
        self.local.reset()
        start = self.link.reset()
        if start is not None and self.link.stream == self._stream:
            self._from = start
            self._quiet_until = {}

    def close(self) -> None:
        """Disconnect from the server (the detector is being replaced or Heron stops)."""
        self.link.close()
        close = getattr(self.local, "close", None)
        if close is not None:
            close()
