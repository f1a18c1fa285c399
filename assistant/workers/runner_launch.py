"""How a worker host process is started, for SandboxedTool (host.py) and the sandbox
probe (sandbox_report.py) alike: the runner's command line, its scrubbed environment,
and the private directory it is confined to."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any


def runner_command(plan: dict[str, Any]) -> list[str]:
    # -I: no PYTHONPATH, no user site, no cwd on sys.path (the worker writes there)
    return [sys.executable, "-I", "-B", "-m", "assistant.workers.runner", json.dumps(plan)]


def scrubbed_env(home: Path) -> dict[str, str]:
    lang = os.environ.get("LANG", "C.UTF-8")
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": lang, "HOME": str(home),
            "TMPDIR": str(home)}


def private_dir(name: str, worker_dir: Path, uid: int, gid: int) -> Path:
    """root (0711) / code (a read-only copy of the worker, links kept as links, so a
    link to /etc/shadow stays one Landlock refuses), home (the worker's, 0700) and
    root (empty: where the runner mounts the worker's own root filesystem)."""
    root = Path(tempfile.mkdtemp(prefix=f"heron-{name}-"))
    root.chmod(0o711)
    code = root / "code"
    shutil.copytree(worker_dir, code, symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for path in [code, *code.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    (root / "root").mkdir(mode=0o700)
    home = root / "home"
    home.mkdir(mode=0o700)
    if os.geteuid() == 0:
        os.chown(home, uid, gid)
    return root
