"""The tray's "what Heron read" window draws the saved screenshot with a blue box per
line and a green one per control, and says so when the picture cannot be opened."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

pytestmark = [pytest.mark.gui]


def test_the_boxes_heron_read_are_drawn_on_the_screenshot(qapp, tmp_path):
    from gui.screen_reading_window import CONTROL, LINE, ScreenReadingWindow

    path = tmp_path / "shot.png"
    Image.fromarray(np.full((300, 400, 3), 255, np.uint8)).save(path)
    result = {"image": str(path), "origin": [100, 50],
              "lines": [{"text": "Place order", "box": {"x": 120, "y": 70, "w": 80, "h": 20}}],
              "controls": [{"kind": "button", "label": "Place order",
                            "box": {"x": 110, "y": 200, "w": 150, "h": 40}}],
              "masked": [{"x": 0, "y": 0, "w": 1, "h": 1}]}
    window = ScreenReadingWindow()
    assert window.show_reading(result)
    assert not path.exists()  # once shown, no copy of the screen is kept
    image = window.picture.pixmap().toImage()
    assert image.pixelColor(20, 30).rgb() == LINE.rgb()  # the line's box, at its corner
    assert image.pixelColor(10, 170).rgb() == CONTROL.rgb()  # the control's box
    assert image.pixelColor(200, 100).rgb() == 0xFFFFFFFF  # the screen itself, untouched
    assert window.caption.text() == ("1 line of text (blue) and 1 control (green); 1 private "
                                     "item blacked out.")
    assert not window.show_reading({"image": str(tmp_path / "gone.png")})
    assert window.caption.text() == "The picture of the screen could not be opened."
