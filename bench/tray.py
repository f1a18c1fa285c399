"""Tray app benchmark: `heron run` as a user starts it, on a real X server (Xvfb) with
a tray host (trayer) and a real audio server (PulseAudio null sink as the microphone).

Per launch: the time from starting the process to the tray icon being handed to the
tray host, to the core being ready, and to the first command (`heron ask` over the
instance socket, answered by the agent). Then, in one more run left listening with
nothing said but a quiet room's noise playing into the microphone (pink noise at
ROOM_DBFS; a null sink alone is digital silence, which no room is): CPU use (% of one
core) and resident memory. Medians over several runs; each against its target. A last
run with the wake word's noise gate off shows what that gate saves (not judged)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np

from assistant.desktop.instance import InstanceClient, socket_path
from assistant.paths import resolve_paths
from bench.machine import machine_info
from bench.pulse_server import PulseServer
from bench.report import judge, pyplot, save_figure, target_line, write_report
from bench.xserver import XServer, start_tray_host, stop_process

TARGETS = {"tray_shown_ms": 2000.0, "first_command_ms": 5000.0, "idle_cpu_pct": 5.0,
           "idle_rss_mb": 500.0}
REPO = Path(__file__).resolve().parents[1]
ROOM_DBFS = -60.0  # a quiet room through a laptop microphone


def room_noise_wav(path: Path, seconds: float) -> Path:
    """Pink noise at ROOM_DBFS (RMS), 16 kHz mono int16."""
    from bench.wake_corpus import noise

    n = int(seconds * 16000)
    samples = noise("pink", n, np.random.default_rng(3)) * 32768 * 10 ** (ROOM_DBFS / 20)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.clip(samples, -32768, 32767).astype("<i2").tobytes())
    return path


class Launch:
    """One `heron run --json` with its JSON lines collected on a thread."""

    def __init__(self, env: dict[str, str], home: Path) -> None:
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, "-m", "assistant", "run", "--json"],
                                     cwd=REPO, env={**env, "HERON_HOME": str(home)},
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.socket = socket_path(resolve_paths({"HERON_HOME": str(home)}).data_dir)

    def _read(self) -> None:
        for line in self.proc.stdout:
            if line.startswith("{"):
                self.lines.append(json.loads(line))

    def first_command_ms(self, timeout_s: float = 60) -> float:
        """From launch to the answer of the first `ask`, retrying until it is taken."""
        client = InstanceClient(self.socket)
        reply = asyncio.run(client.call({"cmd": "ask", "text": "what time is it"},
                                        timeout_s=timeout_s, connect_wait_s=timeout_s))
        if not reply.get("ok"):
            raise RuntimeError(f"the first command failed: {reply}")
        return round((time.monotonic() - self.t0) * 1000, 1)

    def wait_for(self, match, timeout_s: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if match(line):
                    return line
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"heron never showed what we waited for: "
                           f"{self.proc.stderr.read()[-1500:] if self.proc.poll() else ''}")

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) in MB."""
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return round(values["VmRSS"], 1), round(values["VmHWM"], 1)


def launch_once(env: dict[str, str], home: Path) -> dict[str, Any]:
    run = Launch(env, home)
    try:
        first = run.first_command_ms()
        ready = run.wait_for(lambda line: line["type"] == "Ready")["startup_ms"]
    finally:
        err = run.stop()
    if "no system tray" in err:
        raise RuntimeError("heron ran without a tray: " + err[-500:])
    return {"tray_shown_ms": ready.get("tray_shown_since_launch"),
            "ready_ms": ready.get("ready_since_launch"), "first_command_ms": first,
            "models_loaded_ms": ready.get("models_loaded")}


def idle_once(env: dict[str, str], home: Path, idle_s: float, pulse: PulseServer,
              gate_db: float | None = None) -> dict[str, Any]:
    """Listening for `idle_s` with only the room's noise; `gate_db` overrides
    [wake] noise_gate_db (in a home of its own)."""
    if gate_db is not None:
        home = home.with_name(f"{home.name}-gate-{gate_db:g}")
        config = resolve_paths({"HERON_HOME": str(home)}).config_file
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(f"[wake]\nnoise_gate_db = {gate_db:g}\n", encoding="utf-8")
    room = pulse.start_playing(room_noise_wav(home.parent / "room.wav", idle_s + 120))
    run = Launch(env, home)
    try:
        run.wait_for(lambda line: line["type"] == "MicStateChanged" and
                     line["state"] == "live", 90)
        time.sleep(5)  # let start-up work (warm-up, first frames) finish
        pid = run.proc.pid
        cpu0, t0 = _cpu_s(pid), time.monotonic()
        time.sleep(idle_s)
        cpu1, t1 = _cpu_s(pid), time.monotonic()
        rss, peak = _rss_mb(pid)
    finally:
        run.stop()
        stop_process(room)
    return {"idle_s": round(t1 - t0, 1), "idle_cpu_pct": round((cpu1 - cpu0) / (t1 - t0) * 100, 2),
            "idle_rss_mb": rss, "peak_rss_mb": peak}


def run(ctx, out_dir: Path, quick: bool) -> dict:
    """`heron bench tray`: 5 launches and 60 s of listening (2 and 15 s with quick)."""
    runs, idle_s = (2, 15.0) if quick else (5, 60.0)
    load_before = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory(prefix="heron-bench-tray-") as tmp:
        root = Path(tmp)
        pulse = PulseServer(root / "audio", die_with_parent=True).start()
        xvfb = XServer.start("1280x800x24")
        env = {**pulse.env, "DISPLAY": xvfb.display}
        for key in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
            env.pop(key, None)
        host = None
        try:
            host = start_tray_host(env)
            home = root / "home"  # one home, as a user has: later launches find it made
            launches = [launch_once(env, home) for _ in range(runs)]
            idle = idle_once(env, home, idle_s, pulse)
            gate_off = idle_once(env, home, idle_s, pulse, gate_db=0.0)
        finally:
            if host is not None:
                stop_process(host)
            xvfb.stop()
            pulse.stop()
    medians = {k: round(statistics.median(r[k] for r in launches), 1)
               for k in ("tray_shown_ms", "ready_ms", "first_command_ms")}
    measured = {"tray_shown_ms": medians["tray_shown_ms"],
                "first_command_ms": medians["first_command_ms"],
                "idle_cpu_pct": idle["idle_cpu_pct"], "idle_rss_mb": idle["idle_rss_mb"]}
    verdict = judge(measured, TARGETS)
    report = {"benchmark": "tray", "quick": quick, "runs": runs, "targets": verdict,
              "launches": launches, "medians": medians, "idle": idle,
              "room_noise_dbfs": ROOM_DBFS, "idle_noise_gate_off": gate_off,
              "machine": machine_info(),
              "load_avg_1m": {"before": load_before, "after": round(os.getloadavg()[0], 2)},
              "summary": {**measured, "all_targets_met": all(v["met"]
                                                             for v in verdict.values())}}
    write_report(out_dir, "tray", report)
    plot(report, out_dir / "tray.png")
    return report


def summary(report: dict) -> list[str]:
    t = report["targets"]

    def line(key: str, label: str, unit: str) -> str:
        return target_line(label, t[key], unit)

    m = report["medians"]
    return [line("tray_shown_ms", "tray icon shown after launch (median)", "ms"),
            line("first_command_ms", "first command answered after launch (median)", "ms"),
            f"core ready after launch (median): {m['ready_ms']:g} ms",
            line("idle_cpu_pct", f"idle while listening ({report['idle']['idle_s']:g} s)",
                 "% of one core"),
            line("idle_rss_mb", "resident memory while listening", "MB")
            + f", peak {report['idle']['peak_rss_mb']:g} MB",
            f"with the wake word's noise gate off (not judged): "
            f"{report['idle_noise_gate_off']['idle_cpu_pct']:g} % of one core, "
            f"{report['idle_noise_gate_off']['idle_rss_mb']:g} MB"]


def plot(report: dict, path: Path) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    ax = axes[0]
    launches = report["launches"]
    xs = range(1, len(launches) + 1)
    for key, colour, label in (("tray_shown_ms", "#4a90d9", "tray icon shown"),
                               ("ready_ms", "#7bb661", "core ready"),
                               ("first_command_ms", "#e0a020", "first command answered")):
        ax.plot(xs, [r[key] for r in launches], "o-", color=colour, label=label)
    ax.axhline(TARGETS["tray_shown_ms"], color="#4a90d9", ls="--", lw=1,
               label="tray target 2 s")
    ax.axhline(TARGETS["first_command_ms"], color="#e0a020", ls="--", lw=1,
               label="first command target 5 s")
    ax.set_xlabel("launch #")
    ax.set_ylabel("ms after the process started")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7)
    idle = report["idle"]
    for ax, key, target, label in ((axes[1], "idle_cpu_pct", TARGETS["idle_cpu_pct"],
                                    "CPU while listening (% of one core)"),
                                   (axes[2], "idle_rss_mb", TARGETS["idle_rss_mb"],
                                    "resident memory while listening (MB)")):
        off = report["idle_noise_gate_off"]
        ax.bar(["heron run", "noise gate off"], [idle[key], off[key]],
               color=["#4a90d9", "#9aa5b1"])
        ax.axhline(target, color="#c0392b", ls="--", label=f"target {target:g}")
        ax.set_ylabel(label)
        ax.legend(fontsize=8)
    met = sum(v["met"] for v in report["targets"].values())
    save_figure(fig, path, f"Heron tray — {met}/{len(report['targets'])} targets met",
                report["machine"])
