"""The camera layer: enumeration on this machine (no camera: an empty list and a coded
error), a video file made at test time (cv2.VideoWriter) behind the camera interface,
snapshots, faces on a real photograph (Grace Hopper, shipped by matplotlib), QR codes
and EAN-13 barcodes drawn at test time, and coded errors for bad files and paths."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from vision.camera import (
    CameraOptions,
    VideoFileSource,
    list_cameras,
    open_camera,
)
from vision.detect import CodeReader, HaarFaceDetector
from vision.errors import VisionError
from vision.image import load_image
from vision.types import Box

QR_TEXT = "WIFI:T:WPA;S:heron-lab;P:not-a-real-pass;;"
EAN = "4006381333931"


def photo() -> np.ndarray:
    spec = importlib.util.find_spec("matplotlib")
    assert spec is not None and spec.submodule_search_locations
    path = Path(spec.submodule_search_locations[0]) / "mpl-data/sample_data/grace_hopper.jpg"
    return load_image(path)  # 512x600, one face


def qr_image(text: str, module_px: int = 8) -> np.ndarray:
    import cv2

    code = cv2.QRCodeEncoder.create().encode(text)
    big = cv2.resize(code, None, fx=module_px, fy=module_px, interpolation=cv2.INTER_NEAREST)
    return np.repeat(big[:, :, None], 3, axis=2)


_L = ("0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111",
      "0111011", "0110111", "0001011")
_G = tuple(code[::-1].translate(str.maketrans("01", "10")) for code in _L)
_PARITY = ("LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "LGLGLG",
           "LGLGGL", "LGGLGL")


def ean13_image(digits: str, module_px: int = 3, height: int = 120) -> np.ndarray:
    """An EAN-13 barcode drawn from the standard's tables (black bars on white)."""
    first, left, right = int(digits[0]), digits[1:7], digits[7:]
    bits = "101"
    for d, parity in zip(left, _PARITY[first], strict=True):
        bits += (_L if parity == "L" else _G)[int(d)]
    bits += "01010"
    bits += "".join(_L[int(d)].translate(str.maketrans("01", "10")) for d in right)
    bits += "101"
    row = np.array([0 if b == "1" else 255 for b in "0" * 11 + bits + "0" * 11], np.uint8)
    img = np.repeat(np.repeat(row[None, :], height, axis=0), module_px, axis=1)
    return np.repeat(img[:, :, None], 3, axis=2)


def place(canvas: np.ndarray, item: np.ndarray, x: int, y: int) -> np.ndarray:
    canvas[y:y + item.shape[0], x:x + item.shape[1]] = item
    return canvas


def canvas(grey: int = 128) -> np.ndarray:
    return np.full((480, 640, 3), grey, np.uint8)


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    """10 frames of a QR code on a wall, then 10 of a person, as a webcam might see."""
    import cv2

    path = tmp_path_factory.mktemp("video") / "doorbell.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (640, 480))
    assert writer.isOpened()
    qr = place(canvas(230), qr_image(QR_TEXT), 180, 60)
    person = place(canvas(), photo()[60:540, :], 64, 0)
    for frame in [qr] * 10 + [person] * 10:
        writer.write(np.ascontiguousarray(frame[:, :, ::-1]))
    writer.release()
    return path


def test_this_machine_lists_only_cameras_that_exist_and_opening_none_is_coded():
    cams = list_cameras()
    assert all(Path(c.path).exists() for c in cams)
    if cams:  # a machine with a camera: the first one delivers frames
        with open_camera(CameraOptions()) as cam:
            assert cam.read().image.ndim == 3
        return
    for device in ("", "0", "Integrated Camera", "/dev/video0"):
        with pytest.raises(VisionError) as err:
            open_camera(CameraOptions(device=device))
        assert err.value.code == "vision.no_camera" and err.value.exit_code == 6
        assert "heron look" in err.value.hint


def test_enumeration_reads_video_nodes_and_probing_drops_ones_that_cannot_capture(tmp_path):
    for name in ("video0", "video1", "video-meta", "videoX", "media0"):
        (tmp_path / name).write_text("")
    found = list_cameras(probe=False, dev_dir=tmp_path)
    assert [c.index for c in found] == [0, 1]
    assert found[0].path == str(tmp_path / "video0")
    assert list_cameras(probe=True, dev_dir=tmp_path) == []  # plain files do not capture


def test_a_video_file_is_read_like_a_camera_and_ends(video):
    with open_camera(CameraOptions(device=str(video))) as source:
        assert isinstance(source, VideoFileSource)
        assert source.frame_count == 20 and source.fps == pytest.approx(10.0)
        frames = [source.read() for _ in range(20)]
        assert frames[0].image.shape == (480, 640, 3) and frames[0].image.dtype == np.uint8
        assert frames[5].timestamp_ms == pytest.approx(500.0, abs=1)
        with pytest.raises(VisionError) as err:
            source.read()
        assert err.value.code == "vision.camera_failed"
    looping = VideoFileSource(video, loop=True)
    for _ in range(25):
        looping.read()
    looping.close()


def test_qr_code_in_a_camera_frame_is_decoded_with_its_place(video):
    with VideoFileSource(video) as source:
        frame = source.read()
    codes = CodeReader().read(frame.image)
    assert [c.kind for c in codes] == ["qr"]
    assert codes[0].text == QR_TEXT
    size = qr_image(QR_TEXT).shape[0]
    assert abs(codes[0].box.center[0] - (180 + size / 2)) < 20
    assert abs(codes[0].box.center[1] - (60 + size / 2)) < 20


def test_two_qr_codes_and_a_barcode_in_one_image():
    img = np.full((600, 1200, 3), 255, np.uint8)
    place(img, qr_image("first", 6), 20, 20)
    place(img, qr_image("https://example.org/second", 6), 400, 20)
    place(img, ean13_image(EAN, module_px=2), 760, 420)
    reader = CodeReader()
    codes = reader.read(img)
    qr = sorted(c.text for c in codes if c.kind == "qr")
    assert qr == ["first", "https://example.org/second"]
    assert reader.has_barcodes
    bars = [c for c in codes if c.kind != "qr"]
    assert [(c.kind, c.text) for c in bars] == [("EAN_13", EAN)]
    assert bars[0].box.intersection(Box(760, 420, 2 * 117, 120)) is not None


def test_a_barcode_close_to_the_camera_is_read_too():
    img = place(np.full((480, 1000, 3), 255, np.uint8), ean13_image(EAN, module_px=4), 100, 100)
    codes = CodeReader().read(img)
    assert [(c.kind, c.text) for c in codes] == [("EAN_13", EAN)]
    assert Box(100, 100, 4 * 117, 120).contains_point(*codes[0].box.center)


def test_someone_is_there_in_the_person_frames_and_not_in_the_qr_frames(video):
    detector = HaarFaceDetector()
    with VideoFileSource(video) as source:
        frames = [source.read() for _ in range(20)]
    assert not detector.detect(frames[0].image).someone_there
    presence = detector.detect(frames[15].image)
    assert presence.someone_there and len(presence.faces) == 1
    face = presence.faces[0].box
    # Grace Hopper's face is in the upper middle of the photo, pasted at x=64.
    assert 150 < face.center[0] < 450 and 60 < face.center[1] < 320
    assert face.w > 100
    assert presence.to_dict()["faces"] == 1


def test_a_face_found_at_full_and_at_reduced_detection_size_is_the_same():
    img = place(np.full((720, 1280, 3), 120, np.uint8), photo(), 380, 60)
    full = HaarFaceDetector().detect(img).faces
    from vision.detect import FaceOptions

    small = HaarFaceDetector(FaceOptions(detect_width_px=640)).detect(img).faces
    assert len(full) == len(small) == 1
    assert full[0].box.intersection(small[0].box) is not None


def test_snapshot_to_png_and_jpeg(video, tmp_path):
    with VideoFileSource(video) as source:
        png = source.snapshot(tmp_path / "snap.png")
        jpg = source.snapshot(tmp_path / "snap.jpg")
    assert load_image(png).shape == (480, 640, 3)
    assert load_image(jpg).shape == (480, 640, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap.jpg", "snap.png"]


def test_snapshot_to_a_bad_path_is_coded_and_leaves_no_partial_file(video, tmp_path):
    (tmp_path / "taken.png").mkdir()  # the final rename onto a directory fails
    with VideoFileSource(video) as source:
        for path in (tmp_path / "missing-dir" / "snap.png", tmp_path / "taken.png",
                     tmp_path / "snap.gif"):
            with pytest.raises(VisionError) as err:
                source.snapshot(path)
            assert err.value.code == "vision.bad_path", path
            assert str(path) in err.value.message
    assert [p.name for p in tmp_path.iterdir()] == ["taken.png"]  # no .partial left


def test_a_truncated_snapshot_or_video_is_a_coded_error(video, tmp_path):
    with VideoFileSource(video) as source:
        jpg = source.snapshot(tmp_path / "snap.jpg")
    data = jpg.read_bytes()
    jpg.write_bytes(data[: len(data) // 3])
    with pytest.raises(VisionError) as err:
        load_image(jpg)
    assert err.value.code == "vision.bad_image" and str(jpg) in err.value.message
    broken = tmp_path / "broken.avi"
    broken.write_bytes(video.read_bytes()[:200])
    with pytest.raises(VisionError) as err:
        open_camera(CameraOptions(device=str(broken)))
    assert err.value.code == "vision.bad_image" and str(broken) in err.value.message
    with pytest.raises(VisionError) as err:
        open_camera(CameraOptions(device=str(tmp_path / "none.mp4")))
    assert err.value.code == "vision.bad_image"


def test_detectors_reject_non_images():
    for bad in (np.zeros((0, 0, 3), np.uint8), np.zeros((10, 10), np.uint8)):
        with pytest.raises(VisionError) as err:
            HaarFaceDetector().detect(bad)
        assert err.value.code == "vision.bad_image"
        with pytest.raises(VisionError):
            CodeReader().read(bad)
