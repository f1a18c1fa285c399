"""Freed heap memory goes back to the system (models/heap.py; Linux with glibc, as
every machine this project runs on)."""

import threading

from models.heap import release_free_memory


def _rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))


def test_memory_freed_on_a_thread_is_returned():
    # Small blocks freed on another thread, below one that stays, stay in that
    # thread's arena: free() only gives back the top of a heap.
    survivors = []

    def churn():
        blocks = [bytearray(4000) for _ in range(40_000)]  # ~160 MB of small blocks
        survivors.append(blocks[-1])  # pins the top of the heap
        blocks.clear()

    before = _rss_kb()
    worker = threading.Thread(target=churn)
    worker.start()
    worker.join()
    kept = _rss_kb() - before
    assert release_free_memory() is True
    after = _rss_kb() - before
    assert after < kept - 50_000, (kept, after)  # at least 50 MB handed back
