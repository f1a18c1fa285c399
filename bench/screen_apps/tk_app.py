"""A form or dialog drawn by Tk (ttk "clam", light or dark; 150 % via `tk scaling`,
which scales fonts given in points): `python -m bench.screen_apps.tk_app FORM THEME
SCALE X Y`. The confirm and save screens are Tk's own message box and file dialog.
Once shown, prints one JSON line: each target's label and its rectangles in screen
pixels, as Tk reports them (winfo rootx/rooty/width/height)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import tkinter as tk
from pathlib import Path
from tkinter import filedialog, font, messagebox, ttk

from bench.screen_forms import FORMS, documents_folder

DARK = {"bg": "#2d2d30", "fg": "#e6e6e6", "field": "#1e1e1e", "button": "#3a3a3d",
        "link": "#6cb4ff"}
LIGHT = {"bg": "#efefef", "fg": "#1a1a1a", "field": "#ffffff", "button": "#e0e0e0",
         "link": "#1a5fb4"}


def rect(w: tk.Misc) -> list[int]:
    return [w.winfo_rootx(), w.winfo_rooty(), w.winfo_width(), w.winfo_height()]


def theme(root: tk.Tk, name: str) -> dict[str, str]:
    c = DARK if name == "dark" else LIGHT
    style = ttk.Style(root)
    style.theme_use("clam")
    style.configure(".", background=c["bg"], foreground=c["fg"], fieldbackground=c["field"],
                    insertcolor=c["fg"])
    style.configure("TButton", background=c["button"])
    style.configure("TEntry", fieldbackground=c["field"], foreground=c["fg"])
    style.map("TCombobox", fieldbackground=[("readonly", c["field"])],
              foreground=[("readonly", c["fg"])])
    style.configure("Link.TLabel", foreground=c["link"])
    for key in ("background", "Entry.background", "Listbox.background"):
        root.option_add(f"*{key}", c["field"] if "." in key else c["bg"])
    root.option_add("*foreground", c["fg"])
    root.configure(background=c["bg"])
    return c


def build_form(root: tk.Tk, form: str, targets: list) -> None:
    frame = ttk.Frame(root, padding=12)
    frame.pack(fill="both", expand=True)
    row = 0
    for kind, label, extra in FORMS[form]["items"]:
        if kind == "heading":
            ttk.Label(frame, text=label, font=("DejaVu Sans", 14, "bold")).grid(
                row=row, column=0, columnspan=2, sticky="w", pady=(0, 8))
        elif kind == "text":
            ttk.Label(frame, text=label).grid(row=row, column=0, columnspan=2, sticky="w")
        elif kind in ("field", "combo"):
            lab = ttk.Label(frame, text=label + ":")
            lab.grid(row=row, column=0, sticky="w", padx=(0, 8), pady=2)
            if kind == "field":
                box = ttk.Entry(frame, width=36, show="*" if label == "Password" else "")
                box.insert(0, extra)
            else:
                box = ttk.Combobox(frame, values=extra, state="readonly", width=34)
                box.current(0)
            box.grid(row=row, column=1, sticky="we", pady=2)
            targets.append(("field", label, [lab, box]))
        elif kind in ("checkbox", "radio"):
            var = tk.IntVar(value=label in ("Standard shipping", "Show the tray icon"))
            w = (ttk.Checkbutton(frame, text=label, variable=var) if kind == "checkbox" else
                 ttk.Radiobutton(frame, text=label, variable=var, value=1))
            w.var = var
            w.grid(row=row, column=0, columnspan=2, sticky="w", pady=1)
            targets.append((kind, label, [w]))
        elif kind == "link":
            w = ttk.Label(frame, text=label, style="Link.TLabel", cursor="hand2",
                          font=("DejaVu Sans", 10, "underline"))
            w.grid(row=row, column=0, columnspan=2, sticky="w", pady=2)
            targets.append(("link", label, [w]))
        elif kind == "tabs":
            book = ttk.Notebook(frame)
            for name in label:
                book.add(ttk.Frame(book, height=4), text=name)
            book.grid(row=row, column=0, columnspan=2, sticky="we", pady=(0, 8))
            targets.append(("tabs", book, label))
        elif kind == "buttons":
            bar = ttk.Frame(frame)
            bar.grid(row=row, column=0, columnspan=2, sticky="e", pady=(10, 0))
            for name in label:
                b = ttk.Button(bar, text=name)
                b.pack(side="left", padx=3)
                targets.append(("button", name, [b]))
        row += 1


def tab_rects(book: ttk.Notebook, names: list[str]) -> list[dict]:
    """Each tab's rectangle, found with the notebook's own hit test (`index @x,y`)."""
    out, x0, y0 = [], book.winfo_rootx(), book.winfo_rooty()
    for i, name in enumerate(names):
        xs = [x for x in range(book.winfo_width()) if _tab_at(book, x, 8) == i]
        ys = [y for y in range(min(60, book.winfo_height())) if _tab_at(book, xs[0], y) == i]
        out.append({"kind": "tab", "label": name,
                    "rects": [[x0 + xs[0], y0 + ys[0], len(xs), len(ys)]]})
    return out


def _tab_at(book: ttk.Notebook, x: int, y: int) -> int | None:
    try:
        return int(book.index(f"@{x},{y}"))
    except (tk.TclError, ValueError):
        return None


def dialog_targets(root: tk.Tk, path: str) -> list[dict]:
    """Buttons, check boxes and labelled fields of a dialog Tk built in Tcl (its widgets
    are Tcl's, not tkinter objects: asked by path name)."""
    call, out = root.tk.call, []

    def box(w: str) -> list[int]:
        return [int(call("winfo", q, w)) for q in ("rootx", "rooty", "width", "height")]

    def walk(widget: str) -> None:
        for child in root.tk.splitlist(call("winfo", "children", widget)):
            child = str(child)
            cls = str(call("winfo", "class", child))
            text = ""
            if cls in ("Button", "TButton", "Checkbutton", "TCheckbutton", "Label", "TLabel"):
                text = str(call(child, "cget", "-text"))
            if text and int(call("winfo", "ismapped", child)):
                if cls in ("Button", "TButton"):
                    out.append({"kind": "button", "label": text, "rects": [box(child)]})
                elif cls in ("Checkbutton", "TCheckbutton"):
                    out.append({"kind": "checkbox", "label": text, "rects": [box(child)]})
                elif text.endswith(":"):  # tkfbox: f1.lab -> f1.menu, f2.lab -> f2.ent,
                    parent, name = child.rsplit(".", 1)  # f2.lab2 -> f2.menu
                    buddy = {"lab": "ent" if parent.endswith("f2") else "menu",
                             "lab2": "menu"}.get(name)
                    rects = [box(child)]
                    if buddy and int(call("winfo", "exists", f"{parent}.{buddy}")):
                        rects.append(box(f"{parent}.{buddy}"))
                    out.append({"kind": "field", "label": text.rstrip(":"), "rects": rects})
            walk(child)

    walk(path)
    return out


def main() -> None:
    form, name, scale = sys.argv[1], sys.argv[2], float(sys.argv[3])
    x, y = int(sys.argv[4]), int(sys.argv[5])
    root = tk.Tk()
    root.tk.call("tk", "scaling", scale * 96 / 72)
    for f in ("TkDefaultFont", "TkTextFont", "TkMenuFont", "TkHeadingFont", "TkCaptionFont",
              "TkFixedFont", "TkIconFont", "TkTooltipFont", "TkSmallCaptionFont"):
        font.nametofont(f).configure(family="DejaVu Sans" if f != "TkFixedFont" else
                                     "DejaVu Sans Mono", size=10)
    theme(root, name)
    root.title(FORMS[form]["title"])
    targets: list = []

    def report(dialog: str | None = None) -> None:
        """Where everything is now; again every second (a window may still move)."""
        root.update_idletasks()
        out: list[dict] = []
        if dialog:
            out += dialog_targets(root, dialog)
            bounds = [int(root.tk.call("winfo", q, dialog))
                      for q in ("rootx", "rooty", "width", "height")]
        else:
            bounds = rect(root)
        for kind, label, widgets in targets:
            if kind == "tabs":
                out += tab_rects(label, widgets)
            else:
                out.append({"kind": kind, "label": label, "rects": [rect(w) for w in widgets]})
        print(json.dumps({"window": bounds, "targets": out}), flush=True)
        root.after(1000, lambda: report(dialog))

    if form in ("confirm", "save"):
        root.withdraw()  # only the dialog shows (Tk centres it on the screen)
        items = {kind: label for kind, label, _ in FORMS["confirm"]["items"]}
        if form == "confirm":
            root.after(900, lambda: report(".__tk__messagebox"))
            messagebox.askokcancel("Delete files", items["heading"], detail=items["text"],
                                   icon="warning", parent=root)
        else:
            folder = documents_folder(Path(os.environ.get("HERON_BENCH_DIR")
                                           or tempfile.gettempdir()))
            root.after(900, lambda: report(".__tk_filedialog"))
            filedialog.asksaveasfilename(parent=root, title="Save As", initialdir=folder,
                                         initialfile="report-final.txt",
                                         filetypes=[("Text files", "*.txt"),
                                                    ("All files", "*")])
        root.mainloop()
        return
    build_form(root, form, targets)
    root.geometry(f"+{x}+{y}")
    root.after(900, report)
    root.mainloop()


if __name__ == "__main__":
    main()
