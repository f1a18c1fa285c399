"""Heron's core: events, bus, pipeline, agent, tools, permissions, audit, storage,
config and the CLI. Headless and Qt-free."""

__version__ = "0.1.0"
