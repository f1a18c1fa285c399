"""Audio library: frames, file/mic sources, VAD, wake word, ASR, TTS, sinks.
Never imports `assistant/` or `gui/`; its errors are `audio.errors.AudioError`."""
