"""`heron screen`, `heron look IMAGE` and `heron camera --snapshot FILE`: what is on the
screen / in an image (OCR text with boxes, QR codes, errors found, faces), and a
camera snapshot. Text is redacted as [vision] says (on by default). Errors are coded
(vision.errors.VisionError: exit 2 bad input, 6 no display/camera), never tracebacks."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from assistant.builtins.error_fixes import diagnose
from assistant.builtins.screen_help import answer, find_errors, headings
from assistant.builtins.screen_ocr import ScreenOcr
from assistant.cli.output import print_json
from vision.options import VisionOptions
from vision.types import Frame, reading_order


def register(sub) -> None:
    p = sub.add_parser("screen", help="read the screen: OCR text with boxes, errors, windows",
                       description="Capture the screen (excluded windows blacked out), read "
                                   "its text and report lines with boxes, windows, QR codes "
                                   "and anything that looks like an error. Secrets are masked.")
    p.add_argument("--target", default="all",
                   help="all | active | monitor:N | region:X,Y,W,H (default all)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=screen)

    p = sub.add_parser("look", help="analyse an image: OCR text with boxes, QR codes, errors, "
                                    "faces")
    p.add_argument("image", type=Path, help="a PNG or JPEG file")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=look)

    p = sub.add_parser("camera", help="take a camera snapshot",
                       description="Save one camera frame as PNG/JPEG. --device: an index, a "
                                   "name, /dev/videoN or a video file ([vision] camera by "
                                   "default). Exit 6 when there is no camera.")
    p.add_argument("--snapshot", type=Path, required=True, metavar="FILE",
                   help="where to save the picture (.png or .jpg)")
    p.add_argument("--device", default="", help="the camera (default: [vision] camera)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=camera)


def analyse(frame: Frame, options: VisionOptions, ocr: ScreenOcr | None = None,
            titles: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """OCR (redacted), codes, errors and faces in one frame, as plain data."""
    from vision.detect import CodeReader, HaarFaceDetector

    ocr = ocr or ScreenOcr(options)
    result, redaction = ocr.read_sync(frame)
    dx, dy = frame.origin
    codes, masked = [], Counter(dict(redaction.counts))
    for code in CodeReader().read(frame.image):
        red = ocr.redact(code.text)
        masked.update(dict(red.counts))
        codes.append({"kind": code.kind, "text": red.text,
                      "box": code.box.translate(dx, dy).to_dict()})
    faces = HaarFaceDetector().detect(frame.image)
    rows = reading_order(result.lines)
    texts = [row.text for row in rows]
    errors = find_errors(texts, titles)
    found = diagnose(texts, titles)
    return {
        "source": frame.source, "size": {"w": frame.width, "h": frame.height},
        "origin": {"x": dx, "y": dy}, "text": result.text,
        "lines": [ln.to_dict() for ln in result.lines],
        "headings": [h.text for h in headings(result.lines)],
        "errors": [{**e.to_dict(), "box": rows[e.line].box.to_dict()
                    if e.line is not None else None} for e in errors],
        "summary": answer(errors, found), "fix": found.to_dict() if found else None,
        "fix_command": found.command if found else "", "codes": codes,
        "faces": [f.box.translate(dx, dy).to_dict() for f in faces.faces],
        "redacted": dict(sorted(masked.items())), "redaction": options.redact,
        "ocr_ms": round(result.stats.elapsed_ms, 1), "untrusted": True,
    }


def _print(report: dict[str, Any]) -> None:
    print(f"{report['source']}  {report['size']['w']}x{report['size']['h']}  "
          f"({len(report['lines'])} lines, OCR {report['ocr_ms']:.0f} ms)")
    for w in report.get("windows", []):
        print(f"  window {w['id']}  {w['title']!r}" + ("  (active)" if w.get("active") else ""))
    print()
    for ln in report["lines"]:
        b = ln["box"]
        print(f"  {b['x']:>5},{b['y']:<5} {b['w']:>4}x{b['h']:<3}  {ln['text']}")
    for code in report["codes"]:
        print(f"\n{code['kind']} code: {code['text']}")
    if report["faces"]:
        print(f"\nfaces: {len(report['faces'])}")
    print(f"\n{report['summary']}")
    masked = report["redacted"]
    if masked:
        print("masked: " + ", ".join(f"{n} {k}" for k, n in sorted(masked.items())))


def screen(args, ctx) -> int:
    from assistant.builtins.screen_backends import X11Screen

    options = ctx.config.vision
    backend = X11Screen(options)
    try:
        frame = backend.grab(args.target)
        windows, active = backend.windows()
    finally:
        backend.close()
    ocr = ScreenOcr(options, ctx.store)
    titled = [(w, ocr.redact(w.title).text) for w in windows]
    report = analyse(frame, options, ocr, [t for _, t in titled])
    report["target"] = args.target
    report["windows"] = [{**w.to_dict(), "title": t,
                          "active": active is not None and w.id == active.id}
                         for w, t in titled]
    return _emit(report, args.json)


def _emit(report: dict, as_json: bool) -> int:
    if as_json:
        print_json(report)
    else:
        _print(report)
    return 0


def look(args, ctx) -> int:
    from vision.image import load_image

    image = load_image(args.image, ctx.config.vision.max_image_pixels)
    frame = Frame(image, (0, 0), str(args.image))
    report = analyse(frame, ctx.config.vision, ScreenOcr(ctx.config.vision, ctx.store))
    return _emit(report, args.json)


def camera(args, ctx) -> int:
    from vision.camera import CameraOptions, open_camera
    from vision.image import save_image

    device = args.device or ctx.config.vision.camera
    source = open_camera(CameraOptions(device=device))
    try:
        frame = source.read()
        path = save_image(args.snapshot, frame.image)
    finally:
        source.close()
    report = {"path": str(path), "width": frame.width, "height": frame.height,
              "source": frame.source}
    if args.json:
        print_json(report)
    else:
        print(f"saved {path} ({frame.width}x{frame.height}) from {frame.source}")
    return 0
