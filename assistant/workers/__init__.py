"""Third-party workers: found and hot-reloaded by discovery.py (positions for errors in
toml_positions.py), run in a sandboxed subprocess host (host.py parent side, runner.py
child side, limits.py what is enforced) reaching capabilities through broker.py."""
