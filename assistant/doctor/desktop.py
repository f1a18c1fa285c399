"""`heron doctor`'s desktop-integration check: the push-to-talk hotkey, autostart and
whether a Heron is already running for this user."""

from __future__ import annotations

from assistant.config import HeronConfig
from assistant.desktop import autostart
from assistant.desktop.hotkey import probe_hotkey
from assistant.desktop.instance import InstanceClient, InstanceLock, socket_path
from assistant.doctor.check import Check, CheckStatus
from assistant.paths import HeronPaths
from models.errors import CodedError


def check_desktop(paths: HeronPaths, config: HeronConfig) -> Check:
    probe = InstanceLock(paths.data_dir)
    try:
        free = probe.acquire()
    except CodedError:  # the data dir itself is broken: its own check says how
        free, running = None, "unknown (the data dir is not usable)"
    if free:
        probe.release()
        running = "not running"
    elif free is False:
        try:  # a squatted socket dir is refused: doctor reports it instead of stopping
            alive = InstanceClient(socket_path(paths.data_dir)).running()
            running = "running" if alive else "starting (or not answering)"
        except CodedError as err:
            running = f"unknown ({err.message})"
    usable, hotkey = probe_hotkey(config.desktop.hotkey)
    data = {"instance": running, "hotkey": hotkey,
            "autostart": autostart.is_enabled(), "autostart_file":
            str(autostart.autostart_file())}
    detail = (f"Heron {running}; push-to-talk hotkey {hotkey}; autostart "
              f"{'on' if data['autostart'] else 'off'}")
    if usable:
        return Check("desktop", CheckStatus.OK, detail, data=data)
    return Check("desktop", CheckStatus.INFO, detail,
                 "bind `heron --toggle` to a key in your desktop's keyboard settings",
                 data=data)
