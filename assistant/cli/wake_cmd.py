"""`heron wake enroll|list|remove|test`: wake words, built-in and enrolled by voice."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

from assistant.cli.output import print_json
from audio.enroll import MAX_SAMPLES, MIN_SAMPLES, EnrollError
from models.catalog import get_spec, specs_for_role
from models.errors import CodedError


def register(sub) -> None:
    p = sub.add_parser("wake", help="wake words: enroll your own, list, remove, test")
    wsub = p.add_subparsers(dest="wake_command", metavar="ACTION", required=True)

    e = wsub.add_parser("enroll", help="make a wake word from 3–5 spoken samples")
    e.add_argument("name", help="e.g. hey_heron (then [wake] model = \"hey_heron\")")
    e.add_argument("--samples", type=int, default=3, metavar="N",
                   help=f"how many to record from the microphone ({MIN_SAMPLES}–5)")
    e.add_argument("--from-files", nargs="+", type=Path, metavar="WAV",
                   help="use recordings instead of the microphone")
    e.add_argument("--force", action="store_true", help="replace an enrolled word")
    e.add_argument("--json", action="store_true")
    e.set_defaults(handler=handle_enroll)

    ls = wsub.add_parser("list", help="built-in and enrolled wake words")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=handle_list)

    rm = wsub.add_parser("remove", help="delete an enrolled wake word")
    rm.add_argument("name")
    rm.add_argument("--json", action="store_true")
    rm.set_defaults(handler=handle_remove)

    t = wsub.add_parser("test", help="run the configured wake words over audio files")
    t.add_argument("files", nargs="+", type=Path, metavar="FILE")
    t.add_argument("--model", action="append", metavar="NAME",
                   help="wake word(s) to use instead of [wake] in config.toml")
    t.add_argument("--json", action="store_true")
    t.set_defaults(handler=handle_test)


def wake_dir(ctx) -> Path:
    """Where enrolled wake words live: DATA/wake/NAME.npz + NAME.json."""
    return ctx.paths.wake_dir


def _builtin_ids() -> list[str]:
    return [s.id for s in specs_for_role("wake")]


def handle_enroll(args, ctx) -> int:
    from audio.enroll import build, check_new_word, file_clip
    from audio.file_source import decode_file
    from audio.vad import SileroVad, VadOptions
    from audio.wake import WakeFeatures

    name = args.name
    folder = wake_dir(ctx)
    check_new_word(name, folder, _builtin_ids(), args.force,
                   None if args.from_files else args.samples)
    vad = SileroVad(VadOptions(), ctx.store)
    if args.from_files:
        if not MIN_SAMPLES <= len(args.from_files) <= MAX_SAMPLES:
            raise EnrollError("enroll.too_few_samples" if len(args.from_files) < MIN_SAMPLES
                              else "enroll.too_many_samples",
                              f"{len(args.from_files)} file(s) given",
                              f"give {MIN_SAMPLES}–5 recordings of the wake phrase")
        clips = [file_clip(str(f), decode_file(f), vad) for f in args.from_files]
    else:
        clips = asyncio.run(_record(ctx, vad, name, args.samples, quiet=args.json))
    word = build(name, clips, WakeFeatures(ctx.store))
    path = word.save(folder)
    report = {"name": name, "path": str(path), "samples": len(clips),
              "distance_threshold": round(word.distance_threshold, 4),
              "leave_one_out_distances": word.meta["leave_one_out_distances"]}
    if args.json:
        print_json(report)
    else:
        print(f"enrolled {name} from {len(clips)} samples ({path})")
        print(f'use it: set [wake] model = "{name}" in {ctx.paths.config_file}')
    return 0


async def _record(ctx, vad, name: str, count: int, quiet: bool) -> list:
    from audio.enroll import record_clip, spoken_form
    from audio.mic import MicSource

    spoken = spoken_form(name)
    clips = []
    async with MicSource(ctx.config.audio) as mic:
        for i in range(1, count + 1):
            print(f"say {spoken!r} now ({i}/{count})", flush=True)
            clips.append(await record_clip(mic, vad, f"sample {i}"))
            if not quiet:
                print("  got it", flush=True)
    return clips


def _enrolled(ctx) -> list[dict]:
    rows = []
    for meta_path in sorted(wake_dir(ctx).glob("*.json")):
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            meta = {"name": meta_path.stem, "error": "unreadable: enroll it again"}
        rows.append({"name": meta_path.stem, "kind": "enrolled",
                     "samples": len(meta.get("samples", [])), "created": meta.get("created"),
                     "licence": "yours (made from your own recordings)",
                     **({"error": meta["error"]} if "error" in meta else {})})
    return rows


def _builtin_rows(options) -> list[dict]:
    """Each built-in phrase with the engines that know it and their models' licences."""
    from audio.wake_options import commercial_use, micro_spec_id

    rows = []
    for s in specs_for_role("wake"):
        engines = options.engines_for(s.id)
        licences = {"oww": s.licence} if "oww" in engines else {}
        if "micro" in engines:
            licences["micro"] = get_spec(micro_spec_id(s.id)).licence
        rows.append({"name": s.id, "kind": "built-in", "title": s.title,
                     "engines": list(engines),
                     "licence": "; ".join(f"{k}: {v}" for k, v in licences.items()),
                     "commercial_use": commercial_use(s.id, engines)})
    return rows


def handle_list(args, ctx) -> int:
    active = set(ctx.config.wake.model_names()) if ctx.config.wake.enabled else set()
    rows = _builtin_rows(ctx.config.wake) + _enrolled(ctx)
    for row in rows:
        row["active"] = row["name"] in active
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        mark = "*" if row["active"] else " "
        extra = (f"{'commercial use OK' if row['commercial_use'] else 'NON-COMMERCIAL'}"
                 f" ({'+'.join(row['engines']) or 'no engine'}): {row['licence']}"
                 if row["kind"] == "built-in"
                 else f"{row['samples']} samples, {row['created']}")
        print(f"{mark} {row['name']:<16} {row['kind']:<9} {extra}")
    print("* = in use ([wake] in config.toml). With [wake] engines = [\"micro\"], "
          "hey_jarvis, alexa and hey_mycroft use only microWakeWord's Apache-2.0 models.")
    return 0


def handle_remove(args, ctx) -> int:
    name = args.name
    if name in _builtin_ids():
        raise CodedError("wake.builtin", f"{name} is built in and cannot be removed",
                         "stop using it: change [wake] model in config.toml")
    files = [wake_dir(ctx) / f"{name}.{ext}" for ext in ("npz", "json")]
    if not any(f.exists() for f in files):
        raise EnrollError("wake.not_found", f"no enrolled wake word named {name}",
                          "see `heron wake list`")
    for f in files:
        f.unlink(missing_ok=True)
    in_use = name in ctx.config.wake.model_names()
    if args.json:
        print_json({"removed": name, "was_in_use": in_use})
    else:
        print(f"removed {name}")
        if in_use:
            print(f"note: [wake] in {ctx.paths.config_file} still names it: change it")
    return 0


def handle_test(args, ctx) -> int:
    from audio.file_source import decode_file, iter_frames
    from audio.wake import WakeWordDetector

    options = ctx.config.wake
    if args.model:
        try:
            options = replace(options, model=args.model[0], models=tuple(args.model),
                              tuning={})
        except ValueError as err:  # e.g. a word the configured engines do not know
            raise CodedError("wake.bad_model", str(err),
                             "choose another --model, or change [wake] engines") from err
    detector = WakeWordDetector(options, ctx.store, enrolled_dir=wake_dir(ctx))
    results = []
    for path in args.files:
        detector.reset()
        fired, best = [], 0.0
        for chunk in iter_frames(decode_file(path)):
            d = detector.step(chunk.samples)
            best = max(best, d.score)
            if d.fired:
                fired.append({"model": d.fired, "score": round(d.score, 4),
                              "engines": {k: round(v, 4)
                                          for k, v in d.engine_scores[d.fired].items()},
                              "audio_ms": chunk.timestamp_ms + chunk.duration_ms})
        results.append({"file": str(path), "detections": fired, "best_score": round(best, 4)})
    if args.json:
        print_json(results)
    else:
        for r in results:
            hits = ", ".join(f"{d['model']} at {d['audio_ms']} ms ({d['score']:.2f})"
                             for d in r["detections"]) or f"none (best {r['best_score']:.2f})"
            print(f"{r['file']}: {hits}")
    return 0

