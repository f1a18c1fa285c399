"""Reading and writing image files strictly: an unreadable, truncated or non-image file
is a coded error naming the path, never a half-decoded picture."""

from __future__ import annotations

import io
import logging
import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO

import numpy as np

from models.regular_file import NotRegularFile, open_regular
from vision.errors import VisionError

log = logging.getLogger(__name__)

_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP", ".webp": "WEBP"}
# What is read is what save_image writes. Pillow would otherwise try every plugin it
# has: EPS runs Ghostscript when installed, and PSD, TIFF and others are large parsers
# no screenshot or photo here needs.
_READ_FORMATS = ("PNG", "JPEG", "BMP", "WEBP")
# The default cap (VisionOptions.max_image_pixels): an 8K screenshot is 33 MP. A PNG of
# one colour compresses 13,000 x 13,000 pixels (500 MB of RGB) into 190 KB, so the cap
# is checked on the header's size, before anything is decoded.
MAX_PIXELS = 40_000_000


def _bad(path: str, why: str) -> VisionError:
    return VisionError("vision.bad_image", f"cannot read image {path}: {why}",
                       "give a PNG or JPEG file that opens in an image viewer")


def _too_large(path: str, width: int, height: int, max_pixels: int) -> VisionError:
    return VisionError("vision.image_too_large",
                       f"image {path} is {width}x{height} pixels "
                       f"({width * height / 1e6:.0f} MP), more than the "
                       f"{max_pixels / 1e6:g} MP Heron reads",
                       "scale it down (a screenshot is enough), or raise [vision] "
                       "max_image_pixels in config.toml")


def decode_image(data: bytes, name: str = "<bytes>", max_pixels: int = MAX_PIXELS
                 ) -> np.ndarray:
    """Decode image bytes to (H, W, 3) uint8 RGB; VisionError(vision.bad_image) if the
    data is not a complete image, vision.image_too_large past `max_pixels`."""
    if not data:
        raise _bad(name, "the file is empty")
    return _decode(io.BytesIO(data), name, max_pixels)


def _decode(fh: BinaryIO, name: str, max_pixels: int) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(fh, formats=_READ_FORMATS) as img:  # lazy: reads the header
            if img.width * img.height > max_pixels:
                raise _too_large(name, img.width, img.height, max_pixels)
            img.load()  # decode now: a truncated file fails here, not later
            rgb = img.convert("RGB")
    except UnidentifiedImageError as err:
        raise _bad(name, "not an image in a format Heron reads (PNG, JPEG, BMP or WebP)"
                   ) from err
    except Image.DecompressionBombError as err:
        raise _bad(name, "the image is too large") from err
    except (OSError, ValueError, SyntaxError) as err:  # Pillow: truncated/corrupt data
        raise _bad(name, f"the file is damaged or truncated ({err})") from err
    return np.asarray(rgb, dtype=np.uint8).copy()


def load_image(path: Path | str, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read an image file as (H, W, 3) uint8 RGB. Only a regular file is read: a FIFO
    or a device would block or never end."""
    p = Path(path)
    try:
        fh, st = open_regular(p)
    except FileNotFoundError as err:
        raise _bad(str(p), "no such file") from err
    except NotRegularFile as err:
        raise _bad(str(p), "it is a directory" if stat.S_ISDIR(err.mode)
                   else "it is not a regular file (a pipe or a device)") from None
    except OSError as err:
        raise _bad(str(p), err.strerror or str(err)) from err
    with fh:
        if st.st_size == 0:
            raise _bad(str(p), "the file is empty")
        return _decode(fh, str(p), max_pixels)


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
