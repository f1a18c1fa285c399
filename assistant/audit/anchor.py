"""The chain anchor: the chain id and head (last id, its mac, row count) kept WITH THE
KEY in the secret store, plus a copy in a marker file outside the data dir (the config
dir), so a wiped database and head file, or a data dir deleted whole, is detected.

Where each copy lives decides what it detects:
- keyring mode: the anchor sits in the OS keyring beside the key; deleting the data dir
  (and the marker) is detected, because the keyring still holds key and anchor.
- file mode: key and anchor are 0600 files in data/secrets/; deleting the data dir
  takes them along, so the marker in the config dir is what reports the loss (a
  missing key while a marker exists is an error, never a silent new chain).

Writing the keyring can be slow (D-Bus, or an unlock prompt), so the anchor is not
rewritten on every append: at the first row of a chain, after a gap or reset, then at
most every EVERY_ROWS appends or EVERY_S seconds, and at close — always in a worker
thread, never on the caller's (event loop) thread. The head file stays exact.

Before any copy is written, the database is made durable (`durable`, see
log.durable_hook): it commits with synchronous=NORMAL, so after a power cut its last
commits can roll back while the keyring keeps the anchor, and an anchor past the
table's end would read as truncation forever."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.audit.report import ChainHead, HeadState
from assistant.paths import HeronPaths
from assistant.secrets import SecretStore, file_lock, write_private

log = logging.getLogger(__name__)

ANCHOR_SECRET = "audit-anchor"
MARKER_FILE = "audit-anchor.json"
EVERY_ROWS = 32
EVERY_S = 60.0


@dataclass(frozen=True)
class Anchor:
    chain: str
    last_id: int
    last_mac: str
    count: int

    @property
    def head(self) -> ChainHead:
        return ChainHead(self.last_id, self.last_mac, self.count)

    def describe(self) -> str:
        if not self.count:
            return f"chain {self.chain} with no rows yet"
        return f"chain {self.chain} with {self.count} rows ending at row {self.last_id}"


@dataclass(frozen=True)
class AnchorCopy:
    """One stored copy, and how it read back."""

    where: str
    state: HeadState
    anchor: Anchor | None = None


@dataclass(frozen=True)
class AnchorReading:
    copies: tuple[AnchorCopy, ...]

    @property
    def present(self) -> bool:
        """Whether any copy exists at all (even a damaged one): a chain was started."""
        return any(c.state != HeadState.MISSING for c in self.copies)

    @property
    def best(self) -> AnchorCopy | None:
        """The valid copy to trust: the secret store's, unless the marker is a later
        point of the same chain (the two are written together; one may lag a crash)."""
        ok = [(c, c.anchor) for c in self.copies
              if c.state in (HeadState.OK, HeadState.UNVERIFIED) and c.anchor is not None]
        if not ok:
            return None
        first, a = ok[0]
        for c, b in ok[1:]:
            if b.chain == a.chain and b.count > a.count:
                return c
        return first

    def describe(self) -> str:
        found = [c for c in self.copies if c.state != HeadState.MISSING]
        return "; ".join(f"{c.where}: " + (c.anchor.describe() if c.anchor else c.state)
                         for c in found)


class AnchorStore:
    """Both copies of the anchor; `key=None` reads them without checking their mac.
    `durable` runs before a write and says whether the rows it anchors are on disk."""

    def __init__(self, store: SecretStore, marker_path: Path | None,
                 key: bytes | None = None,
                 durable: Callable[[], bool] | None = None) -> None:
        self.store = store
        self.marker_path = marker_path
        self._key = key
        self._durable = durable

    def lock(self):
        return file_lock(self.store.data_dir / ".audit-anchor.lock")

    def mac(self, a: Anchor) -> str:
        assert self._key is not None
        msg = json.dumps(["anchor", a.chain, a.last_id, a.last_mac, a.count]).encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()

    def read(self) -> AnchorReading:
        copies = [self._parse(f"the secret store ({self.store.backend})",
                              self.store.get(ANCHOR_SECRET))]
        if self.marker_path is not None:
            try:
                text = self.marker_path.read_text(encoding="utf-8")
            except (FileNotFoundError, NotADirectoryError):
                text = None
            except OSError:
                text = ""  # there but unreadable: still evidence of a chain
            copies.append(self._parse(str(self.marker_path), text))
        return AnchorReading(tuple(copies))

    def write(self, a: Anchor) -> None:
        doc = {**asdict(a), "mac": self.mac(a)}
        if self.marker_path is not None:
            # The marker first: a keyring that hangs (D-Bus, an unlock prompt) then still
            # leaves one current copy, and `best` prefers it as the later point.
            # The marker says what it guards, for whoever finds it.
            marker = {**doc, "data_dir": str(self.store.data_dir),
                      "about": "Heron's audit chain anchor: if the data dir is lost, "
                               "`heron audit verify` reports it; start a new chain "
                               "with `heron audit reset --yes`"}
            try:
                self.marker_path.parent.mkdir(parents=True, exist_ok=True)
                write_private(self.marker_path, json.dumps(marker, indent=1) + "\n")
            except OSError as err:  # the secret store's copy still guards the chain
                log.warning("audit log: cannot write the anchor marker %s: %s",
                            self.marker_path, err.strerror or err)
        self.store.set(ANCHOR_SECRET, json.dumps(doc))

    def advance(self, new: Anchor, force: bool = False) -> None:
        """Store `new` unless a later point of the same chain, or another chain, is
        already stored (several processes append); `force` (gap, reset) stores it
        regardless."""
        with self.lock():
            if not force:
                cur = self.read().best
                if cur is not None and cur.anchor is not None:
                    # Another chain: a reset (or another process's gap) started it after
                    # we took our head, which may be the old chain's; under the new id it
                    # would read as truncation. Our next forced or re-read anchor catches up.
                    if cur.anchor.chain != new.chain or cur.anchor.count >= new.count:
                        return
            if self._durable is not None and not self._durable() and not force:
                # The rows are not surely on disk yet: a batched update can wait for the
                # next one (a lagging anchor is harmless); a forced one records a gap or
                # a new chain and is written regardless.
                log.debug("audit log: the database is not synced yet; anchor update deferred")
                return
            self.write(new)

    def _parse(self, where: str, text: str | None) -> AnchorCopy:
        if text is None:
            return AnchorCopy(where, HeadState.MISSING)
        try:
            raw = json.loads(text)
            a = Anchor(str(raw["chain"]), int(raw["last_id"]), str(raw["last_mac"]),
                       int(raw["count"]))
            mac = str(raw["mac"])
        except (ValueError, KeyError, TypeError):
            return AnchorCopy(where, HeadState.CORRUPT)
        if self._key is None:
            return AnchorCopy(where, HeadState.UNVERIFIED, a)
        if not hmac.compare_digest(mac, self.mac(a)):
            return AnchorCopy(where, HeadState.BAD_MAC)
        return AnchorCopy(where, HeadState.OK, a)


class AnchorWriter:
    """Decides when the anchor is due and writes it in a short-lived daemon thread.

    A daemon, so a hung keyring never holds up Heron's exit: a write still pending when
    the process ends (after `flush` timed out) is lost, and the anchor then lags, which
    `check()` tolerates. The marker copy is written before the keyring's, so it is
    current even then."""

    def __init__(self, anchors: AnchorStore, every_rows: int = EVERY_ROWS,
                 every_s: float = EVERY_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._anchors = anchors
        self.every_rows = every_rows
        self.every_s = every_s
        self._clock = clock
        self._cond = threading.Condition()
        self._latest: tuple[Anchor, bool] | None = None  # not yet handed to the thread
        self._pending: tuple[Anchor, bool] | None = None  # handed over, not yet written
        self._thread: threading.Thread | None = None
        self._rows = 0
        self._last_t = clock()

    def note(self, anchor: Anchor, force: bool = False) -> None:
        """Called after every append with the chain's new head."""
        with self._cond:
            self._rows += 1
            force = force or bool(self._latest and self._latest[1])
            self._latest = (anchor, force)
            if force or self._rows >= self.every_rows or \
                    self._clock() - self._last_t >= self.every_s:
                self._submit()

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Write whatever is not anchored yet and wait for it; False on timeout."""
        with self._cond:
            if self._latest is not None:
                self._submit()
        return self.wait(timeout_s)

    def wait(self, timeout_s: float = 10.0) -> bool:
        """Wait for the writes already due (not the ones still batched)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._thread is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def _submit(self) -> None:
        assert self._latest is not None
        if self._pending is not None and self._pending[1]:
            self._latest = (self._latest[0], True)  # keep a queued forced write forced
        self._pending, self._latest = self._latest, None
        self._rows, self._last_t = 0, self._clock()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="audit-anchor",
                                            daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                job, self._pending = self._pending, None
                if job is None:
                    self._thread = None
                    self._cond.notify_all()
                    return
            try:
                self._anchors.advance(*job)
            except Exception as err:  # the head file still guards; say why it lags
                log.warning("audit log: could not update the chain anchor: %s", err)


def marker_path(paths: HeronPaths) -> Path:
    """Where the marker copy lives: the config dir, which survives a deleted data dir
    (on Linux; with platformdirs on macOS and Windows the two dirs are the same)."""
    return paths.config_dir / MARKER_FILE
