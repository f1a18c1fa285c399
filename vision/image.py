"""Reading and writing image files strictly: an unreadable, truncated or non-image file
is a coded error naming the path, never a half-decoded picture."""

from __future__ import annotations

import io
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

from vision.errors import VisionError

log = logging.getLogger(__name__)

_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP", ".webp": "WEBP"}
# Screenshots of a few 8K monitors stay under this; anything bigger is a decompression bomb.
MAX_PIXELS = 200_000_000


def _bad(path: str, why: str) -> VisionError:
    return VisionError("vision.bad_image", f"cannot read image {path}: {why}",
                       "give a PNG or JPEG file that opens in an image viewer")


def decode_image(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode image bytes to (H, W, 3) uint8 RGB; VisionError(vision.bad_image) if the
    data is not a complete image."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise _bad(name, "the file is empty")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise _bad(name, f"{img.width}x{img.height} is too large")
            img.load()  # decode now: a truncated file fails here, not later
            rgb = img.convert("RGB")
    except UnidentifiedImageError as err:
        raise _bad(name, "not an image (or a format Pillow cannot read)") from err
    except Image.DecompressionBombError as err:
        raise _bad(name, "the image is too large") from err
    except (OSError, ValueError, SyntaxError) as err:  # Pillow: truncated/corrupt data
        raise _bad(name, f"the file is damaged or truncated ({err})") from err
    return np.asarray(rgb, dtype=np.uint8).copy()


def load_image(path: Path | str) -> np.ndarray:
    """Read an image file as (H, W, 3) uint8 RGB."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except IsADirectoryError as err:
        raise _bad(str(p), "it is a directory") from err
    except FileNotFoundError as err:
        raise _bad(str(p), "no such file") from err
    except OSError as err:
        raise _bad(str(p), err.strerror or str(err)) from err
    return decode_image(data, str(p))


def save_image(path: Path | str, image: np.ndarray, quality: int = 90) -> Path:
    """Write RGB `image` as PNG/JPEG/BMP/WebP (by suffix), atomically: a failed write
    leaves no partial file. VisionError(vision.bad_path) when it cannot be written."""
    from PIL import Image

    p = Path(path)
    fmt = _FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise VisionError("vision.bad_path", f"cannot write {p}: unknown image type "
                          f"{p.suffix or '(no suffix)'}",
                          "name the file .png or .jpg")
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or image.size == 0:
        raise VisionError("vision.bad_image", f"cannot write {p}: not an RGB image "
                          f"(shape {image.shape}, {image.dtype})", "this is a bug in the caller")
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".partial", dir=p.parent)
        with os.fdopen(fd, "wb") as fh:
            kwargs = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
            Image.fromarray(image, "RGB").save(fh, format=fmt, **kwargs)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
        tmp = None
    except OSError as err:
        raise VisionError("vision.bad_path", f"cannot write {p}: {err.strerror or err}",
                          "choose a folder that exists and that you can write to, "
                          "with free space") from err
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return p
