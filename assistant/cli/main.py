"""Entry point: parse arguments, dispatch to a command module, turn errors into
coded messages and exit codes (never a traceback at the user)."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence

from assistant import __version__
from assistant.cli import (
    ask_cmd,
    audit_cmd,
    bench_cmd,
    companion_cmd,
    desktop_cmd,
    devices_cmd,
    doctor_cmd,
    ha_cmd,
    history_cmd,
    llm_cmd,
    mcp_cmd,
    models_cmd,
    run_cmd,
    toggle_cmd,
    vision_cmd,
    voice_cmd,
    wake_cmd,
    workers_cmd,
    wyoming_cmd,
)
from assistant.cli.context import Context
from assistant.cli.output import print_error
from assistant.last_error import record_last_error
from assistant.logging_limits import limit_repeats
from models.errors import CodedError

COMMAND_MODULES = (run_cmd, doctor_cmd, models_cmd, ask_cmd, voice_cmd, devices_cmd, wake_cmd,
                   bench_cmd, workers_cmd, audit_cmd, history_cmd, llm_cmd, mcp_cmd, vision_cmd,
                   companion_cmd, desktop_cmd, wyoming_cmd, ha_cmd)

EXIT_CODES = """exit codes:
  0  success
  1  internal error (details written to the cache dir)
  2  bad usage or bad input (unreadable audio, bad arguments)
  3  no speech heard
  4  a model file is missing or corrupt (the message gives the reinstall command)
  5  config.toml is malformed or invalid
  6  a device is missing (microphone, speaker, display)
  7  something essential is missing or damaged (`heron doctor`; a damaged heron.db)
  8  the audit log was tampered with (`heron audit verify`)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="heron",
        description="Heron: a local, private voice and vision assistant.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"heron {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging to stderr")
    parser.add_argument("--toggle", action="store_true",
                        help="push-to-talk in the running Heron: start listening, or stop "
                             "(bind it to a key)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    limit_repeats()  # a flood of one message (accept errors, say) is summed up
    if args.toggle:
        args.handler = toggle_cmd.handle
    elif args.command is None:  # bare `heron` runs the assistant
        args = parser.parse_args(["run", *(argv or [])])
    ctx = Context()
    as_json = bool(getattr(args, "json", False))
    try:
        return int(args.handler(args, ctx) or 0)
    except CodedError as err:
        if err.code == "turn.failed":  # a bug inside a stage, wrapped: keep its traceback
            where = record_last_error(ctx.paths.cache_dir, err, "heron " + str(args.command))
            if where is not None:
                err.hint = f"details in {where}; please report it"
        print_error(err, as_json)
        return err.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `heron … | head`: the reader left, nothing to report
        sys.stderr.close()
        return 0
    except Exception as err:  # last resort: keep the traceback for a bug report
        path = record_last_error(ctx.paths.cache_dir, err, "heron " + str(args.command))
        where = f"details in {path}" if path is not None else "run with -v for details"
        print_error(CodedError("internal", f"unexpected error: {err}",
                               f"{where}; please report it"), as_json)
        if args.verbose:
            traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main())
