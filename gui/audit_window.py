"""The audit viewer: the log, newest first, with a filter, and the result of verifying
its tamper-evident chain in a banner. `load(entries, report)` takes what the core
read (on its own thread: reading and verifying never runs on the GUI thread)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

COLUMNS = ("time", "kind", "tool", "what")


class AuditWindow(QWidget):
    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Heron — audit log")
        self.resize(820, 480)
        self.banner = QLabel("Checking the log…")
        self.banner.setWordWrap(True)
        self.banner.setMinimumHeight(40)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter (tool, kind, text)…")
        self.filter.textChanged.connect(self._apply_filter)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setColumnWidth(0, 150)
        refresh = QPushButton("&Refresh and verify")
        refresh.clicked.connect(self.refresh_requested.emit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addWidget(refresh)
        self.entries: list[dict[str, Any]] = []

    def load(self, entries: list[dict[str, Any]], report: Any) -> None:
        """`entries`: AuditLog.entries() (oldest first); `report`: AuditLog.check()."""
        self.entries = list(reversed(entries))
        if report.ok:
            self.banner.setText(f"✔ The log is intact: {report.rows_checked} entries checked.")
            self.banner.setStyleSheet("background: #e3f5e6; color: #1d5e2b; padding: 6px;")
        else:
            first = report.problems[0]
            where = f" (entry {first.row_id})" if first.row_id is not None else ""
            self.banner.setText(f"✘ The log was tampered with{where}: {first.message}. "
                                f"{len(report.problems)} problem(s); `heron audit verify` "
                                "lists them.")
            self.banner.setStyleSheet("background: #fde2e0; color: #8a1c13; padding: 6px;"
                                      "font-weight: bold;")
        self.table.setRowCount(len(self.entries))
        for row, e in enumerate(self.entries):
            when = dt.datetime.fromtimestamp(float(e.get("ts", 0))).strftime("%Y-%m-%d %H:%M:%S")
            what = {k: v for k, v in e.items() if k not in ("id", "ts", "kind", "tool")}
            for col, text in enumerate((when, str(e.get("kind", "")), str(e.get("tool", "")),
                                        json.dumps(what, default=str)[:300])):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self._apply_filter(self.filter.text())

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for row in range(self.table.rowCount()):
            cells = (self.table.item(row, c) for c in range(len(COLUMNS)))
            line = " ".join(c.text() for c in cells if c is not None).lower()
            self.table.setRowHidden(row, bool(needle) and needle not in line)

    def visible_rows(self) -> int:
        return sum(not self.table.isRowHidden(r) for r in range(self.table.rowCount()))
