"""`heron history [--json] [--limit N] [--search TEXT] [--clear --yes]`: the conversation
Heron remembers (and gives the LLM as context)."""

from __future__ import annotations

import datetime as dt

from assistant.cli.audit_cmd import positive_int
from assistant.cli.output import print_json
from assistant.memory import HistoryError, Memory
from assistant.storage import Storage


def register(sub) -> None:
    p = sub.add_parser("history", help="the remembered conversation",
                       description="List, search or clear the conversation history.")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--limit", type=positive_int, default=50, metavar="N",
                   help="show the newest N turns (default 50)")
    p.add_argument("--search", metavar="TEXT", help="only turns containing TEXT")
    p.add_argument("--clear", action="store_true", help="forget the whole conversation")
    p.add_argument("--yes", action="store_true", help="confirm --clear")
    p.set_defaults(handler=handle)


def handle(args, ctx) -> int:
    ctx.paths.data_dir.mkdir(parents=True, exist_ok=True)
    storage = Storage(ctx.paths.db_file)
    try:
        memory = Memory(storage)
        if args.clear:
            return _clear(memory, args)
        turns = memory.search(args.search, args.limit) if args.search else \
            memory.turns(args.limit)
        total = memory.count()
    finally:
        storage.close()
    if args.json:
        print_json({"total": total, "turns": [t.to_dict() for t in turns]})
        return 0
    if not turns:
        print("no matching turns" if args.search else "no conversation yet")
        return 0
    for t in turns:
        when = dt.datetime.fromtimestamp(t.ts).strftime("%Y-%m-%d %H:%M:%S")
        who = "you" if t.role == "user" else "heron" if t.role == "assistant" else t.role
        print(f"{when}  {who:<5} ({t.source})  {t.text}")
    return 0


def _clear(memory: Memory, args) -> int:
    if not args.yes:
        raise HistoryError("history.confirm_clear",
                           f"--clear would forget all {memory.count()} turn(s) of conversation",
                           "run `heron history --clear --yes` to really clear it")
    n = memory.clear()
    if args.json:
        print_json({"cleared": n})
    else:
        print(f"cleared {n} turn(s) of conversation")
    return 0
