"""Images are read only in the formats Heron writes, and OCR's downscaling never grows
an image past its cap."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vision.errors import VisionError
from vision.image import decode_image, load_image, save_image
from vision.ocr import fit_pixels

PICTURE = np.arange(32 * 24 * 3, dtype=np.uint8).reshape(24, 32, 3)


def encoded(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.fromarray(PICTURE, "RGB").save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["TIFF", "GIF", "PPM", "TGA", "ICO", "PCX"])
def test_other_formats_pillow_could_read_are_refused(tmp_path: Path, fmt: str) -> None:
    # EPS would run Ghostscript, PSD and TIFF are large parsers: none of them is read.
    path = tmp_path / f"picture.{fmt.lower()}"
    path.write_bytes(encoded(fmt))
    for read in (lambda: load_image(path), lambda: decode_image(path.read_bytes())):
        with pytest.raises(VisionError) as err:
            read()
        assert err.value.code == "vision.bad_image" and "PNG, JPEG" in err.value.message


def test_eps_is_refused_without_being_interpreted(tmp_path: Path) -> None:
    eps = tmp_path / "page.eps"
    eps.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    with pytest.raises(VisionError) as err:
        load_image(eps)
    assert err.value.code == "vision.bad_image" and "PNG, JPEG" in err.value.message


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".webp", ".jpg"])
def test_the_formats_heron_writes_are_read(tmp_path: Path, suffix: str) -> None:
    path = save_image(tmp_path / f"picture{suffix}", PICTURE, quality=100)
    image = load_image(path)
    assert image.shape == PICTURE.shape
    if suffix in (".png", ".bmp"):
        assert np.array_equal(image, PICTURE)


@pytest.mark.parametrize(("h", "w", "cap"), [
    (60_000, 1, 10_000), (1, 60_000, 10_000), (60_000, 3, 10_000), (5, 9_000, 1_000),
])
def test_thin_images_are_scaled_within_the_cap(h: int, w: int, cap: int) -> None:
    image = np.zeros((h, w, 3), np.uint8)
    small, scale = fit_pixels(image, cap)
    sh, sw = small.shape[:2]
    assert sh * sw <= cap and sh <= h and sw <= w and sh >= 1 and sw >= 1
    assert 0 < scale < 1


def test_ordinary_images_keep_their_shape_when_scaled() -> None:
    small, scale = fit_pixels(np.zeros((1080, 1920, 3), np.uint8), 480_000)
    assert small.shape == (519, 923, 3) and scale == pytest.approx(0.481, abs=0.001)
    same, one = fit_pixels(PICTURE, 10_000)
    assert same is PICTURE and one == 1.0
