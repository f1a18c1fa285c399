"""Built-in tools that Home Assistant intents and the manifest router reach (lists,
media, volume, weather, broadcast, calculate, convert)."""
