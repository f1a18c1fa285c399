"""The tray's privacy controls on a real X server with a tray host, driven by the real
core: the dots show what is in use, and "Pause camera and screen" really stops the
screen from being read."""

from __future__ import annotations

import pytest

from assistant.events import DeviceInUse, MicStateChanged
from assistant.tools.call import ToolCall

pytestmark = [pytest.mark.gui, pytest.mark.slow]


@pytest.fixture(scope="module")
def heron(start_core, tmp_path_factory):
    from gui.controller import TrayController
    from gui.tray import HeronTray

    tray = HeronTray(mic_enabled=True)
    wired = {}

    def wire(service, bridge):
        wired["controller"] = TrayController(service, bridge, tray)
        bridge.event.connect(tray.on_event)
        bridge.ready.connect(tray.on_ready)
        tray.show()

    service, bridge = start_core(tmp_path_factory.mktemp("heron"), wire)
    controller = wired["controller"]
    yield service, bridge, tray, controller
    assert bridge.stop(timeout_s=30)
    tray.hide()


def dot_colour(tray, device):
    from gui.tray import IN_USE_SPOTS

    x, y = IN_USE_SPOTS[device]
    c = tray.icon().pixmap(64, 64).toImage().pixelColor(x, y)
    return c.name()


def test_privacy_dots_follow_the_devices_in_use(heron, wait_for):
    from gui.tray import IN_USE_COLOURS

    service, bridge, tray, _ = heron

    async def publish(*events):
        for e in events:
            service.bus.publish(e)

    bridge.submit(publish(MicStateChanged(state="live", device="pulse"),
                          DeviceInUse(device="camera", active=True,
                                      tool="camera_snapshot"))).result(5)
    assert wait_for(lambda: tray.indicators == {"mic", "camera"})
    assert dot_colour(tray, "camera") == IN_USE_COLOURS["camera"]
    assert dot_colour(tray, "mic") == IN_USE_COLOURS["mic"]
    assert dot_colour(tray, "screen") != IN_USE_COLOURS["screen"]
    assert "Mic on" in tray.toolTip() and "Camera: camera_snapshot" in tray.toolTip()
    assert tray.privacy_action.text() == "Mic on · Camera: camera_snapshot"

    bridge.submit(publish(MicStateChanged(state="muted"),
                          DeviceInUse(device="camera", active=False,
                                      tool="camera_snapshot"))).result(5)
    assert wait_for(lambda: tray.indicators == frozenset())
    assert tray.mute_action.isChecked()  # the menu shows the kill switch is on
    assert not tray.talk_action.isEnabled()  # no push-to-talk on a muted mic
    assert "Mic muted" in tray.toolTip()


def test_pausing_from_the_menu_stops_screen_reading(heron, wait_for):
    service, bridge, tray, _ = heron

    async def list_windows():
        return await service.core.registry.call(ToolCall("describe_screen", {}))

    tray.pause_action.trigger()  # what a click on the menu item does
    try:
        assert tray.pause_action.isChecked()
        assert wait_for(lambda: service.core.sensors.paused("screen")
                        and service.core.sensors.paused("camera"))
        outcome = bridge.submit(list_windows()).result(30)
        assert outcome.status == "error", outcome
        assert "paused" in outcome.error
        assert "camera and screen paused" in tray.toolTip()
    finally:
        tray.pause_action.trigger()
    assert wait_for(lambda: not service.core.sensors.paused("screen"))
