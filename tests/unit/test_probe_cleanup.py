"""`probe_sandbox` leaves nothing behind when setting up its watched sockets fails
half-way: no folder in the temp dir, no socket left open."""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path

import pytest

from assistant.workers import sandbox_report


def test_a_failure_setting_up_the_probe_leaves_nothing(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    made: list[socket.socket] = []

    class SecondBindFails(socket.socket):
        def bind(self, address) -> None:
            made.append(self)
            if len(made) == 2:
                raise OSError(98, "Address already in use")
            super().bind(address)

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sandbox_report.socket, "socket", SecondBindFails)
    with pytest.raises(OSError, match="already in use"):
        sandbox_report.probe_sandbox()
    assert len(made) == 2
    assert [s.fileno() for s in made] == [-1, -1]  # both closed, the half-made one too
    assert list(tmp_path.iterdir()) == []  # private, empty and socket folders all gone
