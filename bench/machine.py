"""A description of the machine a benchmark ran on."""

from __future__ import annotations

import os
import platform
from importlib import metadata


def machine_info() -> dict[str, str | int]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {}
    for dist in ("onnxruntime", "onnxruntime-gpu", "ctranslate2", "faster-whisper", "piper-tts"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return {"cpu": cpu, "cores": os.cpu_count() or 0, "os": platform.platform(),
            "python": platform.python_version(), **versions}
