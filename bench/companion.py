"""`heron bench companion`: live-state fan-out of the real companion server
(`heron serve` in a subprocess) to 50 concurrent WebSocket clients. One event = a
mute toggle POSTed over the API; latency = from sending it to each client receiving
the change. Target: p99 ≤ 100 ms."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

from bench.machine import machine_info
from bench.report import percentile, pyplot, save_figure, write_report

CLIENTS = 50
TARGET_P99_MS = 100.0
GAP_S = 0.05  # between events: each one is measured on its own
REPO = Path(__file__).resolve().parents[1]


def _start_server(home: Path) -> tuple[subprocess.Popen, str]:
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text("[companion]\nwebpush = false\n")
    env = {**os.environ, "HERON_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", "0",
                             "--json"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if not line:
        proc.kill()
        raise RuntimeError("heron serve did not start")
    return proc, json.loads(line)["url"]


def _pair(home: Path, url: str) -> str:
    env = {**os.environ, "HERON_HOME": str(home)}
    out = subprocess.run([sys.executable, "-m", "assistant", "companion", "pair", "--json"],
                         cwd=REPO, env=env, capture_output=True, text=True, check=True)
    code = json.loads(out.stdout)["code"]
    r = httpx.post(f"{url}/api/pair", json={"code": code, "name": "bench"})
    r.raise_for_status()
    return r.json()["token"]


async def _measure(url: str, token: str, events: int) -> dict[str, Any]:
    ws_url = url.replace("http", "ws", 1) + "/ws"
    clients = [await websockets.connect(ws_url, max_queue=None) for _ in range(CLIENTS)]
    arrivals: list[dict[bool, float]] = [{} for _ in clients]
    all_in = asyncio.Event()
    try:
        for ws in clients:
            await ws.send(json.dumps({"type": "auth", "token": token}))
            assert json.loads(await ws.recv())["type"] == "snapshot"

        async def listen(i: int, ws) -> None:
            async for raw in ws:
                msg = json.loads(raw)
                if msg["type"] == "muted":
                    arrivals[i][msg["muted"]] = time.perf_counter()
                    if all(msg["muted"] in a for a in arrivals):
                        all_in.set()

        readers = [asyncio.create_task(listen(i, ws)) for i, ws in enumerate(clients)]
        latencies: list[float] = []
        per_event_p99: list[float] = []
        auth = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=url, headers=auth) as http:
            for n in range(events):
                muted = n % 2 == 0
                for a in arrivals:
                    a.pop(muted, None)
                all_in.clear()
                t0 = time.perf_counter()
                await http.post("/api/mute", json={"muted": muted})
                try:
                    await asyncio.wait_for(all_in.wait(), 5.0)
                except TimeoutError:
                    pass
                got = [(a[muted] - t0) * 1000 for a in arrivals if muted in a]
                if len(got) < CLIENTS:
                    raise RuntimeError(f"event {n}: only {len(got)} of {CLIENTS} clients")
                latencies += got
                per_event_p99.append(percentile(got, 99))
                await asyncio.sleep(GAP_S)
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    finally:
        await asyncio.gather(*(ws.close() for ws in clients), return_exceptions=True)
    return {"latencies_ms": [round(v, 2) for v in latencies],
            "per_event_p99_ms": per_event_p99}


def run(ctx, out_dir: Path, quick: bool) -> dict:
    """50 clients; 40 events (10 with quick), each received by all 50."""
    events = 10 if quick else 40
    load_before = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory(prefix="heron-bench-companion-") as tmp:
        proc, url = _start_server(Path(tmp))
        try:
            token = _pair(Path(tmp), url)
            measured = asyncio.run(_measure(url, token, events))
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    lat = measured["latencies_ms"]
    p99 = percentile(lat, 99)
    report = {"benchmark": "companion", "quick": quick, "clients": CLIENTS,
              "events": events, "deliveries": len(lat),
              "what": "mute toggle POSTed to /api/mute until each of 50 WebSocket "
                      "clients received the change (server: `heron serve` subprocess; "
                      "clients and the sender in one asyncio process, same machine)",
              "summary": {"p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95),
                          "p99_ms": p99, "max_ms": round(max(lat), 1),
                          "target_p99_ms": TARGET_P99_MS, "met": p99 <= TARGET_P99_MS},
              "per_event_p99_ms": measured["per_event_p99_ms"],
              "latencies_ms": lat, "machine": machine_info(),
              "load_avg_1m": {"before": load_before, "after": round(os.getloadavg()[0], 2)}}
    write_report(out_dir, "companion", report)
    plot(report, out_dir / "companion.png")
    return report


def summary(report: dict) -> list[str]:
    s = report["summary"]
    return [f"fan-out to {report['clients']} WebSocket clients, {report['events']} events: "
            f"p50 {s['p50_ms']:g} ms, p95 {s['p95_ms']:g} ms, p99 {s['p99_ms']:g} ms "
            f"(target p99 ≤ {s['target_p99_ms']:g} ms: {'met' if s['met'] else 'MISSED'})",
            f"load average {report['load_avg_1m']['before']:g} before, "
            f"{report['load_avg_1m']['after']:g} after on {report['machine']['cores']} cores"]


def plot(report: dict, path: Path) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    s = report["summary"]
    ax = axes[0]
    ax.hist(report["latencies_ms"], bins=40, color="#4a90d9")
    ax.axvline(s["p99_ms"], color="#4a4a4a", ls=":", label=f"p99 {s['p99_ms']:g} ms")
    ax.axvline(TARGET_P99_MS, color="#c0392b", ls="--", label="target p99 100 ms")
    ax.set_xlabel(f"event → client latency (ms), {report['deliveries']} deliveries")
    ax.set_ylabel("count")
    ax.legend(fontsize=8)
    ax = axes[1]
    ax.plot(range(1, report["events"] + 1), report["per_event_p99_ms"], "o-",
            color="#4a90d9")
    ax.axhline(TARGET_P99_MS, color="#c0392b", ls="--", label="target 100 ms")
    ax.set_xlabel("event #")
    ax.set_ylabel(f"p99 over {report['clients']} clients (ms)")
    ax.legend(fontsize=8)
    save_figure(fig, path, f"Companion fan-out: p99 {s['p99_ms']:g} ms",
                report["machine"])
