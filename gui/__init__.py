"""The PySide6 tray app and the bridge to the core (the only package that imports Qt).
The core runs on its own thread; see bridge.py."""
