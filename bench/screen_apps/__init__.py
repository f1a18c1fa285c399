"""Renderers for `heron bench screen`, each run as its own process on the bench's X
server: they draw a form with a real toolkit and print where its elements are."""
