"""`heron ha login [--url URL]` and `heron ha status [--json]`: connect Heron to the
user's Home Assistant. The long-lived access token is checked against the server
(`GET /api/`) before it is stored in the secret store; the address goes into
config.toml's [home_assistant] (comments kept)."""

from __future__ import annotations

import asyncio
import getpass
import sys
from dataclasses import replace

from assistant.builtins.home_assistant_client import HomeAssistantClient, HomeAssistantError
from assistant.builtins.home_assistant_options import HomeAssistantOptions
from assistant.cli.output import print_json
from assistant.config_patch import update_config_file
from assistant.secrets import SecretStore
from models.errors import CodedError

EXAMPLE_URL = "http://homeassistant.local:8123"


class HaCommandError(CodedError):
    exit_code = 2


def register(sub) -> None:
    p = sub.add_parser("ha", help="connect Home Assistant for home control")
    ha_sub = p.add_subparsers(dest="ha_command", metavar="SUBCOMMAND", required=True)
    login = ha_sub.add_parser(
        "login", help="check and store a long-lived access token (read from the terminal "
                      "or stdin), and save the address in config.toml",
        description="Create the token in Home Assistant: your profile → Security → "
                    "Long-lived access tokens.")
    login.add_argument("--url", help=f"Home Assistant's address, e.g. {EXAMPLE_URL} "
                                     "(default: [home_assistant] url)")
    login.add_argument("--json", action="store_true", help="print JSON")
    login.set_defaults(handler=run_login)
    status = ha_sub.add_parser("status", help="the address, whether a token is stored, and "
                                              "whether Home Assistant answers with it")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(handler=run_status)


def run_login(args, ctx) -> int:
    current = ctx.config.home_assistant
    url = (args.url or current.url).strip()
    if not url:
        raise HaCommandError("ha.no_url", "no Home Assistant address given",
                             f"pass it: `heron ha login --url {EXAMPLE_URL}`")
    try:
        options = replace(current, url=url.rstrip("/"))
    except ValueError as err:
        raise HaCommandError("ha.bad_url", str(err), f"use an address such as {EXAMPLE_URL}") \
            from None
    token = (getpass.getpass("Long-lived access token (not shown): ") if sys.stdin.isatty()
             else sys.stdin.readline()).strip()
    if not token:
        raise HaCommandError("ha.empty_token", "no access token was given",
                             "paste it, or pipe it in: `heron ha login --url URL < tokenfile`")
    greeting = asyncio.run(HomeAssistantClient(options).check(token))  # raises: nothing stored
    store = SecretStore(ctx.paths.data_dir)
    store.set(options.token_name, token)
    if options.url != current.url:
        update_config_file(ctx.paths.config_file, {"home_assistant": {"url": options.url}})
    data = {"url": options.url, "token_name": options.token_name, "stored_in": store.backend,
            "message": greeting}
    if args.json:
        print_json(data)
    else:
        said = f" ({greeting})" if greeting else ""
        print(f"Home Assistant at {options.url} accepted the token{said}; stored as "
              f"{options.token_name!r} in the {store.backend}.")
        print("Restart Heron (if it is running) to turn on home control.")
    return 0


def run_status(args, ctx) -> int:
    options = ctx.config.home_assistant
    token = SecretStore(ctx.paths.data_dir).get(options.token_name) if options.url else None
    data: dict = {"url": options.url, "token_name": options.token_name,
                  "token_stored": bool(token), "reachable": False, "error": None}
    if options.url and token:
        try:
            data["message"] = asyncio.run(HomeAssistantClient(options).check(token))
            data["reachable"] = True
        except HomeAssistantError as err:
            data["error"] = err.to_dict()
    if args.json:
        print_json(data)
        return 0
    _print_status(options, data)
    return 0


def _print_status(options: HomeAssistantOptions, data: dict) -> None:
    if not options.url:
        print(f"Home control: off. Connect Home Assistant: `heron ha login --url "
              f"{EXAMPLE_URL}`")
        return
    print(f"Home Assistant: {options.url}")
    if not data["token_stored"]:
        print(f"Token: not stored ({options.token_name!r}): run `heron ha login`")
    elif data["reachable"]:
        print(f"Token: stored; Home Assistant answers ({data.get('message') or 'ok'})")
    else:
        err = data["error"]
        print(f"Token: stored; {err['message']} [{err['code']}]")
        if err.get("hint"):
            print(f"  → {err['hint']}")
