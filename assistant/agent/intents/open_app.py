""""Open {name}" in any language, when the name is an installed app ("ouvre Firefox",
"öffne den Browser", "افتح فايرفوكس"): Home Assistant's templates for opening a named
cover or valve hear the verb and the name; the app menu's .desktop names
(assistant.builtins.desktop_apps) tell whether the name is an app, so it is opened with
open_app instead of being answered "connect Home Assistant"."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import replace

from hassil import recognize_all
from hassil.filter import filter_intents
from hassil.intents import Intent, Intents, WildcardSlotList

from assistant.agent.intents.catalog import Catalog, catalog
from assistant.agent.intents.recognizer import IntentMatch
from assistant.builtins.desktop_apps import AppNotFound, DesktopApp, DesktopApps

INTENT = "HassTurnOn"
APP_NAMED = 0.9  # the template's own verb, and a name the app menu has
MIN_SKELETON = 3  # consonants: fewer say too little to tell apps apart
_OPENED = ("cover", "valve")  # what Home Assistant opens by name
_NAME_ONLY = re.compile(r"\{name\}")
_PLACE = re.compile(r"[{<](?:area|floor)\b")
_LISTS = {"name": WildcardSlotList(name="name")}


class AppNames:
    """`app_for(name)` → the name to give open_app when `name` is an installed app."""

    def __init__(self, apps: DesktopApps | None = None) -> None:
        self.apps = apps or DesktopApps()  # reads $XDG_DATA_DIRS at each lookup

    def app_for(self, name: str) -> str | None:
        said = " ".join(name.split())
        if not said:
            return None
        if _latin(said):
            try:
                self.apps.match(said)
            except AppNotFound as err:
                # Several apps of that kind: still an app; open_app asks which one.
                return said.lower() if err.code == "apps.ambiguous" else None
            return said.lower()
        # A name in another script: open_app matches Latin names only, so the app's own.
        app = _by_sound(said, self.apps.installed())
        return app.name.lower() if app is not None else None


def open_app_match(text: str, language: str, apps: AppNames) -> IntentMatch | None:
    """The "open {name}" reading of `text` whose name is an app; its `slots["name"]` is
    what to give open_app (None when no reading names an app)."""
    cat = catalog(language)
    if cat is None or not text.strip():
        return None
    readings = recognize_all(text, _open_intents(cat), slot_lists=_LISTS,
                             language=cat.language)
    names = sorted({r.entities["name"].text.strip(): r for r in readings
                    if set(r.entities) == {"name"}}.items(), key=lambda kv: len(kv[0]))
    for said, result in names:  # "Firefox" before "den Firefox"
        app = apps.app_for(said)
        if app is not None:
            sentence = result.intent_sentence.text if result.intent_sentence else ""
            return IntentMatch(INTENT, {"name": app}, {"name": said}, result.response,
                               APP_NAMED, sentence or "", cat.language, "", ("name",))
    return None


_lock = threading.Lock()
_cache: dict[str, Intents] = {}


def _open_intents(cat: Catalog) -> Intents:
    """The package's templates that open a thing by its name alone (no room, no floor);
    the device's domain is not asked for, since an app has none."""
    with _lock:
        if cat.language not in _cache:
            found = filter_intents(cat.intents, domains=set(_OPENED), intent_names={INTENT},
                                   keep_domainless=False)
            data = []
            for block in (found.intents[INTENT].data if INTENT in found.intents else ()):
                texts = [t for t in block.sentence_texts
                         if _NAME_ONLY.search(t) and not _PLACE.search(t)]
                if texts:
                    data.append(replace(block, sentence_texts=texts, requires_context={}))
            _cache[cat.language] = replace(found, intents={INTENT: Intent(INTENT, data)})
        return _cache[cat.language]


def _latin(text: str) -> bool:
    return all(not ch.isalpha() or ord(ch) < 0x250 for ch in text)


# How an app's Latin name is written in Arabic letters ("فايرفوكس" for Firefox), compared
# by consonants: long vowels and the letters that stand for them are left out, and
# sounds Arabic writes with one letter are one (p as b, v as f, x as ks, c as k).
_ARABIC = {"ب": "b", "ت": "t", "ط": "t", "ث": "s", "س": "s", "ص": "s", "ج": "g", "غ": "g",
           "ح": "", "ه": "", "خ": "k", "ك": "k", "ق": "k", "د": "d", "ض": "d", "ذ": "z",
           "ز": "z", "ظ": "z", "ر": "r", "ش": "S", "ف": "f", "ل": "l", "م": "m", "ن": "n",
           "پ": "b", "ڤ": "f", "گ": "g", "چ": "S"}
_LATIN = (("sch", "S"), ("sh", "S"), ("ch", "k"), ("ph", "f"), ("th", "s"), ("ck", "k"),
          ("x", "ks"), ("c", "k"), ("q", "k"), ("p", "b"), ("v", "f"), ("j", "g"),
          ("w", ""), ("y", ""))


def _skeleton(text: str) -> str:
    letters = unicodedata.normalize("NFKD", text.lower())
    if _latin(text):
        for a, b in _LATIN:
            letters = letters.replace(a, b)
        out = [ch for ch in letters if ch.isalpha() and ch not in "aeiouh" and ord(ch) < 128]
    else:
        word = re.sub(r"^ال", "", letters)
        out = [_ARABIC[ch] for ch in word if ch in _ARABIC]
    return re.sub(r"(.)\1+", r"\1", "".join(out))


def _by_sound(said: str, installed: Iterable[DesktopApp]) -> DesktopApp | None:
    key = _skeleton(said)
    if len(key) < MIN_SKELETON:
        return None
    plain = _plain(said)
    found = []
    for app in installed:
        names = [app.name, *app.local_names, app.generic_name, *app.local_generic]
        if any(_plain(n) == plain for n in names if n):  # Name[ar]= as said
            return app
        words = {w for n in (app.name, app.app_id.removesuffix(".desktop").split(".")[-1])
                 for w in re.split(r"[^0-9A-Za-z]+", n) if w}
        if any(_skeleton(w) == key for w in words):
            found.append(app)
    return found[0] if len(found) == 1 else None


def _plain(text: str) -> str:
    """Lower case, without diacritics (Arabic short vowels, accents)."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text.casefold())
                   if not unicodedata.category(ch).startswith("M")).strip()
