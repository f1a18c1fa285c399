"""C and C++ compilers and linkers (gcc, g++, clang, ld, collect2) and make."""

from __future__ import annotations

import re

from assistant.builtins.error_fixes.names import (
    CXX_HEADER_FOR_NAME,
    DEV_PACKAGE_FOR_HEADER,
    DEV_PACKAGE_FOR_LIB,
    HEADER_FOR_FUNCTION,
    lib_for_symbol,
)
from assistant.builtins.error_fixes.table import FixEntry, rx

# "$ gcc geo.c -o geo" above the error: the command that failed to link
_BUILD = rx(r"(?:^|[$%#]\s)(?P<build>(?:gcc|g\+\+|cc|clang|clang\+\+|c\+\+)\s[^\n]+?)\s*$")
_PLAIN = re.compile(r"[\w.+\-/= ]{4,200}")


def _header(names: dict[str, str]) -> dict[str, str] | None:
    header = names.get("header", "")
    if not header:
        return None
    package = DEV_PACKAGE_FOR_HEADER.get(header)
    if package:
        return {"package": package}
    return {"_fix": "Install the development package that provides {header} (apt-file "
                    "finds it), or add its folder with -I",
            "_command": "apt-file search {header}"}


def _symbol(names: dict[str, str]) -> dict[str, str] | None:
    symbol = names.get("symbol", "")
    if names.get("mac"):  # Mach-O names C functions with a leading underscore
        symbol = symbol.lstrip("_") or symbol
    if not symbol:
        return None
    if symbol == "main":
        return {"symbol": symbol, "_means": "No file in the link defines a main function",
                "_fix": "Add main() to one source file, or link the file that has it",
                "_command": ""}
    lib = lib_for_symbol(symbol)
    if lib:
        package = DEV_PACKAGE_FOR_LIB.get(lib.split()[0], "")
        note = f" (its headers come with {package})" if package else ""
        build = names.get("build", "")
        return {"symbol": symbol, "lib": lib,
                "_fix": f"Link the library that defines it by adding -l{lib} at the end "
                        f"of the link command{note}",
                # the build command on the screen, with the library added (plain words
                # only: screen text never brings shell syntax into a command)
                "_command": f"{build} -l{lib}" if _PLAIN.fullmatch(build) else ""}
    if "::" in symbol or "(" in symbol:
        return {"symbol": symbol, "_fix": "Add the .cpp file that defines {symbol} to the "
                                          "build, or the library that has it",
                "_command": ""}
    return {"symbol": symbol}


def _lib(names: dict[str, str]) -> dict[str, str] | None:
    lib = names.get("lib", "")
    if not lib:
        return None
    package = DEV_PACKAGE_FOR_LIB.get(lib) or f"lib{lib}-dev"
    return {"package": package}


def _undeclared(names: dict[str, str]) -> dict[str, str] | None:
    name = names.get("name", "")
    if not name:
        return None
    if name in CXX_HEADER_FOR_NAME:
        header = CXX_HEADER_FOR_NAME[name]
        return {"_means": f"{name} is in the C++ standard library, in the namespace std",
                "_fix": f"Include <{header}> and write std::{name}",
                "_command": f"#include <{header}>"}
    if name in HEADER_FOR_FUNCTION:
        header = HEADER_FOR_FUNCTION[name]
        return {"_fix": "Include the header that declares it", "_command":
                f"#include <{header}>"}
    return {}


def _implicit(names: dict[str, str]) -> dict[str, str] | None:
    name = names.get("name", "")
    header = HEADER_FOR_FUNCTION.get(name)
    return {"header": header} if header else None


ENTRIES: tuple[FixEntry, ...] = (
    FixEntry("compilers.missing_header",
             rx(r"fatal\s*error\s*:\s*{Q}?(?P<header>[\w.+\-/]+\.h(?:pp|h)?){Q}?\s*:?\s*"
                r"(?:No\s*such\s*file\s*or\s*directory|file\s*not\s*found)"),
             "The compiler can't find the header {header}",
             "The library it belongs to, or its development package, is not installed",
             "Install the development package that provides it",
             "sudo apt install {package}", rank=3, derive=_header),
    FixEntry("compilers.undefined_reference",
             rx(r"undefined\s*reference\s*to\s*{Q}(?P<symbol>[^'`‘’\"]+){Q}?"),
             "The linker found no definition of {symbol}",
             "The code calls {symbol}, but no compiled file or library in the link "
             "defines it",
             "Add the source file or the library (-lNAME) that defines it to the link "
             "command", rank=3, derive=_symbol, context=(_BUILD,)),
    FixEntry("compilers.undefined_symbol_mac",
             rx(r"Undefined\s*symbols?\s*for\s*architecture\s*(?P<arch>\w+)"),
             "The linker found no definition of {symbol} for {arch}",
             "The code calls it, but no compiled file or library in the link defines it",
             "Add the source file or the library (-lNAME) that defines it to the link "
             "command", rank=3, derive=_symbol,
             context=(rx(r"^\s*{Q}?(?P<symbol>_\w+){Q}?\s*,\s*referenced\s*from"), _BUILD),
             defaults={"mac": "1", "symbol": "a symbol"}),
    FixEntry("compilers.missing_lib",
             rx(r"(?:cannot\s*find|library\s*not\s*found\s*for)\s*-l\s*(?P<lib>[\w.+\-]+)"),
             "The linker can't find the library {lib}",
             "The program links with -l{lib}, and that library's development files are "
             "not installed, or not on the library path",
             "Install its development package, or add its folder with -L",
             "sudo apt install {package}", rank=3, derive=_lib),
    FixEntry("compilers.multiple_definition",
             rx(r"multiple\s*definition\s*of\s*{Q}(?P<symbol>[^'`‘’\"]+){Q}"),
             "{symbol} is defined more than once",
             "Two files define it, often because a header with its definition is "
             "included by both",
             "Keep one definition in a .c/.cpp file and only declare it (extern) in the "
             "header, or make it static or inline", rank=3),
    FixEntry("compilers.implicit_declaration",
             rx(r"implicit\s*declaration\s*of\s*function\s*{Q}(?P<name>\w+){Q}"),
             "The function {name} is used without a declaration",
             "Its header is not included",
             "Include the header that declares it", "#include <{header}>", rank=3,
             derive=_implicit),
    FixEntry("compilers.implicit_declaration_unknown",
             rx(r"implicit\s*declaration\s*of\s*function\s*{Q}(?P<name>\w+){Q}"),
             "The function {name} is used without a declaration",
             "Its header is not included, or the name is misspelt",
             "Include the header that declares {name}, or declare it before use", rank=2),
    FixEntry("compilers.undeclared",
             rx(r"error\s*:\s*(?:use\s*of\s*undeclared\s*identifier\s*{Q}(?P<name1>\w+){Q}|"
                r"{Q}(?P<name>\w+){Q}\s*(?:was\s*not\s*declared\s*in\s*this\s*scope|"
                r"undeclared)|{Q}(?P<name2>\w+){Q}\s*does\s*not\s*name\s*a\s*type)"),
             "The compiler does not know the name {name}",
             "It is misspelt, declared later, or its header is not included",
             "Declare {name} before this line, or include its header", rank=3,
             derive=lambda n: _undeclared({**n, "name": n.get("name") or n.get("name1")
                                           or n.get("name2", "")})),
    FixEntry("compilers.expected",
             rx(r"error\s*:\s*expected\s*(?:{Q}(?P<token>[^'`‘’\"]+){Q})?\s*(?:before|after|at)"
                r"\s*(?P<where>{Q}[^'`‘’\"]+{Q})?"),
             "The compiler expected {token} before {where}",
             "Something is missing there, usually a ; or a closing bracket at the end of "
             "the line before the one shown",
             "Add the missing {token} at the end of the previous line", rank=3,
             defaults={"token": "something", "where": "that point"},
             derive=lambda n: {} if n["token"] != "something" else {
                 "_fix": "Add what is missing at the end of the previous line"}),
    FixEntry("compilers.no_matching",
             rx(r"no\s*matching\s*function\s*for\s*call\s*to\s*{Q}(?P<call>[^'`‘’\"]+){Q}"),
             "No function matches the call {call}",
             "The arguments' types or count fit none of the declared versions",
             "Compare the call with the candidates the compiler lists below it", rank=3),
    FixEntry("compilers.segfault", rx(r"Segmentation\s*fault"),
             "The program crashed with a segmentation fault",
             "It read or wrote memory it does not own: a null or dangling pointer, or "
             "an index past an array",
             "Run it under a debugger to see the line", "gdb -ex run --args ./{program}",
             rank=3, context=(rx(r"\$\s*\./(?P<program>[\w.\-]+)"),)),
    FixEntry("compilers.linker_failed",
             rx(r"linker\s*command\s*failed|ld\s*returned\s*\d+\s*exit\s*status"),
             "The link step failed",
             "This is the linker's summary: the cause is in the lines just above it, "
             "usually an undefined reference or a library it cannot find",
             "Look above this line for 'undefined reference' or 'cannot find -l', then "
             "add the missing source file or -l library to the link command", rank=1),
    FixEntry("compilers.make",
             rx(r"make(?:\[\d+\])?\s*:\s*(?:\*\*\*)?\s*\[(?P<target>[^\]]+)\]\s*Error\s*\d+"),
             "make stopped at {target}",
             "A command of that rule failed; the cause is printed above this line",
             "Fix the first error above this line, then run make again", "make", rank=1),
    FixEntry("compilers.compilation_terminated",
             rx(r"compilation\s*terminated"),
             "The compiler gave up",
             "An earlier fatal error stopped it",
             "Fix the fatal error just above this line", rank=1),
)
