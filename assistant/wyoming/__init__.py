"""`heron wyoming`: Heron's own stages (ASR, TTS, wake word) and its agent served over
the Wyoming protocol, for Home Assistant and satellites."""
