"""`heron doctor`'s rows for remote stages ([asr]/[tts]/[wake] backend = "wyoming://…"):
does the server answer a Wyoming `describe`, how long the round trip takes, and does it
offer the stage Heron wants from it (for the wake word: the configured words)."""

from __future__ import annotations

import asyncio
import time

from assistant.config import HeronConfig
from assistant.doctor.check import Check, CheckStatus
from audio.remote_backend import parse_backend

DESCRIBE_TIMEOUT_S = 3.0
# the Info field that lists each stage's programs
_PROGRAMS = {"asr": "asr", "tts": "tts", "wake": "wake"}


def check_remote_stages(config: HeronConfig) -> list[Check]:
    rows = []
    for stage, backend in (("wake", config.wake.backend), ("asr", config.asr.backend),
                           ("tts", config.tts.backend)):
        if backend:
            words = config.wake.model_names() if stage == "wake" else ()
            rows.append(check_remote(stage, backend, words))
    return rows


def check_remote(stage: str, backend: str, words: tuple[str, ...] = ()) -> Check:
    """One stage's row; `words`: the wake words the server must have."""
    name = f"remote {stage}"
    fix = (f"start the Wyoming {stage} server at {backend}, or set [{stage}] backend = \"\" "
           "to use this machine only")
    host, port = parse_backend(stage, backend) or ("", 0)
    t0 = time.perf_counter()
    try:
        info = asyncio.run(_describe(host, port))
    except Exception as err:  # whatever it is, the stage falls back to the local model
        why = "no answer in time" if isinstance(err, TimeoutError) else (
            str(err) or type(err).__name__)
        return Check(name, CheckStatus.WARN,
                     f"{backend} does not answer ({why}); Heron uses this machine's model "
                     "meanwhile", fix, {"uri": backend, "ok": False, "error": why})
    ms = round((time.perf_counter() - t0) * 1000, 1)
    programs = [p for p in getattr(info, _PROGRAMS[stage]) or [] if p.installed]
    data = {"uri": backend, "ok": bool(programs), "latency_ms": ms,
            "programs": [p.name for p in programs]}
    if not programs:
        return Check(name, CheckStatus.WARN,
                     f"{backend} answers in {ms:g} ms but offers no {stage}; Heron uses this "
                     "machine's model", fix, {**data, "error": f"no {stage} program"})
    if words:
        from assistant.wyoming.remote import RemoteFailed
        from assistant.wyoming.wake_link import match_words, offered_words

        offered = offered_words(info)
        data["models"] = offered
        try:
            data["words"] = match_words(words, offered)
        except RemoteFailed as err:
            data["ok"] = False
            return Check(name, CheckStatus.WARN,
                         f"{backend} answers in {ms:g} ms but {err}; Heron listens with this "
                         "machine's model", "set [wake] model to one of the server's words, "
                         "or give the server that model", {**data, "error": str(err)})
    heard = "".join(f", {theirs} for {ours}" for theirs, ours in data.get("words", {}).items())
    return Check(name, CheckStatus.OK,
                 f"{backend}: {', '.join(p.name for p in programs)}{heard}, answers in "
                 f"{ms:g} ms", data=data)


async def _describe(host: str, port: int):
    from wyoming.client import AsyncTcpClient
    from wyoming.info import Describe, Info

    client = AsyncTcpClient(host, port)
    async with asyncio.timeout(DESCRIBE_TIMEOUT_S):
        await client.connect()
        try:
            await client.write_event(Describe().event())
            while True:
                event = await client.read_event()
                if event is None:
                    raise ConnectionError("the server closed the connection")
                if Info.is_type(event.type):
                    return Info.from_event(event)
        finally:
            await client.disconnect()
