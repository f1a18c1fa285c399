"""Python tracebacks, by exception type: what the last line of a traceback says, what it
means, and the next step with the names from the screen."""

from __future__ import annotations

from assistant.builtins.error_fixes.names import (
    IMPORT_FOR_NAME,
    OS_PYTHON_MODULE,
    pip_package,
)
from assistant.builtins.error_fixes.table import FixEntry, rx

# "requests.exceptions.ConnectionError:", "json.decoder.JSONDecodeError:"
_DOTTED = r"(?:[A-Za-z_]\w*\.)*"


def _module(names: dict[str, str]) -> dict[str, str] | None:
    module = names.get("module", "")
    if not module:
        return None
    top = module.split(".", 1)[0]
    if top in OS_PYTHON_MODULE:
        return {"top": top, "_fix": f"{top} comes with Python from the system's packages, "
                                    "not from pip: install it with the package manager",
                "_command": f"sudo apt install {OS_PYTHON_MODULE[top]}"}
    package = pip_package(module)
    extra = {"top": top, "package": package}
    if package.casefold() != top.casefold():
        extra["_fix"] = (f"Install the package that provides it ({package}) in the "
                         "environment the script runs in, with that environment's Python")
    return extra


def _name_error(names: dict[str, str]) -> dict[str, str] | None:
    name = names.get("name", "")
    if not name:
        return None
    line = IMPORT_FOR_NAME.get(name)
    if line:
        return {"_means": f"{name} is normally imported, and this file never imports it",
                "_fix": "Add the import at the top of the file", "_command": line}
    return {}


def _cannot_import(names: dict[str, str]) -> dict[str, str] | None:
    if not names.get("name"):
        return None
    source = names.get("source", "")
    return {"package": pip_package(source)} if source else {}


ENTRIES: tuple[FixEntry, ...] = (
    FixEntry("python.module_not_found",
             rx(r"(?:ModuleNotFoundError|ImportError)\s*:\s*No\s*module\s*named\s*{Q}?"
                r"(?P<module>[A-Za-z_][\w.]*)"),
             "Python can't find the module {module}",
             "It is not installed in the environment the script runs in, or its name is "
             "misspelt",
             "Install it in the environment the script runs in, with that environment's "
             "Python", "python -m pip install {package}", rank=3, derive=_module),
    FixEntry("python.cannot_import_name",
             rx(r"ImportError\s*:\s*cannot\s*import\s*name\s*{Q}?(?P<name>\w+){Q}?"
                r"(?:\s*from\s*{Q}?(?P<source>[\w.]+){Q}?)?"),
             "Python found the module {source} but not the name {name} in it",
             "The name is misspelt, it belongs to another version of {source}, two "
             "modules import each other, or a file of yours is named like the module",
             "Check the spelling and which version is installed, and rename any file of "
             "yours called {source}.py", "python -m pip show {package}", rank=3,
             derive=_cannot_import),
    FixEntry("python.name_error",
             rx(r"NameError\s*:\s*(?:global\s*)?name\s*{Q}?(?P<name>\w+){Q}?\s*is\s*not\s*"
                r"defined"),
             "The code uses the name {name}, which was never defined",
             "It is a typo, or a missing import or assignment before that line",
             "Define {name} before this line, or fix its spelling", rank=3,
             derive=_name_error),
    FixEntry("python.none_attribute",
             rx(r"AttributeError\s*:\s*{Q}?NoneType{Q}?\s*object\s*has\s*no\s*attribute\s*"
                r"{Q}?(?P<attr>\w+)"),
             "The code asked for {attr} on a value that is None",
             "A function returned nothing, or a lookup found nothing, where an object was "
             "expected",
             "Find where that value is set and handle the case where it is None", rank=3),
    FixEntry("python.module_attribute",
             rx(r"AttributeError\s*:\s*(?:partially\s*initialized\s*)?module\s*{Q}?"
                r"(?P<module>[\w.]+){Q}?\s*has\s*no\s*attribute\s*{Q}?(?P<attr>\w+)"),
             "The module {module} has no attribute {attr}",
             "A file of yours named {module}.py hides the real module, or {attr} is in "
             "another version of it",
             "Rename any file of yours called {module}.py, or check the installed "
             "version", "python -m pip show {module}", rank=3),
    FixEntry("python.attribute",
             rx(r"AttributeError\s*:\s*{Q}?(?P<type>[\w.]+){Q}?\s*object\s*has\s*no\s*"
                r"attribute\s*{Q}?(?P<attr>\w+)"),
             "A {type} object has no attribute {attr}",
             "The value is of another type than the code expects, or the name is misspelt",
             "Check the spelling of {attr} and what type the value really is there", rank=3),
    FixEntry("python.operand",
             rx(r"TypeError\s*:\s*(?:unsupported\s*operand\s*type\(?s?\)?\s*for\s*"
                r"(?P<op>\S+?)\s*:\s*{Q}?(?P<left>\w+){Q}?\s*and\s*{Q}?(?P<right>\w+)"
                r"|can\s*only\s*concatenate\s*(?P<left2>\w+)\s*\(not\s*{Q}?(?P<right2>\w+))"),
             "An operation mixed the types {left}{left2} and {right}{right2}",
             "Python will not combine those two types by itself",
             "Convert one of them first, for example str(number) or int(text)", rank=3),
    FixEntry("python.not_subscriptable",
             rx(r"TypeError\s*:\s*{Q}?(?P<type>\w+){Q}?\s*object\s*is\s*not\s*"
                r"(?P<what>subscriptable|iterable|callable)"),
             "A {type} value was used as if it were {what}",
             "The value is not what the code expects there; with NoneType, a function "
             "returned nothing", "Check where that value comes from", rank=3),
    FixEntry("python.missing_argument",
             rx(r"TypeError\s*:\s*(?P<func>[\w.]+)\(\)\s*missing\s*(?P<count>\d+)\s*"
                r"required\s*(?:positional|keyword-only)?\s*arguments?\s*:\s*{Q}?"
                r"(?P<arg>\w+)"),
             "The function {func} was called without its argument {arg}",
             "The call passes fewer arguments than the function needs",
             "Pass {arg} in the call to {func}; for a method, call it on an object, not "
             "on the class", rank=3),
    FixEntry("python.too_many_arguments",
             rx(r"TypeError\s*:\s*(?P<func>[\w.]+)\(\)\s*takes\s*(?P<want>\d+)\s*positional"
                r"\s*arguments?\s*but\s*(?P<got>\d+)\s*(?:were|was)\s*given"),
             "{func} takes {want} arguments but was given {got}",
             "The call passes more arguments than the function accepts; for a method, "
             "often self is missing from its definition",
             "Match the call to the definition, or add self as the method's first "
             "parameter", rank=3),
    FixEntry("python.key_error",
             rx(r"^\s*KeyError\s*:\s*{Q}?(?P<key>[^'\"`‘’]+?){Q}?\s*$"),
             "The dictionary has no key {key}",
             "The code looked up {key} in a dictionary that does not contain it",
             "Check the key's spelling and where the data comes from, or use .get() with "
             "a default", rank=3),
    FixEntry("python.index_error",
             rx(r"IndexError\s*:\s*(?P<what>\w+)\s*index\s*out\s*of\s*range"),
             "A {what} was indexed past its end",
             "The index is larger than the number of items, or the {what} is empty",
             "Check the length before indexing, or loop over the items themselves", rank=3),
    FixEntry("python.bad_literal",
             rx(r"ValueError\s*:\s*invalid\s*literal\s*for\s*(?P<func>int|float)\(\)"
                r"(?:\s*with\s*base\s*\d+)?\s*:\s*{Q}(?P<value>.*){Q}"),
             "The text {value} could not be turned into a number with {func}()",
             "The input is not a number as written",
             "Check the input, strip spaces and units, or use float() for decimals", rank=3),
    FixEntry("python.unpack",
             rx(r"ValueError\s*:\s*(?P<how>too\s*many|not\s*enough)\s*values\s*to\s*unpack"),
             "There were {how} values to unpack",
             "The number of names on the left of = does not match the items on the right",
             "Make the names match the number of items", rank=3),
    FixEntry("python.file_not_found",
             rx(r"FileNotFoundError\s*:\s*\[Errno\s*2\]\s*No\s*such\s*file\s*or\s*directory"
                r"\s*:\s*{Q}(?P<path>[^'\"`‘’]+){Q}"),
             "Python can't find the file {path}",
             "The path is wrong, or relative to another folder than the one the script "
             "runs from",
             "Check that path, remembering that a relative path starts at the current "
             "directory, not at the script's folder", "ls -l {path}", rank=3),
    FixEntry("python.permission",
             rx(r"PermissionError\s*:\s*\[Errno\s*13\]\s*Permission\s*denied\s*:\s*{Q}"
                r"(?P<path>[^'\"`‘’]+){Q}"),
             "The system refused Python access to {path}",
             "Your user may not read or write that file or folder",
             "Check its owner and permissions, or use a path you own", "ls -ld {path}",
             rank=3),
    FixEntry("python.address_in_use",
             rx(r"(?:OSError|error)\s*:\s*\[Errno\s*98\]\s*Address\s*already\s*in\s*use"),
             "The port the program wants is already in use",
             "Another program, often an earlier copy of this one, is listening on it",
             "Find it and stop it, or use another port", "ss -ltnp", rank=3),
    FixEntry("python.connection_refused",
             rx(r"(?:ConnectionRefusedError|ConnectionError|NewConnectionError|"
                r"MaxRetryError).*?(?:host\s*=\s*{Q}(?P<host>[\w.\-]+){Q}\s*,\s*port\s*=\s*"
                r"(?P<port>\d+)|Connection\s*refused)"),
             "The connection to {host}:{port} was refused",
             "Nothing is listening there: the server is not running, or the host or port "
             "is wrong",
             "Start the server, or check the host and port the program uses", rank=3,
             defaults={"host": "the server", "port": "its port"}),
    FixEntry("python.unicode_decode",
             rx(r"UnicodeDecodeError\s*:\s*{Q}?(?P<codec>[\w\-]+){Q}?\s*codec\s*can\W?t\s*"
                r"decode"),
             "The file is not valid {codec} text",
             "It was saved in another encoding, or it is not a text file",
             "Open it with its real encoding, for example open(path, encoding='latin-1')",
             rank=3),
    FixEntry("python.json_decode",
             rx(rf"{_DOTTED}JSONDecodeError\s*:\s*(?P<why>Expecting\s*\w+|Extra\s*data|"
                r"Unterminated\s*string|Invalid\s*control)"),
             "The JSON parser failed: {why}",
             "The text is not JSON: often an empty reply or an HTML error page",
             "Print or log the text before parsing it", rank=3),
    FixEntry("python.ssl",
             rx(r"CERTIFICATE_VERIFY_FAILED|SSLCertVerificationError"),
             "Python could not verify the server's certificate",
             "The certificate store is out of date, or a proxy presents its own "
             "certificate",
             "Update the certificates Python uses", "python -m pip install --upgrade certifi",
             rank=3),
    FixEntry("python.zero_division", rx(r"ZeroDivisionError"),
             "The program divided by zero",
             "A divisor was 0, often an empty list's length or an unset value",
             "Check the value before dividing", rank=3),
    FixEntry("python.recursion", rx(r"RecursionError\s*:\s*maximum\s*recursion"),
             "A function kept calling itself until Python stopped it",
             "The recursion has no stopping case, or the stopping case is never reached",
             "Check the function's base case", rank=3),
    FixEntry("python.indentation",
             rx(r"(?:IndentationError|TabError)\s*:\s*(?P<why>[^(\n]+)"),
             "Python rejected the indentation: {why}",
             "The lines around it are indented inconsistently, or tabs and spaces are mixed",
             "Indent that block with spaces only, as much as its neighbours", rank=3),
    FixEntry("python.syntax",
             rx(r"SyntaxError\s*:\s*(?P<why>[^(\n]+)"),
             "Python could not parse the file: {why}",
             "There is a typo in the code, often on the line shown or just before it",
             "Look there for a missing bracket, colon, comma or quote", rank=3),
    FixEntry("python.keyboard_interrupt", rx(r"^\s*KeyboardInterrupt\s*$"),
             "The program was stopped with Ctrl+C",
             "This is not a bug: someone interrupted it",
             "Run it again and let it finish", rank=2),
    FixEntry("python.memory", rx(r"^\s*MemoryError\b"),
             "Python ran out of memory",
             "The program holds more data at once than the machine has",
             "Process the data in smaller pieces", rank=3),
    FixEntry("python.exception",
             rx(rf"^\s*(?P<exc>{_DOTTED}[A-Z]\w*(?:Error|Exception))\s*:\s*(?P<message>.+)$"),
             "The program stopped with {exc}: {message}",
             "Python raised that error at the line the traceback ends with",
             "Open the file and line above it in the traceback and check the values "
             "used there", rank=2),
)
