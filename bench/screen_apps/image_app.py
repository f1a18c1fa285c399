"""A picture shown full screen in a Tk window with a title (an error screen of the
error-screen corpus, as if an app drew it): `python -m bench.screen_apps.image_app PNG
TITLE`. Prints "ready" once it is on the screen."""

from __future__ import annotations

import sys
import tkinter as tk


def main() -> None:
    path, title = sys.argv[1], sys.argv[2]
    root = tk.Tk()
    root.title(title)
    root.attributes("-fullscreen", True)
    photo = tk.PhotoImage(file=path)
    tk.Label(root, image=photo, borderwidth=0, highlightthickness=0).place(x=0, y=0)
    root.after(700, lambda: print("ready", flush=True))
    root.mainloop()


if __name__ == "__main__":
    main()
