"""The Wyoming protocol both ways: `heron wyoming` serves Heron's own stages (ASR, TTS,
wake word) and its agent to Home Assistant and satellites (server.py and the
sessions), and remote*.py put a Wyoming server in front of a local stage
([asr]/[tts] backend = "wyoming://HOST:PORT")."""
