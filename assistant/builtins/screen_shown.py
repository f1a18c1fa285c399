"""show_screen_reading: "show me what you read" — the screenshot Heron read, with the
boxes of the lines and controls it found, for the tray's window (gui/
screen_reading_window.py opens it from this tool's ToolCallFinished). Every line that
redaction changed, and every field labelled as secret (password, PIN, CVC, card, IBAN,
token, key), is blacked out in the picture before it is written; the file is private
(0600), replaced on every call, and deleted by the tray once shown. What OCR could not
read at all (too faint to recognise) is not known to be secret and stays visible."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.builtins.screen import TARGET_ONLY, ScreenTool, masked_note
from assistant.builtins.screen_ocr import ScreenOcr
from assistant.secrets import write_private_bytes
from assistant.tools.manifest import ToolManifest
from vision.controls import ControlKind, controls_on

if TYPE_CHECKING:
    from assistant.tools.registry import ToolContext
    from vision.types import Box

PICTURE = "last-reading.png"
SECRET_FIELD = re.compile(r"pass|pin\b|cvc|cvv|csc|security code|card|iban|token|secret|key",
                          re.IGNORECASE)


class ShowScreenReading(ScreenTool):
    manifest = ToolManifest(
        name="show_screen_reading", title="Show what Heron read", builtin=True,
        effects="read", timeout_s=60, permissions=("screen.read",),
        description="Show the user the screenshot Heron read, with a box around each "
                    "line of text and each control it found (secrets blacked out), in "
                    "Heron's window.",
        input_schema=TARGET_ONLY,
        output_schema={"type": "object", "properties": {
            "image": {"type": "string"}, "lines": {"type": "array"},
            "controls": {"type": "array"}, "untrusted_output": {"type": "boolean"}}},
        examples=("show me what you read", "show me what you see on the screen",
                  "show me the boxes", "show me what you read on the screen",
                  "show me how you see my screen", "show what you recognised",
                  "show me the text you found on the screen", "let me see what you read",
                  "show me what you found on the screen", "show the screenshot you read",
                  "let me see what you saw on my screen", "show me the boxes you read"),
    )

    def __init__(self, ocr: ScreenOcr, directory: Path) -> None:
        super().__init__(ocr)
        self.directory = directory

    async def run(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        frame = await ctx.caps.grab_screen(args.get("target") or "all")
        result, redaction, masked = await self.ocr.read_masked(frame)
        controls = await asyncio.to_thread(controls_on, frame.image, frame.origin,
                                           result.lines)
        # a field labelled as secret is blacked out too, whatever OCR made of its value
        masked = [*masked, *(c.box for c in controls if c.kind == ControlKind.FIELD
                             and SECRET_FIELD.search(c.label))]
        path = self.directory / PICTURE
        await asyncio.to_thread(self._save, frame.image, frame.origin, masked, path)
        n, c = len(result.lines), len(controls)
        return {"image": str(path), "origin": list(frame.origin),
                "size": [frame.width, frame.height],
                "lines": [{"text": ln.text, "box": ln.box.to_dict()} for ln in result.lines],
                "controls": [ctl.to_dict() for ctl in controls],
                "masked": [b.to_dict() for b in masked], "untrusted_output": True,
                "speech": f"Here is what I read: {n} line{'s' if n != 1 else ''} of text and "
                          f"{c} control{'s' if c != 1 else ''}, boxed on the screenshot in "
                          f"Heron's window." + masked_note(redaction)}

    def _save(self, image: np.ndarray, origin: tuple[int, int], masked: list[Box],
              path: Path) -> None:
        from PIL import Image

        picture = np.array(image, copy=True)
        height, width = picture.shape[:2]
        for box in masked:  # screen pixels → the picture's
            x0, y0 = max(0, box.x - origin[0] - 2), max(0, box.y - origin[1] - 2)
            x1 = min(width, box.right - origin[0] + 2)
            y1 = min(height, box.bottom - origin[1] + 2)
            picture[y0:y1, x0:x1] = 0
        out = io.BytesIO()
        Image.fromarray(picture).save(out, format="PNG")
        self.directory.mkdir(parents=True, exist_ok=True)
        write_private_bytes(path, out.getvalue())
