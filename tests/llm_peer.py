"""A scripted OpenAI-compatible chat server on loopback (real sockets, real HTTP) that
records every request body: what the LLM tests and the redaction tests talk to."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


class LoopbackHttp:
    """`handler` served on 127.0.0.1 (a free port) on a daemon thread until close();
    `url` is its OpenAI-style base (…/v1)."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class ScriptedServer(LoopbackHttp):
    """An HTTP server on loopback answering POST /v1/chat/completions from a script:
    each entry is (status, headers, body) where body is bytes or a list of SSE data
    strings. It records every request body."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, str], bytes | list[str]]] = []
        self.requests: list[dict] = []
        self.auth: list[str | None] = []
        self.times: list[float] = []
        outer = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                outer.auth.append(self.headers.get("Authorization"))
                outer.times.append(time.monotonic())
                status, headers, payload = (outer.script.pop(0) if outer.script
                                            else (500, {}, b"script exhausted"))
                if isinstance(payload, list):
                    payload = "".join(f"data: {d}\n\n" for d in payload).encode()
                    headers = {"Content-Type": "text/event-stream", **headers}
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        super().__init__(Handler)


def text_chunks(*parts: str) -> list[str]:
    return [json.dumps({"choices": [{"index": 0, "delta": {"content": p}}]}) for p in parts] \
        + ["[DONE]"]


def tool_chunks(*calls: tuple[int, str, str, list[str]]) -> list[str]:
    """OpenAI's way: id and name in the first fragment, then argument pieces."""
    out = []
    for index, call_id, name, pieces in calls:
        out.append(json.dumps({"choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": index, "id": call_id, "type": "function",
             "function": {"name": name, "arguments": ""}}]}}]}))
        out += [json.dumps({"choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": index, "function": {"arguments": p}}]}}]}) for p in pieces]
    out.append(json.dumps({"choices": [{"index": 0, "delta": {},
                                        "finish_reason": "tool_calls"}]}))
    return [*out, "[DONE]"]
