"""`heron serve` and `heron companion pair|devices|revoke`: the phone companion."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import signal
import sys
from typing import TYPE_CHECKING

from assistant.cli.output import print_json
from assistant.companion.devices import CompanionError, DeviceStore
from assistant.storage import Storage

if TYPE_CHECKING:
    from assistant.companion.server import Endpoint

# FastAPI and uvicorn (assistant.companion.server) cost ~0.5 s to import: only the
# handlers that need them import them, so every other `heron` command stays quick.


def register(sub) -> None:
    p = sub.add_parser("serve", help="the phone companion server alone (headless machines)")
    p.add_argument("--port", type=int, help="port to listen on (0: any free one)")
    p.add_argument("--lan", action="store_true", default=None,
                   help="listen on the LAN, with TLS (a self-signed certificate)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON line with the URL once serving")
    p.set_defaults(handler=handle_serve)

    c = sub.add_parser("companion", help="pair phones with Heron and manage them")
    csub = c.add_subparsers(dest="companion_command", metavar="ACTION", required=True)
    pair = csub.add_parser("pair", help="show a QR code and a one-time code (5 minutes)")
    pair.add_argument("--json", action="store_true", help="print the pairing data as JSON")
    pair.set_defaults(handler=handle_pair)
    devices = csub.add_parser("devices", help="list paired devices")
    devices.add_argument("--json", action="store_true", help="print as JSON")
    devices.set_defaults(handler=handle_devices)
    revoke = csub.add_parser("revoke", help="revoke a paired device's token")
    revoke.add_argument("device_id", type=int, help="the id shown by `heron companion devices`")
    revoke.add_argument("--json", action="store_true", help="print as JSON")
    revoke.set_defaults(handler=handle_revoke)


def handle_serve(args, ctx) -> int:
    from assistant.companion.runtime import serve_headless
    from assistant.core import build_core

    options = ctx.config.companion
    if args.port is not None:
        options = dataclasses.replace(options, port=args.port)
    if args.lan:
        options = dataclasses.replace(options, lan=True)

    def ready(endpoint: Endpoint) -> None:
        if args.json:
            print(json.dumps({"serving": True, **endpoint.to_dict()}), flush=True)
        else:
            print(f"Heron companion at {endpoint.url} — pair a phone with "
                  "`heron companion pair`", flush=True)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        core = build_core(ctx.paths, ctx.config)
        try:
            await serve_headless(core, options, stop, ready)
        finally:
            await core.aclose()

    try:
        asyncio.run(main())
    except OSError as err:
        raise CompanionError("companion.port", f"cannot listen on port {options.port}: "
                             f"{err.strerror or err}",
                             "choose another with `heron serve --port N` or "
                             "[companion] port in config.toml") from err
    return 0


def handle_pair(args, ctx) -> int:
    from assistant.companion.pairing import new_pairing, qr_terminal

    storage = Storage(ctx.paths.db_file)
    try:
        pairing = new_pairing(storage, ctx.paths.data_dir, ctx.config.companion)
    finally:
        storage.close()
    endpoint = pairing.endpoint
    if args.json:
        print_json({"code": pairing.code, "expires_at": pairing.expires_at,
                    "url": endpoint.url, "fingerprint": endpoint.fingerprint,
                    "qr_payload": pairing.payload, "server_running": pairing.server_running})
        return 0
    sys.stdout.write(qr_terminal(pairing.payload))
    print(f"\nOpen {endpoint.url} on your phone (or scan the code) and enter: {pairing.code}")
    print("The code works once, for 5 minutes.")
    if endpoint.fingerprint:
        print(f"Certificate fingerprint (sha256): {endpoint.fingerprint}")
    if not pairing.server_running:
        print("The companion is not running: start `heron serve`, or set [companion] "
              "enabled = true and run `heron`.")
    return 0


def handle_devices(args, ctx) -> int:
    storage = Storage(ctx.paths.db_file)
    try:
        devices = DeviceStore(storage).list()
    finally:
        storage.close()
    if args.json:
        print_json({"devices": [d.to_dict() for d in devices]})
        return 0
    if not devices:
        print("No paired devices. Pair one with `heron companion pair`.")
    for d in devices:
        state = "revoked" if d.revoked_at else "active"
        print(f"{d.id:>3}  {d.name:<24} {state}")
    return 0


def handle_revoke(args, ctx) -> int:
    storage = Storage(ctx.paths.db_file)
    try:
        device = DeviceStore(storage).revoke(args.device_id)
    finally:
        storage.close()
    if args.json:
        print_json({"device": device.to_dict()})
    else:
        print(f"Revoked {device.name} (device {device.id}): its token no longer works.")
    return 0
