"""Tools (workers): manifests, the registry every call goes through (validation,
permission policy, audit), and the built-in tools."""
