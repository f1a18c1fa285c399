"""Language codes as a person says them ("de" → "German")."""

from __future__ import annotations

import re

# What a request's language may look like: "de", "ar", "pt-BR", "zh_TW".
LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z]{2,4})?")

_NAMES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "pl": "Polish", "ru": "Russian", "uk": "Ukrainian",
    "sv": "Swedish", "da": "Danish", "no": "Norwegian", "fi": "Finnish", "cs": "Czech",
    "tr": "Turkish", "el": "Greek", "ar": "Arabic", "he": "Hebrew", "hi": "Hindi",
    "ja": "Japanese", "zh": "Chinese", "ko": "Korean", "vi": "Vietnamese", "th": "Thai",
    "id": "Indonesian", "hu": "Hungarian", "ro": "Romanian", "ca": "Catalan",
}


def language_name(code: str) -> str:
    """English name of an ISO 639-1 code (e.g. from whisper or a piper voice)."""
    base = code.replace("-", "_").split("_")[0].lower()
    return _NAMES.get(base, code)
