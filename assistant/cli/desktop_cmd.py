"""`heron autostart on|off|status`: start Heron when you log in."""

from __future__ import annotations

from assistant.cli.output import print_json
from assistant.desktop import autostart


def register(sub) -> None:
    p = sub.add_parser("autostart", help="start Heron when you log in (on|off|status)")
    p.add_argument("what", choices=["on", "off", "status"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=handle)


def handle(args, ctx) -> int:
    if args.what != "status":
        autostart.set_enabled(args.what == "on")
    enabled = autostart.is_enabled()
    if args.json:
        print_json({"autostart": enabled, "file": str(autostart.autostart_file())})
    else:
        print(f"autostart: {autostart.describe()}")
    return 0
