"""Third-party workers: checked by manifest_file.py, found and hot-reloaded by discovery.py,
run in a sandboxed subprocess host (host.py parent side, runner.py child side; limits.py,
seccomp.py and mountns.py what is enforced, probe.py what is checked) reaching
capabilities through broker.py."""
