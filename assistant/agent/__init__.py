"""The agent: the instant router (manifest phrases + slot parsers), reply wording,
and (later) the LLM. It calls tools only through the ToolRegistry."""
