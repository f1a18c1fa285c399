"""What a name on the screen is called elsewhere: the pip package for a Python module,
the Debian/Ubuntu package for a command, a C header or a `-l` library, the library or
header a C function lives in, the import line for a conventional alias. Only names
where the answer differs from the guess, or where a guess would be wrong, are here."""

from __future__ import annotations

# import name → the name pip installs it by (when they differ)
PIP_PACKAGE = {
    "cv2": "opencv-python", "PIL": "pillow", "yaml": "pyyaml", "sklearn": "scikit-learn",
    "skimage": "scikit-image", "bs4": "beautifulsoup4", "dateutil": "python-dateutil",
    "dotenv": "python-dotenv", "Crypto": "pycryptodome", "serial": "pyserial",
    "usb": "pyusb", "magic": "python-magic", "jwt": "PyJWT", "attr": "attrs",
    "docx": "python-docx", "pptx": "python-pptx", "gi": "PyGObject",
    "MySQLdb": "mysqlclient", "psycopg2": "psycopg2-binary", "fitz": "PyMuPDF",
    "telegram": "python-telegram-bot", "win32api": "pywin32", "win32con": "pywin32",
    "OpenSSL": "pyOpenSSL", "Levenshtein": "python-Levenshtein", "zmq": "pyzmq",
    "google.protobuf": "protobuf", "Image": "pillow", "tensorflow_hub": "tensorflow-hub",
    "discord": "discord.py", "socketio": "python-socketio", "slugify": "python-slugify",
    "multipart": "python-multipart", "jose": "python-jose", "ldap": "python-ldap",
    "nacl": "PyNaCl", "git": "GitPython", "github": "PyGithub", "mpl_toolkits": "matplotlib",
    "pkg_resources": "setuptools", "wx": "wxPython", "kafka": "kafka-python",
    "Bio": "biopython", "faiss": "faiss-cpu", "sentence_transformers": "sentence-transformers",
    "dns": "dnspython", "lxml": "lxml", "tkinter": "",  # tkinter: the OS package, below
}
# modules that come with Python or from the OS, never from pip
OS_PYTHON_MODULE = {"tkinter": "python3-tk", "_tkinter": "python3-tk", "distutils":
                    "python3-setuptools", "apt": "python3-apt", "venv": "python3-venv"}

# command → Debian/Ubuntu package (when the package name differs or is not obvious)
APT_FOR_COMMAND = {
    "rg": "ripgrep", "fd": "fd-find", "fdfind": "fd-find", "ag": "silversearcher-ag",
    "convert": "imagemagick", "magick": "imagemagick", "identify": "imagemagick",
    "ffmpeg": "ffmpeg", "ffprobe": "ffmpeg", "jq": "jq", "yq": "yq", "htop": "htop",
    "tree": "tree", "curl": "curl", "wget": "wget", "git": "git", "make": "make",
    "gcc": "gcc", "cc": "gcc", "g++": "g++", "clang": "clang", "cmake": "cmake",
    "node": "nodejs", "nodejs": "nodejs", "npm": "npm", "npx": "npm",
    "python": "python-is-python3", "python3": "python3", "pip": "python3-pip",
    "pip3": "python3-pip", "docker": "docker.io", "nvim": "neovim", "vim": "vim",
    "bat": "bat", "batcat": "bat", "ifconfig": "net-tools", "netstat": "net-tools",
    "dig": "dnsutils", "nslookup": "dnsutils", "host": "bind9-host", "ping": "iputils-ping",
    "ssh": "openssh-client", "scp": "openssh-client", "sshd": "openssh-server",
    "unzip": "unzip", "zip": "zip", "7z": "p7zip-full", "xclip": "xclip", "xsel": "xsel",
    "tmux": "tmux", "screen": "screen", "cargo": "cargo", "rustc": "rustc", "go": "golang-go",
    "java": "default-jre", "javac": "default-jdk", "mvn": "maven", "gradle": "gradle",
    "pdftotext": "poppler-utils", "pdftoppm": "poppler-utils", "sqlite3": "sqlite3",
    "psql": "postgresql-client", "mysql": "default-mysql-client", "redis-cli": "redis-tools",
    "nc": "netcat-openbsd", "netcat": "netcat-openbsd", "traceroute": "traceroute",
    "lsof": "lsof", "strace": "strace", "gdb": "gdb", "valgrind": "valgrind",
    "shellcheck": "shellcheck", "http": "httpie", "rsync": "rsync", "nmap": "nmap",
    "whois": "whois", "telnet": "telnet", "ncdu": "ncdu", "pv": "pv", "xdotool": "xdotool",
    "espeak-ng": "espeak-ng", "sox": "sox", "mpv": "mpv", "vlc": "vlc", "gimp": "gimp",
    "inkscape": "inkscape", "pandoc": "pandoc", "pdflatex": "texlive-latex-base",
    "latexmk": "latexmk", "php": "php-cli", "ruby": "ruby", "gem": "ruby", "perl": "perl",
    "lua": "lua5.4", "zsh": "zsh", "fish": "fish", "entr": "entr", "fzf": "fzf",
    "exa": "exa", "eza": "eza", "tldr": "tldr", "ninja": "ninja-build",
    "meson": "meson", "autoconf": "autoconf", "automake": "automake",
    "pkg-config": "pkg-config", "ansible": "ansible", "terraform": "",
    "kubectl": "", "code": "", "yarn": "", "pnpm": "", "aws": "awscli", "gh": "gh",
    "hg": "mercurial", "svn": "subversion", "xxd": "xxd", "hexdump": "bsdextrautils",
    "column": "bsdextrautils", "ip": "iproute2", "ss": "iproute2", "lspci": "pciutils",
    "lsusb": "usbutils", "sensors": "lm-sensors", "iotop": "iotop", "ab": "apache2-utils",
}
# the commands above whose install is not an apt package: how instead
OTHER_INSTALL = {
    "yarn": "corepack enable", "pnpm": "corepack enable",
    "kubectl": "", "terraform": "", "code": "",
}

# C/C++ header → the -dev package that provides it
DEV_PACKAGE_FOR_HEADER = {
    "openssl/ssl.h": "libssl-dev", "openssl/evp.h": "libssl-dev",
    "openssl/crypto.h": "libssl-dev", "zlib.h": "zlib1g-dev", "Python.h": "python3-dev",
    "curl/curl.h": "libcurl4-openssl-dev", "sqlite3.h": "libsqlite3-dev",
    "ffi.h": "libffi-dev", "png.h": "libpng-dev", "jpeglib.h": "libjpeg-dev",
    "GL/gl.h": "libgl-dev", "GL/glu.h": "libglu1-mesa-dev", "GL/glew.h": "libglew-dev",
    "GLFW/glfw3.h": "libglfw3-dev", "SDL2/SDL.h": "libsdl2-dev", "SDL.h": "libsdl2-dev",
    "X11/Xlib.h": "libx11-dev", "ncurses.h": "libncurses-dev", "curses.h": "libncurses-dev",
    "readline/readline.h": "libreadline-dev", "yaml.h": "libyaml-dev",
    "libxml/parser.h": "libxml2-dev", "expat.h": "libexpat1-dev", "bzlib.h": "libbz2-dev",
    "lzma.h": "liblzma-dev", "uuid/uuid.h": "uuid-dev", "pcap.h": "libpcap-dev",
    "alsa/asoundlib.h": "libasound2-dev", "pulse/simple.h": "libpulse-dev",
    "portaudio.h": "portaudio19-dev", "gtk/gtk.h": "libgtk-3-dev",
    "glib.h": "libglib2.0-dev", "dbus/dbus.h": "libdbus-1-dev", "mysql.h": "libmysqlclient-dev",
    "libpq-fe.h": "libpq-dev", "pq-fe.h": "libpq-dev", "boost/asio.hpp": "libboost-all-dev",
    "opencv2/opencv.hpp": "libopencv-dev", "eigen3/Eigen/Dense": "libeigen3-dev",
    "Eigen/Dense": "libeigen3-dev", "gmp.h": "libgmp-dev", "fftw3.h": "libfftw3-dev",
    "libusb.h": "libusb-1.0-0-dev", "libusb-1.0/libusb.h": "libusb-1.0-0-dev",
    "sodium.h": "libsodium-dev", "zstd.h": "libzstd-dev", "lz4.h": "liblz4-dev",
    "freetype2/ft2build.h": "libfreetype-dev", "ft2build.h": "libfreetype-dev",
    "systemd/sd-daemon.h": "libsystemd-dev", "libudev.h": "libudev-dev",
    "gmock/gmock.h": "libgmock-dev", "gtest/gtest.h": "libgtest-dev",
    "fmt/core.h": "libfmt-dev", "spdlog/spdlog.h": "libspdlog-dev",
    "nlohmann/json.hpp": "nlohmann-json3-dev", "event2/event.h": "libevent-dev",
}
# -l<name> → its -dev package
DEV_PACKAGE_FOR_LIB = {
    "ssl": "libssl-dev", "crypto": "libssl-dev", "z": "zlib1g-dev",
    "curl": "libcurl4-openssl-dev", "sqlite3": "libsqlite3-dev", "ffi": "libffi-dev",
    "png": "libpng-dev", "jpeg": "libjpeg-dev", "GL": "libgl-dev", "GLU": "libglu1-mesa-dev",
    "GLEW": "libglew-dev", "glfw": "libglfw3-dev", "SDL2": "libsdl2-dev", "X11": "libx11-dev",
    "ncurses": "libncurses-dev", "ncursesw": "libncurses-dev", "readline": "libreadline-dev",
    "yaml": "libyaml-dev", "xml2": "libxml2-dev", "bz2": "libbz2-dev", "lzma": "liblzma-dev",
    "uuid": "uuid-dev", "pcap": "libpcap-dev", "asound": "libasound2-dev",
    "pulse": "libpulse-dev", "portaudio": "portaudio19-dev", "pq": "libpq-dev",
    "mysqlclient": "libmysqlclient-dev", "gmp": "libgmp-dev", "fftw3": "libfftw3-dev",
    "usb-1.0": "libusb-1.0-0-dev", "sodium": "libsodium-dev", "zstd": "libzstd-dev",
    "boost_system": "libboost-system-dev", "boost_filesystem": "libboost-filesystem-dev",
    "gtest": "libgtest-dev", "fmt": "libfmt-dev", "event": "libevent-dev",
    "systemd": "libsystemd-dev", "udev": "libudev-dev", "expat": "libexpat1-dev",
}
# C function (as the linker names it) → the -l flag that defines it
LIB_FOR_SYMBOL = {
    **dict.fromkeys(("sqrt", "pow", "sin", "cos", "tan", "exp", "log", "log10", "floor",
                     "ceil", "fabs", "fmod", "atan2", "round", "sqrtf", "powf"), "m"),
    **dict.fromkeys(("pthread_create", "pthread_join", "pthread_mutex_lock",
                     "pthread_detach"), "pthread"),
    **dict.fromkeys(("dlopen", "dlsym", "dlclose", "dlerror"), "dl"),
    **dict.fromkeys(("clock_gettime", "shm_open", "timer_create"), "rt"),
}
# symbol prefix → the -l flags of its library
LIB_FOR_PREFIX = (("SSL_", "ssl -lcrypto"), ("EVP_", "crypto"), ("curl_", "curl"),
                  ("sqlite3_", "sqlite3"), ("deflate", "z"), ("inflate", "z"),
                  ("png_", "png"), ("jpeg_", "jpeg"), ("glfw", "glfw"),
                  ("glew", "GLEW"), ("SDL_", "SDL2"), ("XOpen", "X11"), ("initscr", "ncurses"),
                  ("readline", "readline"), ("xml", "xml2"), ("uuid_", "uuid"),
                  ("pcap_", "pcap"), ("snd_", "asound"), ("PQ", "pq"), ("mysql_", "mysqlclient"),
                  ("sodium_", "sodium"), ("crypto_", "sodium"), ("ZSTD_", "zstd"))

# C function → the header that declares it
HEADER_FOR_FUNCTION = {
    **dict.fromkeys(("printf", "fprintf", "sprintf", "snprintf", "scanf", "puts", "fopen",
                     "fclose", "getchar", "perror", "fgets"), "stdio.h"),
    **dict.fromkeys(("malloc", "calloc", "realloc", "free", "exit", "atoi", "atof", "rand",
                     "srand", "qsort", "getenv", "system", "abs"), "stdlib.h"),
    **dict.fromkeys(("strlen", "strcpy", "strncpy", "strcmp", "strncmp", "strcat", "memcpy",
                     "memset", "memmove", "strchr", "strstr", "strdup"), "string.h"),
    **dict.fromkeys(("sleep", "usleep", "read", "write", "close", "fork", "getpid",
                     "access", "unlink"), "unistd.h"),
    **dict.fromkeys(("sqrt", "pow", "sin", "cos", "floor", "ceil", "fabs"), "math.h"),
    **dict.fromkeys(("isdigit", "isalpha", "isspace", "toupper", "tolower"), "ctype.h"),
    **dict.fromkeys(("time", "clock", "strftime", "localtime"), "time.h"),
    "bool": "stdbool.h", "uint8_t": "stdint.h", "uint32_t": "stdint.h", "int64_t": "stdint.h",
    "size_t": "stddef.h", "assert": "assert.h",
}
# C++ standard names used without std:: → their header
CXX_HEADER_FOR_NAME = {
    "cout": "iostream", "cin": "iostream", "cerr": "iostream", "endl": "iostream",
    "string": "string", "vector": "vector", "map": "map", "unordered_map": "unordered_map",
    "set": "set", "unique_ptr": "memory", "shared_ptr": "memory", "make_unique": "memory",
    "sort": "algorithm", "min": "algorithm", "max": "algorithm", "thread": "thread",
    "mutex": "mutex", "optional": "optional", "function": "functional",
}

# a Python name used without its import → the usual import line
IMPORT_FOR_NAME = {
    "np": "import numpy as np", "pd": "import pandas as pd",
    "plt": "import matplotlib.pyplot as plt", "tf": "import tensorflow as tf",
    "sns": "import seaborn as sns", "Path": "from pathlib import Path",
    "datetime": "import datetime", "defaultdict": "from collections import defaultdict",
    "Counter": "from collections import Counter", "dataclass":
    "from dataclasses import dataclass", "Optional": "from typing import Optional",
    "List": "from typing import List", "Dict": "from typing import Dict",
    "Any": "from typing import Any", "partial": "from functools import partial",
    **{m: f"import {m}" for m in ("os", "sys", "re", "json", "math", "time", "random",
                                  "subprocess", "shutil", "logging", "itertools",
                                  "functools", "collections", "csv", "pickle", "asyncio",
                                  "argparse", "requests", "torch", "copy", "glob")},
}


def apt_for_command(command: str) -> str | None:
    """The package that provides `command` ("" when it is not an apt package), or None
    when unknown."""
    return APT_FOR_COMMAND.get(command)


def pip_package(module: str) -> str:
    """The pip name for an import name: the known exception, else the top-level name."""
    if module in PIP_PACKAGE:
        return PIP_PACKAGE[module]
    top = module.split(".", 1)[0]
    return PIP_PACKAGE.get(top, top)


def lib_for_symbol(symbol: str) -> str:
    """The -l flags that define a C `symbol` ("" when unknown)."""
    if symbol in LIB_FOR_SYMBOL:
        return LIB_FOR_SYMBOL[symbol]
    for prefix, lib in LIB_FOR_PREFIX:
        if symbol.startswith(prefix) and len(symbol) > len(prefix):
            return lib
    return ""
