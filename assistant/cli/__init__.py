"""The `heron` command line (also `python -m assistant`): argparse lives here only;
handlers turn arguments into option dataclasses and call the core."""
