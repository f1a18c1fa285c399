"""The shell and the system: command not found, permission denied, no space left, missing
paths, ports in use, apt, docker, ssh."""

from __future__ import annotations

import difflib

from assistant.builtins.error_fixes.names import APT_FOR_COMMAND, OTHER_INSTALL
from assistant.builtins.error_fixes.table import FixEntry, rx

_CMD = r"(?P<cmd{n}>[\w.+\-]+)"


def _command(names: dict[str, str]) -> dict[str, str] | None:
    cmd = names.get("cmd", "")
    if not cmd or len(cmd) > 40:
        return None
    if cmd in OTHER_INSTALL:
        how = OTHER_INSTALL[cmd]
        return ({"_fix": "Install it with its own installer", "_command": how} if how else
                {"_fix": f"Install {cmd} as its maker describes (it is not an apt "
                         "package), or add its folder to PATH", "_command": ""})
    package = APT_FOR_COMMAND.get(cmd)
    if package:
        extra = {"package": package}
        if cmd == "python":
            extra["_fix"] = ("Use python3, or make python mean python3 by installing "
                             "python-is-python3")
        return extra
    close = difflib.get_close_matches(cmd, list(APT_FOR_COMMAND), n=1, cutoff=0.75)
    if close and close[0] != cmd:
        return {"_means": f"There is no program called {cmd}; it looks like a typo for "
                          f"{close[0]}",
                "_fix": f"Type {close[0]} instead, or install {cmd} if you meant it",
                "_command": ""}
    return {"_fix": "Install the package that provides {cmd} with your package manager "
                    "(apt search finds it), or add its folder to PATH",
            "_command": "apt search {cmd}"}


def _any_command(names: dict[str, str]) -> dict[str, str] | None:
    """The shells name the command in different places (groups cmd, cmd2 … cmd7)."""
    cmd = next((names[k] for k in ("cmd", "cmd2", "cmd3", "cmd4", "cmd5", "cmd6", "cmd7")
                if names.get(k)), "")
    found = _command({**names, "cmd": cmd})
    return None if found is None else {"cmd": cmd, **found}


def _chmod(names: dict[str, str]) -> dict[str, str] | None:
    path = names.get("path", "")
    return {} if path.startswith(("./", "/", "~")) or path.endswith(".sh") else None


def _port(names: dict[str, str]) -> dict[str, str]:
    port = names.get("port", "")
    return {"_command": "ss -ltnp 'sport = :{port}'"} if port else {}


ENTRIES: tuple[FixEntry, ...] = (
    FixEntry("shell.command_not_found",
             rx(r"(?:^|[\s:])" + _CMD.format(n="") + r"\s*:\s*command\s*not\s*found\s*$|"
                r"^\s*(?:\w*sh|dash)\s*:\s*(?:line\s*)?\d*\s*:?\s*" + _CMD.format(n=6)
                + r"\s*:\s*not\s*found\s*$|"
                r"Command\s*{Q}" + _CMD.format(n=7) + r"{Q}\s*not\s*found|"
                r"command\s*not\s*found\s*:\s*" + _CMD.format(n=2) + "|"
                r"Unknown\s*command\s*:?\s*{Q}?" + _CMD.format(n=3) + "|"
                "{Q}" + _CMD.format(n=4) + r"{Q}\s*is\s*not\s*recognized\s*as|"
                r"The\s*term\s*{Q}" + _CMD.format(n=5) + r"{Q}\s*is\s*not\s*recognized"),
             "The shell has no command called {cmd}",
             "It isn't installed, or its folder is not on your PATH",
             "Install it with the package manager", "sudo apt install {package}",
             rank=3, derive=_any_command),
    FixEntry("shell.docker_socket",
             rx(r"permission\s*denied\s*while\s*trying\s*to\s*connect\s*to\s*the\s*Docker\s*"
                r"daemon"),
             "Docker refused you access to its daemon",
             "Your user is not in the docker group",
             "Add yourself to it, then log out and back in",
             "sudo usermod -aG docker $USER", rank=3),
    FixEntry("shell.apt_lock",
             rx(r"Could\s*not\s*(?:get|open)\s*lock\s*(?P<path>/var/\S+?)(?:\.|\s|$)"
                r"(?:.*?(?P<perm>Permission\s*denied|are\s*you\s*root))?"),
             "apt could not take its lock {path}",
             "Another apt or update program is running, or you ran apt without sudo",
             "Wait for the other update to finish (never delete the lock); if none is "
             "running, run the command with sudo", rank=3),
    FixEntry("shell.apt_unknown_package",
             rx(r"E\s*:\s*Unable\s*to\s*locate\s*package\s*(?P<package>[\w.+\-]+)"),
             "apt knows no package called {package}",
             "The package lists are out of date, or the name is different",
             "Update the lists, then search for the right name", "sudo apt update && "
             "apt search {package}", rank=3),
    FixEntry("shell.not_executable",
             rx(r"(?:bash|zsh|sh)\s*:\s*(?:line\s*\d+\s*:\s*)?(?P<path>[\w.~/\-]+)\s*:\s*"
                r"Permission\s*denied"),
             "The system won't run {path}",
             "The file is not marked executable",
             "Make it executable, then run it again", "chmod +x {path}", rank=3,
             derive=_chmod),
    FixEntry("shell.write_denied",
             rx(r"(?P<tool>\w+)\s*:\s*(?:cannot\s*(?:create|open|remove|touch|stat|"
                r"access|move)\s*(?:regular\s*file|directory)?\s*)?{Q}(?P<path>[^'\"`‘’]+)"
                r"{Q}\s*:?\s*Permission\s*denied"),
             "You are not allowed to use {path}",
             "It belongs to another user, usually root, and your user may not change it",
             "Work in a folder you own; if you meant to change the system, run the "
             "command with sudo. Check the owner with", "ls -ld {path}", rank=3),
    FixEntry("shell.permission_denied", rx(r"Permission\s*denied"),
             "Permission was denied",
             "Your user lacks the rights for that file or action",
             "Check the file's owner and permissions, or whether it needs sudo", rank=2),
    FixEntry("shell.no_space",
             rx(r"No\s*space\s*left\s*on\s*device|ENOSPC|disk\s*(?:is\s*)?full"),
             "The disk is full",
             "Nothing more can be written until space is freed",
             "See which disk is full with df -h, find what is big with du, and free space "
             "(old downloads, caches: sudo apt clean, docker system prune)", "df -h",
             rank=3),
    FixEntry("shell.read_only", rx(r"Read-only\s*file\s*system"),
             "The disk is mounted read-only",
             "It was mounted that way, or the system switched it to read-only after disk "
             "errors", "Check the mount and the kernel log for disk errors",
             "mount | grep ' ro'", rank=3),
    FixEntry("shell.address_in_use",
             rx(r"(?:EADDRINUSE|address\s*already\s*in\s*use)(?:.*?:(?P<port>\d{2,5}))?"),
             "The port {port} is already in use",
             "Another program, often an earlier copy of this one, is listening on it",
             "Stop that program, or use another port", "ss -ltnp", rank=3, derive=_port,
             defaults={"port": ""}),
    FixEntry("shell.connection_refused",
             rx(r"Failed\s*to\s*connect\s*to\s*(?P<host>[\w.\-]+)\s*port\s*(?P<port>\d+)|"
                r"connect\s*to\s*host\s*(?P<host2>[\w.\-]+)\s*port\s*(?P<port2>\d+)\s*:\s*"
                r"Connection\s*refused"),
             "Nothing answered at {host}{host2} port {port}{port2}",
             "The server is not running, or listens on another port",
             "Start the server, or check the address and port", rank=3),
    FixEntry("shell.resolve_host",
             rx(r"Could\s*not\s*resolve\s*(?:host|hostname)\s*:?\s*(?P<host>[\w.\-]+)|"
                r"(?:Name\s*or\s*service\s*not\s*known|Temporary\s*failure\s*in\s*name\s*"
                r"resolution)"),
             "The name {host} could not be looked up",
             "It is misspelt, or the network or DNS is down",
             "Check the spelling and your network connection", rank=3,
             defaults={"host": "of the server"}),
    FixEntry("shell.host_key",
             rx(r"REMOTE\s*HOST\s*IDENTIFICATION\s*HAS\s*CHANGED|Host\s*key\s*verification"
                r"\s*failed"),
             "SSH refused the server because its key changed",
             "The server was reinstalled, or someone is in between; ssh will not guess "
             "which", "If you know the server changed, remove its old key and connect "
             "again", "ssh-keygen -R {host}", rank=3,
             context=(rx(r"ssh\s+(?:\S+@)?(?P<host>[\w.\-]+)\s*$"),)),
    FixEntry("shell.ssh_timeout",
             rx(r"connect\s*to\s*host\s*(?P<host>[\w.\-]+)\s*port\s*(?P<port>\d+)\s*:\s*"
                r"(?:Connection\s*timed\s*out|No\s*route\s*to\s*host)"),
             "The computer {host} did not answer on port {port}",
             "It is off, unreachable from this network, or a firewall drops the "
             "connection", "Check the address, the network and the firewall", rank=3),
    FixEntry("shell.too_many_files", rx(r"Too\s*many\s*open\s*files"),
             "The program hit the limit of open files",
             "It opens more files or sockets than the limit allows, or never closes them",
             "Raise the limit for this shell, and look for files left open",
             "ulimit -n 4096", rank=3),
    FixEntry("shell.killed", rx(r"Out\s*of\s*memory\s*:\s*Kill(?:ed)?\s*process|"
                                r"^\s*Killed\s*$"),
             "The system killed the program",
             "It most likely ran out of memory",
             "Give it less data at once, or close other programs", rank=2),
    FixEntry("shell.no_such_file",
             rx(r"(?P<tool>[\w.\-]+)\s*:\s*(?:cannot\s*(?:access|open|stat)\s*)?{Q}?"
                r"(?P<path>[^'\"`‘’:]+?){Q}?\s*:\s*No\s*such\s*file\s*or\s*directory"),
             "{path} does not exist",
             "The path is misspelt, or relative to another folder than the current one",
             "Check the path; ls shows what is there", "ls", rank=2),
    FixEntry("shell.exit_code",
             rx(r"(?:exited|returned)\s*(?:with\s*)?(?:non-zero\s*)?(?:exit\s*)?"
                r"(?:code|status)\s*(?P<code>[1-9]\d*)"),
             "A command failed with exit code {code}",
             "This is a summary: the reason is in the lines printed before it",
             "Look at the first error message above this line", rank=1),
)
