"""The forms and dialogs of `heron bench screen`, as plain data every toolkit renderer
draws (bench/screen_apps/): what each screen holds, which elements a user would name
("click Sign in", "find Password"), and the dev / held-out split, fixed before any
result was seen.

An item is (kind, label, extra): heading and text are only read; field (a label and its
input, `extra` its value), combo (a label and a drop-down, `extra` its options, the first
shown), checkbox, radio, link, buttons (`label` is a list) and tabs (a list, the first
open) are targets. The Qt and Tk file-save dialogs and the Qt / Tk message boxes are
the toolkits' own: their targets come from the dialog the toolkit built."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

FORMS: dict[str, dict] = {
    "login": {"title": "Acme Mail", "items": [
        ("heading", "Sign in to Acme Mail", None),
        ("field", "Email address", "ana.lima@example.com"),
        ("field", "Password", "********"),
        ("checkbox", "Keep me signed in", None),
        ("link", "Forgot your password?", None),
        ("buttons", ["Create account", "Sign in"], None),
    ]},
    "checkout": {"title": "Checkout", "items": [
        ("heading", "Shipping address", None),
        ("field", "Full name", "Ana Lima"),
        ("field", "Street address", "Rua das Flores 12"),
        ("field", "City", "Lisbon"),
        ("field", "Postal code", "1200-195"),
        ("combo", "Country", ["Portugal", "Spain", "France"]),
        ("radio", "Standard shipping", None),
        ("radio", "Express shipping", None),
        ("checkbox", "Save this address", None),
        ("text", "Order total: 84.90 EUR", None),
        ("buttons", ["Back to cart", "Place order"], None),
    ]},
    "settings": {"title": "Preferences", "items": [
        ("tabs", ["General", "Privacy", "Notifications"], None),
        ("field", "Display name", "Ana"),
        ("combo", "Language", ["English", "Deutsch", "Français"]),
        ("checkbox", "Start at login", None),
        ("checkbox", "Show the tray icon", None),
        ("checkbox", "Check for updates", None),
        ("buttons", ["Restore defaults", "Cancel", "Apply", "OK"], None),
    ]},
    # HTML only: a confirm dialog over the page that asked (Qt and Tk use their own
    # message boxes), and a search results page (Qt and Tk have a file-save dialog).
    "confirm": {"title": "Files", "items": [
        ("heading", "Delete 3 files?", None),
        ("text", "The files will be moved to the trash.", None),
        ("checkbox", "Do not ask again", None),
        ("buttons", ["Cancel", "Delete"], None),
    ]},
    "search": {"title": "Search", "items": [
        ("tabs", ["All", "Images", "News", "Maps"], None),
        ("field", "Search", "grey heron migration"),
        ("buttons", ["Search"], None),
        ("link", "Grey heron - Wikipedia", None),
        ("text", "The grey heron is a long-legged wading bird of the heron family.", None),
        ("link", "Heron migration routes in Europe", None),
        ("text", "Where herons go in winter, with maps from ringing studies.", None),
        ("link", "Birdwatching clubs near you", None),
        ("buttons", ["Previous", "Next"], None),
        ("link", "Privacy", None),
        ("link", "Terms", None),
    ]},
    "save": {"title": "Save As", "items": []},  # the toolkit's own dialog
}

# Which forms each toolkit shows. GTK: no Gtk typelib on this machine (see the docs).
TOOLKIT_FORMS = {
    "qt": ("login", "checkout", "settings", "confirm", "save"),
    "tk": ("login", "checkout", "settings", "confirm", "save"),
    "html": ("login", "checkout", "settings", "confirm", "search"),
}
THEMES = ("light", "dark")
SCALES = (1.0, 1.5)

# Fixed before the first run: tuning may look at dev only; held-out is the headline.
# By form, so nothing learnt on one form's layout or words leaks into the other set.
SPLIT = {"dev": ("login", "confirm"), "held_out": ("checkout", "settings", "save", "search")}


DOCUMENTS = ("budget-2026.ods", "holiday-photos/", "notes.txt", "report-draft.txt")


def documents_folder(root: Path) -> Path:
    """The folder the save dialogs open: a few files and a folder, always the same."""
    folder = root / "Documents"
    for name in DOCUMENTS:
        path = folder / name.rstrip("/")
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x\n", encoding="utf-8")
    return folder


def split_of(form: str) -> str:
    return "dev" if form in SPLIT["dev"] else "held_out"


@dataclass(frozen=True)
class ScreenSpec:
    toolkit: str
    form: str
    theme: str
    scale: float

    @property
    def name(self) -> str:
        return f"{self.toolkit}/{self.form}/{self.theme}/{round(self.scale * 100)}"

    @property
    def split(self) -> str:
        return split_of(self.form)


def all_screens(quick: bool = False) -> list[ScreenSpec]:
    """Every toolkit x form x theme x scale: held-out first, each split in a fixed
    shuffled order, so a run cut short still has every toolkit, theme and scale
    (quick: one held-out Qt screen)."""
    if quick:
        return [ScreenSpec("qt", "checkout", "dark", 1.0)]
    every = [ScreenSpec(tk, form, theme, scale) for tk, forms in TOOLKIT_FORMS.items()
             for form in forms for theme in THEMES for scale in SCALES]
    random.Random(18).shuffle(every)
    return sorted(every, key=lambda s: s.split != "held_out")
