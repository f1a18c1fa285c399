"""Third-party workers run in a sandboxed subprocess host (see host.py, runner.py)."""
