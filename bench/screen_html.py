"""The HTML screens of `heron bench screen`: the same forms as pages (light or dark CSS)
in Debian's chromium, full screen (kiosk), served by a small local HTTP server that
the page also reports to: each target's getBoundingClientRect x devicePixelRatio, plus
the page's offset on the screen (0 in kiosk mode, checked, not assumed)."""

from __future__ import annotations

import html
import json
import queue
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from bench.screen_forms import FORMS

CHROMIUM = "/usr/bin/chromium"
CSS = {
    "light": "body{background:#f3f4f6;color:#1f2328}.card{background:#fff;border:1px solid "
             "#d0d7de}input,select{background:#fff;color:#1f2328;border:1px solid #8c959f}"
             "button{background:#f6f8fa;color:#1f2328;border:1px solid #8c959f}"
             "button.primary{background:#1f6feb;color:#fff;border-color:#1f6feb}"
             "a{color:#0a58ca}.tab.on{border-bottom:3px solid #1f6feb}"
             ".muted{color:#57606a}dialog{background:#fff;color:#1f2328}",
    "dark": "body{background:#0d1117;color:#e6edf3}.card{background:#161b22;border:1px solid "
            "#30363d}input,select{background:#0d1117;color:#e6edf3;border:1px solid #484f58}"
            "button{background:#21262d;color:#e6edf3;border:1px solid #484f58}"
            "button.primary{background:#238636;color:#fff;border-color:#238636}"
            "a{color:#58a6ff}.tab.on{border-bottom:3px solid #f78166}"
            ".muted{color:#8b949e}dialog{background:#161b22;color:#e6edf3}",
}
BASE_CSS = ("body{font-family:'DejaVu Sans',sans-serif;font-size:15px;margin:0}"
            ".card{width:560px;margin:60px 0 0 220px;padding:24px;border-radius:8px}"
            "h1{font-size:22px;margin:0 0 16px}.row{display:flex;align-items:center;margin:8px 0}"
            ".row label.f{width:150px}.row input,.row select{flex:1;padding:6px;font-size:15px}"
            "button{padding:7px 16px;font-size:15px;border-radius:6px;margin-left:8px}"
            ".buttons{display:flex;justify-content:flex-end;margin-top:16px}"
            ".tabs{display:flex;gap:4px;margin-bottom:12px}.tab{border:0;background:none;"
            "margin:0;padding:8px 12px;color:inherit}p{margin:6px 0}"
            ".toolbar{margin:16px 220px}dialog::backdrop{background:rgba(0,0,0,.45)}"
            "dialog{border:1px solid #888;border-radius:8px;padding:20px;width:380px}")

# Rectangles in screen pixels; a click is swallowed (the page never changes) and said.
SCRIPT = """
const dpr = window.devicePixelRatio;
function box(el) { const r = el.getBoundingClientRect();
  return [Math.round((r.left + ox) * dpr), Math.round((r.top + oy) * dpr),
          Math.round(r.width * dpr), Math.round(r.height * dpr)]; }
let ox = 0, oy = 0;
async function report() {
  await document.fonts.ready;
  const dialog = document.querySelector('dialog');
  if (dialog && !dialog.open) dialog.showModal();
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  ox = window.screenX + (window.outerWidth - window.innerWidth);
  oy = window.screenY + (window.outerHeight - window.innerHeight);
  const targets = [...document.querySelectorAll('[data-target]')].map(el => ({
    kind: el.dataset.kind, label: el.dataset.target,
    rects: [box(el), ...(el.dataset.buddy ? [box(document.getElementById(el.dataset.buddy))]
                                          : [])]}));
  await fetch('/report?token=TOKEN', {method: 'POST', body: JSON.stringify({
    window: [0, 0, Math.round(innerWidth * dpr), Math.round(innerHeight * dpr)],
    offset_css: [ox, oy], dpr, targets})});
}
for (const t of ['mousedown', 'mouseup', 'click']) window.addEventListener(t, e => {
  e.preventDefault(); e.stopPropagation(); }, true);
window.addEventListener('load', async () => { await report(); setInterval(report, 1000); });
"""


def _item(kind: str, label, extra, n: int) -> str:
    e = html.escape
    if kind == "heading":
        return f"<h1>{e(label)}</h1>"
    if kind == "text":
        return f'<p class="muted">{e(label)}</p>'
    if kind == "field":
        kind_attr = "password" if label == "Password" else "text"
        if label == "Search":  # a search box has no visible label: only its button
            return (f'<div class="row"><input id="f{n}" type="search" value="{e(extra)}" '
                    f'aria-label="Search"></div>')
        return (f'<div class="row"><label class="f" for="f{n}" data-target="{e(label)}" '
                f'data-kind="field" data-buddy="f{n}">{e(label)}</label>'
                f'<input id="f{n}" type="{kind_attr}" value="{e(extra)}"></div>')
    if kind == "combo":
        options = "".join(f"<option>{e(o)}</option>" for o in extra)
        return (f'<div class="row"><label class="f" for="f{n}" data-target="{e(label)}" '
                f'data-kind="field" data-buddy="f{n}">{e(label)}</label>'
                f'<select id="f{n}">{options}</select></div>')
    if kind in ("checkbox", "radio"):
        checked = " checked" if label in ("Standard shipping", "Show the tray icon") else ""
        return (f'<div class="row"><label data-target="{e(label)}" data-kind="{kind}">'
                f'<input type="{kind}" name="g"{checked}> {e(label)}</label></div>')
    if kind == "link":
        return f'<p><a href="#" data-target="{e(label)}" data-kind="link">{e(label)}</a></p>'
    if kind == "tabs":
        return '<div class="tabs">' + "".join(
            f'<button class="tab{" on" if i == 0 else ""}" data-target="{e(t)}" '
            f'data-kind="tab">{e(t)}</button>' for i, t in enumerate(label)) + "</div>"
    if kind == "buttons":
        return '<div class="buttons">' + "".join(
            f'<button{" class=primary" if i == len(label) - 1 else ""} data-target="{e(b)}" '
            f'data-kind="button">{e(b)}</button>' for i, b in enumerate(label)) + "</div>"
    raise ValueError(kind)


def page(form: str, theme: str, token: str) -> str:
    body = "".join(_item(kind, label, extra, n)
                   for n, (kind, label, extra) in enumerate(FORMS[form]["items"]))
    if form == "confirm":  # the dialog over the file list that asked for it
        files = "".join(f"<p>{name}</p>" for name in ("budget-2026.ods", "notes.txt",
                                                       "report-draft.txt", "holiday-photos"))
        body = (f'<div class="toolbar"><button>New folder</button><button>Upload</button>'
                f'<button>Delete</button></div><div class="card"><h1>Files</h1>{files}</div>'
                f"<dialog>{body}</dialog>")
    else:
        body = f'<div class="card">{body}</div>'
    return (f"<!doctype html><html><head><meta charset=utf-8><title>{FORMS[form]['title']}"
            f"</title><style>{BASE_CSS}{CSS[theme]}</style></head><body>{body}"
            f"<script>{SCRIPT.replace('TOKEN', token)}</script></body></html>")


class PageServer:
    """Serves the pages and collects what they report, one queue per page token."""

    def __init__(self) -> None:
        self.reports: dict[str, queue.Queue] = {}
        self.last: dict[str, dict] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                url = urlparse(self.path)
                if url.path != "/page":  # the favicon
                    self.send_error(404)
                    return
                q = parse_qs(url.query)
                body = page(q["form"][0], q["theme"][0], q["token"][0]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802
                token = parse_qs(urlparse(self.path).query)["token"][0]
                data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.reports.setdefault(token, queue.Queue()).put(data)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, form: str, theme: str, token: str) -> str:
        return (f"http://127.0.0.1:{self.port}/page?form={form}&theme={theme}"
                f"&token={token}")

    def newest_report(self, token: str, timeout_s: float) -> dict | None:
        """The newest report of the page, waiting up to `timeout_s` for one."""
        q = self.reports.setdefault(token, queue.Queue())
        newest = None
        try:
            newest = q.get(timeout=timeout_s) if timeout_s > 0 else q.get_nowait()
            while True:
                newest = q.get_nowait()
        except queue.Empty:
            pass
        if newest is not None:
            self.last[token] = newest
        return newest

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def launch_chromium(url: str, scale: float, profile: Path, env: dict[str, str]
                    ) -> subprocess.Popen:
    """Debian's chromium, full screen, at `scale`; its own throwaway profile."""
    exe = shutil.which("chromium") or CHROMIUM
    return subprocess.Popen(
        [exe, "--kiosk", f"--force-device-scale-factor={scale:g}", "--no-sandbox",
         "--test-type",  # no "unsupported flag" bar pushing the page down
         "--disable-gpu", "--no-first-run", "--no-default-browser-check",
         "--disable-features=Translate,MediaRouter", "--password-store=basic",
         "--disable-dev-shm-usage", f"--user-data-dir={profile}", url],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
