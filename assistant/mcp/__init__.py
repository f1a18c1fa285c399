"""MCP both ways: `server` serves Heron's workers to MCP clients over stdio (policy,
prompts and audit still apply); `client` turns external MCP servers into workers."""
