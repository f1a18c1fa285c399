"""`heron devices [--json]`: the audio devices PortAudio sees, which ones Heron would use
with the current config, and what to write in config.toml to pick another; and the
cameras (/dev/video*) that deliver frames."""

from __future__ import annotations

from typing import Any

from assistant.cli.output import print_json
from audio.devices import DeviceInfo, find_input, find_output, list_devices
from audio.errors import DeviceError

EXIT_DEVICE_MISSING = 6


def register(sub) -> None:
    p = sub.add_parser(
        "devices", help="list microphones and speakers, and which ones Heron uses",
        description="List the audio devices PortAudio sees (index, name, host API, channels, "
                    "default rate), mark the system defaults and the ones Heron would use with "
                    "[audio] input_device / output_device. Exit 6 when a chosen device is "
                    "missing.",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=run)


def _row(d: DeviceInfo, output: bool) -> dict[str, Any]:
    return {"index": d.index, "name": d.name, "host_api": d.host_api,
            "channels": d.outputs if output else d.inputs,
            "default_rate_hz": d.default_rate_hz,
            "is_default": d.is_default_output if output else d.is_default_input}


def _choice(setting: str, find, options) -> dict[str, Any]:
    try:
        device = find(options)
    except DeviceError as err:
        return {"setting": setting, "device": None, "error": err.to_dict()}
    return {"setting": setting, "device": {"index": device.index, "name": device.name},
            "error": None}


def build_report(options, config_file) -> dict[str, Any]:
    """Everything `heron devices` shows, as plain data."""
    devices = list_devices()
    inputs = [_row(d, False) for d in devices if d.inputs > 0]
    outputs = [_row(d, True) for d in devices if d.outputs > 0]
    selected = {"input": _choice(options.input_device, find_input, options),
                "output": _choice(options.output_device, find_output, options)}
    from vision.camera import list_cameras

    return {
        "inputs": inputs,
        "outputs": outputs,
        "cameras": [{"index": c.index, "path": c.path, "name": c.name} for c in list_cameras()],
        "selected": selected,
        "config_file": str(config_file),
        "config_help": (f'[audio]\ninput_device = "{_example(inputs, selected["input"])}"'
                        '  # part of a name, or an index; "" = the system default\n'
                        f'output_device = "{_example(outputs, selected["output"])}"'),
    }


def _example(rows: list[dict[str, Any]], choice: dict[str, Any]) -> str:
    """A device name other than the one in use, to show what a setting looks like."""
    used = choice["device"]["index"] if choice["device"] else None
    others = [r["name"] for r in rows if r["index"] != used]
    return others[0] if others else (rows[0]["name"] if rows else "NAME")


def run(args, ctx) -> int:
    report = build_report(ctx.config.audio, ctx.paths.config_file)
    missing = any(c["error"] for c in report["selected"].values())
    if args.json:
        print_json(report)
        return EXIT_DEVICE_MISSING if missing else 0
    for title, key in (("Microphones (input)", "inputs"), ("Speakers (output)", "outputs")):
        print(f"{title}:")
        rows = report[key]
        if not rows:
            print("  none")
        width = max((len(r["name"]) for r in rows), default=0)
        chosen = report["selected"][key[:-1]]["device"]
        for r in rows:
            marks = [m for m, on in (("system default", r["is_default"]),
                                     ("Heron uses this", chosen and chosen["index"] == r["index"]))
                     if on]
            print(f"  {r['index']:>3}  {r['name']:<{width}}  {r['host_api']:<6} "
                  f"{r['channels']:>3} ch  {r['default_rate_hz']:>6} Hz  {', '.join(marks)}")
        print()
    print("Cameras:")
    for cam in report["cameras"]:
        print(f"  {cam['index']:>3}  {cam['name']}  ({cam['path']})")
    if not report["cameras"]:
        print("  none (`heron camera --device FILE` reads a video file instead)")
    print()
    for label, key in (("microphone", "input"), ("speaker", "output")):
        choice = report["selected"][key]
        setting = f'[audio] {key}_device = "{choice["setting"]}"'
        if choice["error"]:
            err = choice["error"]
            print(f"Heron's {label}: none ({setting}): {err['message']}")
            print(f"  → {err['hint']}")
        else:
            dev = choice["device"]
            print(f"Heron's {label}: {dev['index']}: {dev['name']}  ({setting})")
    print(f"\nTo pick another, put in {report['config_file']}:")
    print("  " + report["config_help"].replace("\n", "\n  "))
    return EXIT_DEVICE_MISSING if missing else 0
