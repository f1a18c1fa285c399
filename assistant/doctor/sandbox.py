"""`heron doctor`'s sandbox check: what a third-party worker really gets here, found by a
worker process that confines itself and then tries every way out."""

from __future__ import annotations

from assistant.doctor.check import Check, CheckStatus
from assistant.workers.sandbox_report import enforcement_report


def check_sandbox() -> Check:
    """What the third-party worker sandbox really enforces on this machine: a worker
    process is started, confines itself and tries each way out (files, network,
    io_uring, netlink/vsock/unix sockets, unix sockets outside reached through a
    socketpair, new user namespaces, forking past its limit); a protection whose route
    it found open is reported missing."""
    report = enforcement_report()
    missing = [name for name, v in report.items() if not v.get("enforced")]
    data = {"protections": report}
    if not missing:
        return Check("sandbox", CheckStatus.OK, f"all {len(report)} worker protections "
                     f"enforced ({', '.join(report)})", data=data)
    why = "; ".join(f"{n}: {report[n].get('detail', '')}" for n in missing)
    if missing == ["uid_drop"]:  # every desktop install: said, but nothing to repair
        return Check("sandbox", CheckStatus.INFO, f"workers keep your uid (only root can give "
                     f"them one of their own); everything else is enforced: {why}",
                     "nothing to do for a desktop install; run Heron as root for a "
                     "separate uid per worker", data)
    return Check("sandbox", CheckStatus.WARN,
                 f"third-party workers run with weaker isolation: {why}",
                 _sandbox_fix(missing), data)


def _sandbox_fix(missing: list[str]) -> str:
    fixes = []
    if {"net_namespace", "pid_namespace", "mount_namespace"} & set(missing):
        fixes.append("allow unprivileged user namespaces (Debian: sysctl "
                     "kernel.unprivileged_userns_clone=1; Ubuntu 24.04+: sysctl "
                     "kernel.apparmor_restrict_unprivileged_userns=0) or run Heron as root")
    if any(n.startswith("landlock") for n in missing):
        fixes.append("use Linux >= 6.7 with Landlock enabled (landlock in the lsm= boot "
                     "option)")
    if {"socket_families", "io_uring", "user_namespaces"} & set(missing):
        fixes.append("use x86_64 or aarch64 Linux with seccomp filters enabled")
    return "; ".join(fixes) or ("run Heron on Linux >= 6.7 with Landlock enabled, as root "
                                "or with unprivileged user namespaces allowed")
