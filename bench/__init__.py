"""Reproducible benchmarks (`heron bench …`): they print a table and write JSON and a
PNG chart under docs/bench/. Targets are checked here, never by timed tests."""
