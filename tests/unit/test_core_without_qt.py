"""House rule 1: nothing outside gui/ imports PySide6; the core runs without Qt."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORE_PACKAGES = ("assistant", "audio", "models", "vision")

# Runs in a fresh interpreter: any attempt to import Qt raises and is recorded (also
# attempts a module swallows with `except ImportError`), then every module is imported.
IMPORT_ALL = r"""
import importlib, importlib.abc, json, pkgutil, sys, traceback

attempts = []

class BlockQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("PySide6", "shiboken6"):
            attempts.append((name, "".join(traceback.format_stack(limit=8)[:-1])))
            raise ImportError(f"{name} is blocked: the core must not import Qt")
        return None

sys.meta_path.insert(0, BlockQt())
names, failed = [], {}
for pkg in sys.argv[1:]:
    names.append(pkg)
    root = importlib.import_module(pkg)
    onerror = lambda name: failed.setdefault(name, repr(sys.exc_info()[1]))
    for info in pkgutil.walk_packages(root.__path__, pkg + ".", onerror=onerror):
        if not info.name.endswith(".__main__"):  # running the CLI is not importing it
            names.append(info.name)
for name in names:
    try:
        importlib.import_module(name)
    except BaseException as err:
        failed[name] = repr(err)
print(json.dumps({"imported": names, "failed": failed, "qt_attempts": attempts}))
"""


def test_every_core_module_imports_with_qt_blocked():
    proc = subprocess.run([sys.executable, "-c", IMPORT_ALL, *CORE_PACKAGES], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["qt_attempts"] == [], "\n".join(
        f"{name} imported from:\n{stack}" for name, stack in report["qt_attempts"])
    assert report["failed"] == {}
    imported = set(report["imported"])
    # The CLI must stay importable: it reaches the tray only inside `heron run`.
    assert {"assistant.cli.main", "assistant.cli.run_cmd", "assistant.service"} <= imported
    assert len(imported) > 20


QT_IMPORT = re.compile(r"^\s*(import|from)\s+(PySide6|shiboken6)\b", re.MULTILINE)


def test_no_core_source_file_imports_pyside6():
    offenders = [str(path.relative_to(REPO)) for pkg in CORE_PACKAGES
                 for path in sorted((REPO / pkg).rglob("*.py"))
                 if QT_IMPORT.search(path.read_text(encoding="utf-8"))]
    assert offenders == [], f"only gui/ may import Qt: {offenders}"
