"""Stage 1 of understanding: Home Assistant's intent templates (home-assistant-intents,
matched by hassil), mapped to our tools, with replies from the package's templates."""
