"""`heron doctor` as a user runs it: the real CLI in a subprocess with HERON_HOME=tmp."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, run_heron

from assistant.doctor.devices import check_display
from models.catalog import CATALOG, get_spec
from models.onnx import available_providers, choose_providers
from models.store import package_dir


def doctor(home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120):
    return run_heron(home, "doctor", *args, env=env, timeout=timeout)


def by_name(report: dict) -> dict[str, dict]:
    return {c["name"]: c for c in report["checks"]}


def test_doctor_json_reports_providers_and_passes_with_models_ok(tmp_path):
    proc = doctor(tmp_path, "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] is True
    checks = by_name(report)
    for c in report["checks"]:
        assert set(c) >= {"name", "status", "detail", "fix", "severity"}
        assert c["status"] in ("ok", "info", "warn")
        if c["status"] != "ok":
            assert c["fix"], c  # every problem says how to fix it

    ort = checks["onnxruntime"]
    assert "CPUExecutionProvider" in ort["data"]["providers"]
    expected = choose_providers(available_providers())
    assert ort["data"]["providers"] == list(expected.providers)
    if not expected.uses_gpu:  # this machine: CPU only, and doctor says why
        assert ort["status"] == "info"
        assert expected.reason and expected.reason in ort["detail"]
        assert ".[gpu]" in ort["fix"]

    ct2 = checks["ctranslate2"]
    assert ct2["data"]["version"]
    assert "int8" in ct2["data"]["cpu_compute_types"]
    if ct2["data"]["cuda_devices"] == 0:
        assert "CPU only" in ct2["detail"] and ".[gpu]" in ct2["fix"]

    for spec in CATALOG:
        assert checks[f"model {spec.id}"]["status"] == "ok"
    assert checks["config"]["status"] == "ok"
    assert checks["data dir"]["status"] == "ok"


def test_missing_display_and_audio_are_warnings_that_name_the_fallback(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["HERON_HOME"] = str(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "assistant", "doctor"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout
    display = next(ln for ln in proc.stdout.splitlines() if " display " in ln)
    assert display.startswith("warn") and "heron ask" in display
    assert "Heron can run." in proc.stdout


def test_malformed_config_exits_7_and_names_the_line(tmp_path):
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[runtime]\nprefer_gpu = "yes\n', encoding="utf-8")

    proc = doctor(tmp_path, "--json")
    assert proc.returncode == 7, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] is False
    check = by_name(report)["config"]
    assert check["status"] == "fail" and check["severity"] == "error"
    assert "line 2" in check["detail"] and str(config) in check["detail"]
    assert check["fix"]

    text = doctor(tmp_path)
    assert text.returncode == 7
    line = next(ln for ln in text.stdout.splitlines() if " config " in ln)
    assert line.startswith("FAIL") and "line 2" in line


def test_data_dir_that_cannot_be_created_exits_7(tmp_path):
    (tmp_path / "data").write_text("a file where the data dir should be")
    proc = doctor(tmp_path, "--json")
    assert proc.returncode == 7
    check = by_name(json.loads(proc.stdout))["data dir"]
    assert check["status"] == "fail" and "not writable" in check["detail"]
    assert "HERON_HOME" in check["fix"]


def test_corrupt_model_exits_7_with_the_reinstall_command(tmp_path):
    shadow = tmp_path / "shadow"
    shutil.copytree(package_dir("silero_vad"), shadow / "silero_vad",
                    ignore=shutil.ignore_patterns("*.jit", "*.safetensors", "__pycache__"))
    with (shadow / "silero_vad" / "data" / "silero_vad.onnx").open("r+b") as fh:
        fh.truncate(1000)
    pythonpath = os.pathsep.join([str(shadow), str(REPO)])
    proc = doctor(tmp_path / "home", "--json", env={"PYTHONPATH": pythonpath})
    assert proc.returncode == 7
    check = by_name(json.loads(proc.stdout))["model silero-vad"]
    assert check["status"] == "fail" and "wrong size" in check["detail"]
    assert check["fix"] == get_spec("silero-vad").reinstall_command()


@pytest.mark.slow
def test_doctor_verify_hashes_every_model(tmp_path):
    proc = doctor(tmp_path, "--verify", "--json", timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    checks = by_name(json.loads(proc.stdout))
    for spec in CATALOG:
        assert "sha256 ok" in checks[f"model {spec.id}"]["detail"]
    assert (tmp_path / "data" / "models" / "whisper-base" / "model.bin").is_file()


def test_unreachable_display_is_a_warning_not_a_crash():
    check = check_display({**os.environ, "DISPLAY": ":93", "QT_QPA_PLATFORM": "xcb"})
    assert check.status == "warn"
    assert "heron ask" in check.detail and check.fix


def test_doctor_reports_the_desktop_integration(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "DISPLAY": "", "WAYLAND_DISPLAY": ""}
    assert run_heron(tmp_path, "autostart", "on", env=env).returncode == 0
    desktop = by_name(json.loads(doctor(tmp_path, "--json", env=env).stdout))["desktop"]
    assert desktop["data"]["instance"] == "not running"
    assert desktop["data"]["autostart"] is True
    assert desktop["data"]["hotkey"].startswith("unavailable: no X display")
    assert "heron --toggle" in desktop["fix"]
    assert run_heron(tmp_path, "autostart", "off", env=env).returncode == 0
    assert not (tmp_path / "xdg" / "autostart" / "heron.desktop").exists()


def test_doctor_reports_the_sandbox_routes_its_probe_tried(tmp_path):
    """The sandbox check comes from a worker that tried each way out: every route of
    the attack has its line, and whatever did not hold is named with a fix."""
    proc = doctor(tmp_path, "--json")
    check = by_name(json.loads(proc.stdout))["sandbox"]
    protections = check["data"]["protections"]
    for route in ("io_uring", "socket_families", "user_namespaces", "mount_namespace",
                  "capabilities", "landlock_fs", "net_namespace", "processes"):
        assert protections[route]["detail"], route
    missing = [name for name, p in protections.items() if not p["enforced"]]
    if os.geteuid() != 0:  # a desktop user's worker keeps the uid, and doctor says so
        assert "uid_drop" in missing
    if not missing:
        assert check["status"] == "ok"
    else:
        assert check["status"] in ("info", "warn") and check["fix"]
        assert all(name in check["detail"] for name in missing), check
