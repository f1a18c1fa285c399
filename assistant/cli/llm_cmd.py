"""`heron llm key [--clear]` and `heron llm status [--json]`: the language model's
API key (kept in the OS keyring, or a 0600 file without one) and what [llm] selects."""

from __future__ import annotations

import getpass
import sys

from assistant.agent.llm import api_key
from assistant.cli.output import print_json
from assistant.secrets import SecretStore
from models.errors import CodedError


class LlmCommandError(CodedError):
    exit_code = 2


def register(sub) -> None:
    p = sub.add_parser("llm", help="the optional language model: API key and status")
    llm_sub = p.add_subparsers(dest="llm_command", metavar="SUBCOMMAND", required=True)
    key = llm_sub.add_parser("key", help="store the API key (read from the terminal or stdin)")
    key.add_argument("--clear", action="store_true", help="forget the stored key")
    key.set_defaults(handler=run_key)
    status = llm_sub.add_parser("status", help="which model [llm] uses, and whether a key is set")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=run_status)


def run_key(args, ctx) -> int:
    name = ctx.config.llm.api_key_name
    if not name:
        raise LlmCommandError("llm.no_key_name", "[llm] api_key_name is empty",
                              'set api_key_name = "llm_api_key" in config.toml')
    store = SecretStore(ctx.paths.data_dir)
    if args.clear:
        store.delete(name)
        print(f"API key {name!r} removed from the {store.backend}.")
        return 0
    value = (getpass.getpass("API key (not shown): ") if sys.stdin.isatty()
             else sys.stdin.readline()).strip()
    if not value:
        raise LlmCommandError("llm.empty_key", "no API key was given",
                              "paste the key, or pipe it in: `heron llm key < keyfile`")
    store.set(name, value)
    print(f"API key {name!r} stored in the {store.backend}.")
    return 0


def run_status(args, ctx) -> int:
    o = ctx.config.llm
    data = {"mode": o.mode, "base_url": o.base_url if o.mode == "openai" else "",
            "model": o.model, "api_key_set": bool(api_key(o, ctx.paths.data_dir)),
            "api_key_name": o.api_key_name}
    if args.json:
        print_json(data)
        return 0
    if o.mode == "off":
        print("LLM: off ([llm] mode = \"off\"): the router answers known commands; "
              "set mode = \"openai\" or \"embedded\" in config.toml to add a model.")
    elif o.mode == "openai":
        print(f"LLM: OpenAI-compatible server at {o.base_url}, model {o.model or '(default)'};"
              f" API key {'set' if data['api_key_set'] else 'not set (`heron llm key`)'}")
    else:
        print("LLM: embedded SmolLM2-135M (llama.cpp, on this machine)")
    return 0
