"""`heron --toggle`: push-to-talk in the running Heron (what a desktop key binding
runs where Heron cannot grab a global hotkey itself, e.g. on Wayland)."""

from __future__ import annotations

import asyncio
import sys

from assistant.desktop.instance import InstanceClient, raise_for_error, socket_path


def handle(args, ctx) -> int:
    client = InstanceClient(socket_path(ctx.paths.data_dir))
    reply = raise_for_error(asyncio.run(client.call({"cmd": "toggle"}, timeout_s=10)))
    print("Heron is listening." if reply["did"] == "listening" else "Heron stopped.",
          file=sys.stderr)
    return 0
