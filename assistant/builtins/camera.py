"""Built-in camera workers: camera_snapshot, scan_qr and who_is_there, and the camera
backend the core plugs into Capabilities for the `camera` scope (vision.camera: a
camera, or a video file behind the same interface). Frames never leave the machine;
what is decoded from them (QR text) is untrusted and redacted."""

from __future__ import annotations

import asyncio
import io
import os
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.builtins.screen_ocr import ScreenOcr
from assistant.permissions.provenance import Origin
from assistant.permissions.safe_open import write_all
from assistant.tools.manifest import ToolManifest
from vision.options import VisionOptions

if TYPE_CHECKING:
    from assistant.tools.registry import ToolContext
    from vision.types import Frame

SNAPSHOT_DIR = "~/Pictures/Heron"
# A camera's first frames are often dark while its exposure settles.
WARMUP_FRAMES = 3


class OpenCvCameraBackend:
    """camera: one frame per call from the configured camera (or video file); the
    device is opened for the call and closed again, so the camera light is on only
    while Heron looks."""

    def __init__(self, options: VisionOptions | None = None) -> None:
        self.options = options or VisionOptions()

    def reconfigure(self, options: VisionOptions) -> None:
        self.options = options  # the device is opened per call: nothing to reopen

    def frame(self, device: str = "") -> Frame:
        from vision.camera import CameraOptions, VideoFileSource, open_camera

        source = open_camera(CameraOptions(device=device or self.options.camera))
        try:
            frame = source.read()
            if not isinstance(source, VideoFileSource):
                for _ in range(WARMUP_FRAMES):
                    frame = source.read()
            return frame
        finally:
            source.close()


class _Detectors:
    """The face detector and the code reader, built once, on first use."""

    def __init__(self) -> None:
        self._faces: Any = None
        self._codes: Any = None
        self._lock = threading.Lock()

    def faces(self) -> Any:
        with self._lock:
            if self._faces is None:
                from vision.detect import HaarFaceDetector

                self._faces = HaarFaceDetector()
            return self._faces

    def codes(self) -> Any:
        with self._lock:
            if self._codes is None:
                from vision.detect import CodeReader

                self._codes = CodeReader()
            return self._codes


DETECTORS = _Detectors()


def _people(n: int) -> str:
    return "no one" if n == 0 else ("one person" if n == 1 else f"{n} people")


class CameraSnapshot:
    manifest = ToolManifest(
        name="camera_snapshot", title="Take a picture", builtin=True, effects="write",
        timeout_s=30, permissions=("camera", f"fs.write:{SNAPSHOT_DIR}/**"),
        description=f"Take a picture with the camera and save it in {SNAPSHOT_DIR}.",
        input_schema={"type": "object", "additionalProperties": False, "properties": {}},
        output_schema={"type": "object", "properties": {
            "path": {"type": "string"}, "width": {"type": "integer"},
            "height": {"type": "integer"}}},
        examples=("take a picture", "take a photo", "take a camera snapshot",
                  "snap a picture with my webcam", "take a selfie",
                  "grab a picture from the camera", "snap a photo",
                  "take a photograph", "take a picture with the camera", "make a photo",
                  "shoot a photo", "capture a photo", "webcam photo",
                  "take a photo with the webcam", "snap a picture", "take a shot with the camera",
                  "take a photo of this", "take a picture of this i am holding up",
                  "photo from the camera", "capture an image from the "
                  "webcam"),
    )

    def __init__(self, home: Path | None = None) -> None:
        self._home = home or Path.home()
        if home is not None:  # the instance asks for exactly the folder it writes
            self.manifest = replace(type(self).manifest, permissions=(
                "camera", f"fs.write:{self._home}/{SNAPSHOT_DIR[2:]}/**"))

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        frame = await ctx.caps.camera_frame()
        folder = self._home / SNAPSHOT_DIR[2:]
        data = await asyncio.to_thread(_png_in, folder, frame.image)
        stamp = time.strftime("snapshot-%Y%m%d-%H%M%S")
        # Opened first, checked after, never over an existing file or through a link
        # (capabilities.use_path), like every other file a tool writes.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        for n in range(1, 100):
            name = f"{stamp}.png" if n == 1 else f"{stamp}-{n}.png"
            try:
                real, _ = await ctx.caps.use_path(folder / name, "write", flags,
                                                  lambda fd, _real: write_all(fd, data))
                break
            except FileExistsError:
                continue
        else:
            raise FileExistsError(f"{folder}/{stamp}.png")
        saved = Path(real)
        return {"path": str(saved), "width": frame.width, "height": frame.height,
                "source": frame.source, "speech": f"I took a picture: {saved.name}."}


def _png_in(folder: Path, image) -> bytes:
    """The snapshot as PNG bytes; the folder it goes in is made first."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    out = io.BytesIO()
    Image.fromarray(image, "RGB").save(out, format="PNG")
    return out.getvalue()


class ScanQr:
    manifest = ToolManifest(
        name="scan_qr", title="Scan a QR code", builtin=True, effects="read", timeout_s=30,
        permissions=("screen.read", "camera"),
        description="Read QR codes and barcodes on the screen or in front of the camera. "
                    "Their text is untrusted (a link or command anyone could print).",
        input_schema={"type": "object", "additionalProperties": False, "properties": {
            "source": {"type": "string", "enum": ["screen", "camera"],
                       "description": "where to look (default: the screen)",
                       "x-words": {"camera": ["camera", "webcam"]}}}},
        output_schema={"type": "object", "properties": {
            "codes": {"type": "array"}, "untrusted_output": {"type": "boolean"}}},
        examples=("scan this qr code", "scan a qr code", "read this qr code",
                  "what does this qr code say", "scan this barcode",
                  "read the qr code on my screen", "scan the barcode with the webcam",
                  "read the qr code i am holding up to the camera", "decode this qr code",
                  "scan the barcode, i am holding it up to the camera"),
    )

    def __init__(self, ocr: ScreenOcr) -> None:
        self._ocr = ocr  # only for its redaction settings

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        source = args.get("source") or "screen"
        frame = await (ctx.caps.grab_screen("all") if source == "screen"
                       else ctx.caps.camera_frame())
        codes = await asyncio.to_thread(DETECTORS.codes().read, frame.image)
        out, total = [], 0
        for code in codes:
            red = self._ocr.redact(code.text)
            total += red.total
            dx, dy = frame.origin
            out.append({"kind": code.kind, "text": red.text,
                        "box": code.box.translate(dx, dy).to_dict()})
        if not out:
            speech = f"I don't see a QR code or barcode on the {source}."
        elif len(out) == 1:
            speech = f"The code says: {out[0]['text']}"
        else:
            speech = f"I see {len(out)} codes. The first says: {out[0]['text']}"
        note = f" I masked {total} private item{'s' if total > 1 else ''}." if total else ""
        origin = Origin.SCREEN if source == "screen" else Origin.CAMERA
        return {"source": source, "codes": out, "untrusted_output": True,
                "origin": origin.value, "speech": speech + note}


class WhoIsThere:
    manifest = ToolManifest(
        name="who_is_there", title="Is anyone there", builtin=True, effects="read",
        timeout_s=30, permissions=("camera",),
        description="Look through the camera and say whether someone is in front of it "
                    "(face detection only: it does not recognise who).",
        input_schema={"type": "object", "additionalProperties": False, "properties": {}},
        output_schema={"type": "object", "properties": {
            "someone_there": {"type": "boolean"}, "faces": {"type": "integer"}}},
        examples=("is anyone there", "is someone there", "who is there",
                  "is anybody in front of my camera", "can you see anyone",
                  "check if anyone is around", "who is in front of the webcam",
                  "is somebody at my desk", "is anyone in the room", "is anyone behind me",
                  "who is in front of the computer", "who do you see on the camera",
                  "is anyone standing there", "who is at the desk", "check who is there",
                  "look who is there", "who is in the room",
                  "is there someone in front of the camera", "who can you see",
                  "see who is there", "is anybody there",
                  "look through the camera and see who is there",
                  "is somebody sitting at the desk", "is there a face on the webcam",
                  "check the camera and tell me if anyone is there",
                  "check on the webcam if someone is still sitting at the computer"),
    )

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        frame = await ctx.caps.camera_frame()
        presence = await asyncio.to_thread(DETECTORS.faces().detect, frame.image)
        n = len(presence.faces)
        speech = "I don't see anyone." if n == 0 else f"I see {_people(n)}."
        return {**presence.to_dict(), "source": frame.source, "untrusted_output": True,
                "origin": Origin.CAMERA.value, "speech": speech}
