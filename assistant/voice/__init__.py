"""The voice side of the core: the stack of stages (wake, VAD, ASR, TTS) and the
assistant's state; the pipeline, listener and speech output build on them."""
