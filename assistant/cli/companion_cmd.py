"""`heron serve` and `heron companion pair|devices|revoke`: the phone companion."""

from __future__ import annotations


def register(sub) -> None:
    pass
