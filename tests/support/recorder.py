"""A real HTTP server on 127.0.0.1 that records what it is sent (the integrations'
delivery tests): the body of every POST, its path and headers, answered as told."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Recorder:
    """What the server answers, in turn (status, headers), and what it was sent."""

    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    seen: list[tuple[str, dict[str, str], dict]] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def recording_server(port: int = 0) -> Iterator[Recorder]:
    """An HTTP server on 127.0.0.1 (`port`, or a free one) that records every POST and
    answers what `Recorder.answers` says, in turn (then 202), until the block ends."""
    recorder = Recorder()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (http.server's name)
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            recorder.seen.append((self.path, dict(self.headers), body))
            status, headers = recorder.answers.pop(0) if recorder.answers else (202, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    recorder.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        httpd.shutdown()
        httpd.server_close()
