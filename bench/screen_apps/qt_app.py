"""A form or dialog drawn by Qt widgets (Fusion style, light or dark palette; 150 % via
QT_SCALE_FACTOR set by the caller): `python -m bench.screen_apps.qt_app FORM THEME X Y`.
Once shown, prints a JSON line every second: each target's label and its on-screen
rectangles in screen pixels, as Qt itself maps them (mapToGlobal x device pixel ratio)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QPoint, QTimer
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from bench.screen_forms import FORMS, documents_folder

DARK = {QPalette.Window: "#2d2d30", QPalette.WindowText: "#e6e6e6",
        QPalette.Base: "#1e1e1e", QPalette.AlternateBase: "#2d2d30",
        QPalette.Text: "#e6e6e6", QPalette.Button: "#3a3a3d",
        QPalette.ButtonText: "#e6e6e6", QPalette.Highlight: "#3d7bd9",
        QPalette.HighlightedText: "#ffffff", QPalette.Link: "#6cb4ff",
        QPalette.PlaceholderText: "#8a8a8a", QPalette.ToolTipBase: "#2d2d30",
        QPalette.ToolTipText: "#e6e6e6"}


def rect(widget: QWidget) -> list[int]:
    dpr = widget.devicePixelRatioF()
    top_left = widget.mapToGlobal(QPoint(0, 0))
    return [round(top_left.x() * dpr), round(top_left.y() * dpr),
            round(widget.width() * dpr), round(widget.height() * dpr)]


def clean(text: str) -> str:
    return text.replace("&", "").rstrip(":").strip()


def fixed(widget: QWidget) -> QWidget:
    """The widget at its natural width, so its rectangle is what can be clicked."""
    row = QWidget()
    lay = QHBoxLayout(row)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(widget)
    lay.addStretch(1)
    return row


def build_form(form: str, targets: list) -> QWidget:
    win = QWidget()
    win.setWindowTitle(FORMS[form]["title"])
    outer = QVBoxLayout(win)
    fields = QFormLayout()
    for kind, label, extra in FORMS[form]["items"]:
        if kind == "heading":
            head = QLabel(label)
            font = head.font()
            font.setPointSizeF(font.pointSizeF() * 1.4)
            font.setBold(True)
            head.setFont(font)
            outer.addWidget(head)
        elif kind == "text":
            outer.addWidget(QLabel(label))
        elif kind in ("field", "combo"):
            if kind == "field":
                box = QLineEdit(extra)
                if label == "Password":
                    box.setEchoMode(QLineEdit.Password)
            else:
                box = QComboBox()
                box.addItems(extra)
            lab = QLabel(label + ":")
            lab.setBuddy(box)
            fields.addRow(lab, box)
            targets.append(("field", label, [lab, box]))
            if fields.parent() is None:
                outer.addLayout(fields)
        elif kind in ("checkbox", "radio"):
            w = QCheckBox(label) if kind == "checkbox" else QRadioButton(label)
            w.setChecked(label in ("Standard shipping", "Show the tray icon"))
            outer.addWidget(fixed(w))
            targets.append((kind, label, [w]))
        elif kind == "link":
            w = QLabel(f'<a href="#">{label}</a>')
            outer.addWidget(fixed(w))
            targets.append(("link", label, [w]))
        elif kind == "tabs":
            bar = QTabBar()
            for name in label:
                bar.addTab(name)
            outer.addWidget(bar)
            targets.append(("tabs", bar, label))
        elif kind == "buttons":
            row = QHBoxLayout()
            row.addStretch(1)
            for name in label:
                b = QPushButton(name)
                row.addWidget(b)
                targets.append(("button", name, [b]))
            outer.addLayout(row)
    win.setMinimumWidth(520)
    return win


def build_confirm(targets: list) -> QWidget:
    items = {kind: label for kind, label, _ in FORMS["confirm"]["items"]}
    box = QMessageBox(QMessageBox.Warning, "Delete files", items["heading"])
    box.setInformativeText(items["text"])
    box.addButton("Delete", QMessageBox.DestructiveRole)
    box.addButton(QMessageBox.Cancel)
    check = QCheckBox(items["checkbox"])
    box.setCheckBox(check)
    targets.append(("checkbox", check.text(), [check]))
    for b in box.buttons():
        targets.append(("button", clean(b.text()), [b]))
    return box


def build_save() -> QWidget:  # its targets are read once it is shown (save_targets)
    folder = documents_folder(Path(os.environ.get("HERON_BENCH_DIR") or tempfile.gettempdir()))
    dialog = QFileDialog(None, "Save As", str(folder))
    dialog.setOption(QFileDialog.DontUseNativeDialog, True)
    dialog.setAcceptMode(QFileDialog.AcceptSave)
    dialog.setNameFilters(["Text files (*.txt)", "All files (*)"])
    dialog.selectFile("report-final.txt")
    return dialog


def save_targets(dialog: QWidget, targets: list) -> None:
    for b in dialog.findChildren(QPushButton):
        if b.isVisible() and clean(b.text()):
            targets.append(("button", clean(b.text()), [b]))
    for lab in dialog.findChildren(QLabel):
        if lab.isVisible() and lab.buddy() is not None and clean(lab.text()):
            targets.append(("field", clean(lab.text()), [lab, lab.buddy()]))


def main() -> None:
    form, theme, x, y = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    app = QApplication([])
    app.setStyle("Fusion")
    app.setFont(QFont("DejaVu Sans", 10))
    palette = app.style().standardPalette()
    if theme == "dark":
        for role, colour in DARK.items():
            palette.setColor(role, QColor(colour))
    app.setPalette(palette)
    targets: list = []
    if form == "confirm":
        win = build_confirm(targets)
    elif form == "save":
        win = build_save()
    else:
        win = build_form(form, targets)
    win.move(x, y)
    win.show()

    def report() -> None:
        """Where everything is now; again every second (a window may still move)."""
        shown = list(targets)
        if form == "save":
            save_targets(win, shown)
        out = []
        for kind, label, widgets in shown:
            if kind == "tabs":  # label is the QTabBar, widgets the names
                bar, dpr = label, label.devicePixelRatioF()
                for i, name in enumerate(widgets):
                    r = bar.tabRect(i)
                    p = bar.mapToGlobal(r.topLeft())
                    out.append({"kind": "tab", "label": name, "rects": [[
                        round(p.x() * dpr), round(p.y() * dpr), round(r.width() * dpr),
                        round(r.height() * dpr)]]})
            else:
                out.append({"kind": kind, "label": label,
                            "rects": [rect(w) for w in widgets]})
        print(json.dumps({"window": rect(win), "targets": out}), flush=True)

    timer = QTimer()
    timer.timeout.connect(report)
    timer.start(1000)
    app.exec()


if __name__ == "__main__":
    main()
