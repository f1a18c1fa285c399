"""The doctor's model rows: each catalog model installed (sizes), or hashed with
`--verify`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistant.doctor.check import Check, CheckStatus
from models.catalog import CATALOG, ModelSpec
from models.store import ModelStore


def model_state(store: ModelStore, spec: ModelSpec) -> tuple[str, str]:
    """Quick state from sizes only: (installed | assembled | not assembled | missing |
    wrong size, detail). No hashing."""
    if spec.joined:
        base = store.models_dir / spec.id
        if all((base / f.name).is_file() and (base / f.name).stat().st_size == f.size_bytes
               for f in spec.files):
            return "assembled", str(base)
        try:
            for f in spec.files:
                parts = store._sources(spec, f)  # raises model.missing
                size = sum(p.stat().st_size for p in parts)
                if size != f.size_bytes:
                    return "wrong size", (f"{f.name}: parts hold {size} bytes, "
                                          f"expected {f.size_bytes}")
        except Exception as err:  # ModelError from _sources, OSError from stat
            return "missing", getattr(err, "message", str(err))
        return "not assembled", (f"parts installed, joined into {base} on first use "
                                 "or by `heron models verify`")
    first = store.source_path(spec, spec.files[0])
    if first is None:
        return "missing", f"package {spec.package} is not installed"
    for f in spec.files:
        path = first.parent / f.name
        if not path.is_file():
            return "missing", f"{path} does not exist"
        if path.stat().st_size != f.size_bytes:
            return "wrong size", f"{path} is {path.stat().st_size} bytes, expected {f.size_bytes}"
    return "installed", str(first.parent)


def check_models(store: ModelStore, verify: bool = False,
                 progress_for: Callable[[str], Any] | None = None) -> list[Check]:
    out = []
    for spec in CATALOG:
        name = f"model {spec.id}"
        data = {"id": spec.id, "package": spec.requirement, "licence": spec.licence}
        if verify:
            result = store.verify(spec, progress_for(spec.id) if progress_for else None)
            bad = [f"{f.name}: {f.detail} [{f.code}]" for f in result.files if not f.ok]
            if bad:
                out.append(Check(name, CheckStatus.FAIL, "; ".join(bad),
                                 spec.reinstall_command(), data))
            else:
                out.append(Check(name, CheckStatus.OK, f"sha256 ok ({spec.requirement})",
                                 data=data))
            continue
        state, detail = model_state(store, spec)
        data["state"] = state
        if state in ("missing", "wrong size"):
            out.append(Check(name, CheckStatus.FAIL, f"{state}: {detail}",
                             spec.reinstall_command(), data))
        else:
            sizes = "sizes match" if state != "not assembled" else detail
            out.append(Check(name, CheckStatus.OK, f"{state}, {sizes} ({spec.requirement}; "
                             "`--verify` hashes)", data=data))
    return out
