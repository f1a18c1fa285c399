"""What a file search is for, from the words said for it: "the pdf called contract" →
"contract", "all my mp3 files" → "*.mp3", "photos with holiday in the name" →
"holiday", "files matching *.log" → "*.log"."""

from __future__ import annotations

import re

_QUOTES = " \t\"'“”‘’,;:.!?"
# "find all my pdfs", "mp3 files": a kind of file is a glob on its extension.
_FILE_TYPES = {"pdf", "mp3", "mp4", "jpg", "jpeg", "png", "gif", "svg", "txt", "csv", "doc",
               "docx", "odt", "ods", "xls", "xlsx", "ppt", "pptx", "zip", "wav", "flac", "ogg",
               "mkv", "avi", "iso", "epub", "md", "json", "html", "py"}
# "the budget spreadsheet": the kind of document is not part of its name
_KIND_OF_FILE = re.compile(r"(?<=\w)\s+(?:file|document|spreadsheet|presentation|folder|"
                           r"directory)s?$")
_FILE_TYPE = re.compile(r"^(?:(?:all|any|every)\s+)?(?:my\s+|the\s+)?(?:\*?\.)?(\w+?)s?"
                        r"(?:\s+files?)?$")
# "the pdf called contract", "the presentation about sales": the name is what follows
_NAMED = re.compile(r"^(?:(?:[\w-]+\s+){0,2}(?:called|named)|(?:[\w-]+\s+){1,2}about"
                    r"|(?:every\s+|any\s+|a\s+|the\s+)?files?\s+(?:whose\s+name|that)\s+"
                    r"(?:contains|has|have|includes?)|(?:every\s+|any\s+|the\s+)?files?\s+"
                    r"(?:containing|matching|with(?:\s+the)?\s+names?|with)"
                    r"|(?:files?|documents?|folders?)(?=\s+\S+$))\s+(?=\S)")
# "… somewhere in my home folder", "… on my computer": where a search looks anyway
_ANYWHERE = re.compile(r"\s+(?:(?:somewhere|anywhere)(?:\s+(?:in|on)\s+(?:my|the)\s+"
                       r"(?:home\s+(?:folder|directory)|computer|pc|laptop))?|(?:in|on)\s+"
                       r"(?:my|the)\s+(?:home\s+(?:folder|directory)|computer|pc|laptop))$")
# "photos with holiday in the name": the name is what is said to be in it
_IN_NAME = re.compile(r"^(?:[\w-]+\s+){0,2}with\s+(.+?)\s+in\s+(?:the|its|their)\s+"
                      r"(?:file\s*)?names?$")
_GLOB = re.compile(r"(?<!\S)\*\.\w+(?!\S)")
# "… saved it in a file called letter from tom": the name is what follows the last
# "called" (said anywhere in the words for the search)
_CALLED = re.compile(r"(?:^|.*[\s,])(?:called|named|titled)\s+(?=\S)", re.IGNORECASE)


def file_query(value: str) -> str:
    """The name or pattern a search looks for, from the words said for it (`value`,
    its articles already gone)."""
    named = _IN_NAME.match(value)
    named_as = named.group(1).strip(_QUOTES) if named else ""
    called = _CALLED.search(value)  # "my essay file, it's called history essay"
    if called and not named_as:
        rest = value[called.end():]
        named_as = (_ANYWHERE.sub("", rest) or rest).strip(_QUOTES)
    value = _ANYWHERE.sub("", value) or value
    value = _file_type_glob(named_as or _NAMED.sub("", value).strip(_QUOTES))
    glob = _GLOB.search(value)  # "photo files *.jpg": the pattern
    return glob.group() if glob else value


def _file_type_glob(value: str) -> str:
    found = _FILE_TYPE.match(value)
    if found and found.group(1) in _FILE_TYPES:
        return f"*.{found.group(1)}"
    return _KIND_OF_FILE.sub("", value) or value
