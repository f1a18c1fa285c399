"""The phone companion: HTTP + WebSocket server, pairing, the web app and the
notification bridges with their durable outbox (DESIGN.md §8)."""
