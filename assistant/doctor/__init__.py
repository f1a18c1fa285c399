"""`heron doctor`'s checks, one module per area (system, devices, runtimes, models,
desktop, languages, sandbox) returning `check.Check` rows; `run.py` runs them all."""
