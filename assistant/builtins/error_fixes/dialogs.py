"""The error windows people meet most on a desktop: not responding, crashed, read-only or
locked documents, full disks, failed mounts, updates and network connections."""

from __future__ import annotations

from assistant.builtins.error_fixes.table import FixEntry, rx

ENTRIES: tuple[FixEntry, ...] = (
    FixEntry("dialogs.not_responding",
             rx(r"{Q}?(?P<app>[\w .\-]{2,40}?){Q}?\s*(?:is\s*not\s*responding|"
                r"\(Not\s*Responding\))"),
             "{app} is not responding",
             "It is busy or stuck and does not react to input",
             "Wait a moment; if it stays stuck, choose Force Quit (your unsaved work in it "
             "is lost)", rank=3),
    FixEntry("dialogs.crashed",
             rx(r"(?P<app>[\w.\-]{2,40})\s*(?:had\s*a\s*problem\s*and\s*crashed|quit\s*"
                r"unexpectedly|has\s*(?:closed|stopped)\s*unexpectedly|(?:has\s*)?crashed)|"
                r"has\s*experienced\s*an\s*internal\s*error"),
             "{app} crashed",
             "The program stopped because of a bug or a broken add-on",
             "Open it again; if it keeps crashing, update it or start it without add-ons, "
             "and send the crash report", rank=3, defaults={"app": "A program"}),
    FixEntry("dialogs.locked",
             rx(r"(?:Document\s*in\s*Use|locked\s*for\s*editing|is\s*locked\s*by)"),
             "The document is locked by someone else",
             "Another window or user has it open, or a crash left its lock file behind",
             "Close the other copy; if there is none, open it read-only or remove the "
             "leftover lock file (.~lock.NAME#) next to it", rank=3),
    FixEntry("dialogs.read_only",
             rx(r"(?:file|document)\s*is\s*read-only|opened\s*read-only|"
                r"(?:could\s*not|cannot|can\W?t)\s*(?:be\s*)?sav(?:e|ed)"),
             "The document could not be saved",
             "The file or its folder is read-only, on a full disk, or no longer there",
             "Use Save As to save it under another name in your own folder", rank=3),
    FixEntry("dialogs.low_disk",
             rx(r"Low\s*Disk\s*Space|only\s*[\d.,]+\s*\w*\s*(?:bytes\s*)?(?:of\s*)?disk\s*"
                r"space\s*remaining|disk\s*space\s*remaining"),
             "The disk is almost full",
             "Programs may fail to save files or to start",
             "Free space: empty the trash, remove large downloads, or look with Disk "
             "Usage Analyzer", "df -h", rank=3),
    FixEntry("dialogs.mount",
             rx(r"(?:Unable\s*to|Failed\s*to|Error)\s*mount(?:ing)?\s*(?P<device>[\w ./\-]*)"),
             "The disk {device} could not be mounted",
             "Its file system is damaged, not supported, or was removed without ejecting",
             "Eject it, plug it back in; if it still fails, check it with the Disks "
             "program", rank=3),
    FixEntry("dialogs.update_failed",
             rx(r"Failed\s*to\s*download\s*repository\s*information|"
                r"(?:update|upgrade)\s*(?:has\s*)?failed|Software\s*Updater.*?error"),
             "The software update failed",
             "A package source is unreachable, or another update is running",
             "Run the update in a terminal to see which source fails", "sudo apt update",
             rank=3),
    FixEntry("dialogs.network",
             rx(r"(?:Activation\s*of\s*network\s*connection\s*failed|"
                r"Connection\s*failed|Authentication\s*required\s*by\s*Wi-?Fi|"
                r"Wi-?Fi\s*Network\s*Authentication\s*Required)"),
             "The network connection failed",
             "The Wi-Fi password was refused, or the network is out of reach",
             "Forget the network, connect again and re-enter its password", rank=3),
    FixEntry("dialogs.access_denied",
             rx(r"You\s*(?:don\W?t|do\s*not)\s*have\s*(?:the\s*)?permissions?\s*(?:necessary\s*)?to|"
                r"Access\s*(?:is\s*)?denied|need\s*permission\s*to\s*perform"),
             "The system denied access",
             "Your account may not open or change that file or setting",
             "Use an account that may, or ask the owner to share it with you", rank=2),
    FixEntry("dialogs.file_missing",
             rx(r"(?:could\s*not|unable\s*to|cannot)\s*(?:be\s*)?(?:find|found|open)\s*"
                r"(?:the\s*)?(?:file\s*)?{Q}?(?P<file>[\w .\-/~]*\.\w{1,5}){Q}?"),
             "The file {file} could not be opened",
             "It was moved, renamed or deleted, or the drive it is on is not connected",
             "Look for it with the file manager's search, or connect its drive", rank=2),
    FixEntry("dialogs.server_lost",
             rx(r"(?:Connection\s*to\s*(?:the\s*)?server\s*(?:was\s*)?lost|"
                r"Could\s*not\s*connect\s*to\s*(?:the\s*)?server)"),
             "The program lost its connection to the server",
             "The network dropped, or the server is down",
             "Check your connection and try again", rank=3),
)
