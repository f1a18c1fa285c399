"""Permission helpers below the policy: scopes in plain words, URLs that carry data,
argument and schema checks for third-party schemas (schema_check.py), fs grants
(grants.py) and opening paths with no symlink followed (safe_open.py)."""
