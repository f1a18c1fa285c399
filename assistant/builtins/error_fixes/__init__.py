"""The table of errors people meet most, one module per family (python, build, compilers,
git, shell, http, dialogs): what each means and the next step, named from the screen."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.builtins.error_fixes import build, compilers, dialogs, git, http, python, shell
from assistant.builtins.error_fixes.table import Diagnosis, FixEntry
from assistant.builtins.error_fixes.table import diagnose as _search

# Most specific families first: on one line, the first entry of the highest rank wins.
ENTRIES: tuple[FixEntry, ...] = (python.ENTRIES + build.ENTRIES + compilers.ENTRIES
                                 + git.ENTRIES + shell.ENTRIES + http.ENTRIES
                                 + dialogs.ENTRIES)


def diagnose(lines: Sequence[str], titles: Sequence[str] = ()) -> Diagnosis | None:
    """The most telling known error in the screen's lines and window titles, or None."""
    return _search(lines, ENTRIES, titles)


__all__ = ["ENTRIES", "Diagnosis", "FixEntry", "diagnose"]
