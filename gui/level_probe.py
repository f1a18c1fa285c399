"""The settings' live level meter: its own short input stream on the chosen microphone
while the settings window is open (the sound server shares the device with Heron's
own stream). The PortAudio callback only stores a number; the window polls it."""

from __future__ import annotations

import math

import numpy as np

from audio.devices import DeviceOptions, close_stream, find_input, sounddevice
from models.errors import CodedError

FLOOR_DBFS = -90.0


class LevelProbe:
    def __init__(self) -> None:
        self.level_dbfs = FLOOR_DBFS
        self._stream = None

    def start(self, device: str) -> str:
        """Open `device` ("" = default); "" when it runs, else why it cannot."""
        self.stop()
        try:
            sd = sounddevice()
            info = find_input(DeviceOptions(input_device=device))
            self._stream = sd.InputStream(device=info.index, channels=1, dtype="int16",
                                          samplerate=info.default_rate_hz or 16000,
                                          blocksize=1024, callback=self._callback)
            self._stream.start()
        except CodedError as err:
            self.stop()
            return err.sentence()
        except Exception as err:  # PortAudioError: the device refused
            self.stop()
            return f"cannot open the microphone: {err}"
        return ""

    def _callback(self, block, _frames, _time, _status) -> None:
        rms = float(np.sqrt(np.mean(np.square(block.astype(np.float32))))) if len(block) else 0
        self.level_dbfs = 20 * math.log10(rms / 32768) if rms > 0 else FLOOR_DBFS

    def stop(self) -> None:
        if self._stream is not None:
            close_stream(self._stream)
            self._stream = None
        self.level_dbfs = FLOOR_DBFS
