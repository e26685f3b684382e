"""A real HTTP server on 127.0.0.1 that records what it is sent (the integrations'
delivery tests): the body of every POST (and the query of every GET), its path and
headers, answered as told.

An answer is (status, headers) or (status, headers, body): a body is sent as JSON
(Slack's Web API says in it whether it did what was asked). `routes` answers a path
(without its query: a Slack API method, `/conversations.create`) in turn before the
shared `answers`; `default` answers the rest."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

Answer = tuple[int, dict[str, str]] | tuple[int, dict[str, str], Any]


@dataclass
class Recorder:
    """What the server answers, in turn (status, headers[, body]), and what it was sent:
    (path with its query, headers, JSON body or the query's fields)."""

    answers: list[Answer] = field(default_factory=list)
    seen: list[tuple[str, dict[str, str], dict]] = field(default_factory=list)
    port: int = 0
    routes: dict[str, list[Answer]] = field(default_factory=dict)
    """Answers for one path (its query left out), in turn, before `answers`."""
    default: Answer = (202, {})
    """The answer when nothing else says what to answer."""
    delay: float = 0.0
    """Seconds each request waits (recorded at once) before it is answered: a slow
    service."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def methods(self) -> list[str]:
        """The path of every request, in order, without its query (a Slack API method
        is the path: `/chat.postMessage`)."""
        return [urllib.parse.urlsplit(path).path for path, _, _ in self.seen]

    def calls(self, path: str) -> list[dict]:
        """The bodies (or queries) sent to one path, in order."""
        return [body for (_, _, body), p in zip(self.seen, self.methods, strict=True) if p == path]

    def answer(self, path: str) -> Answer:
        waiting = self.routes.get(urllib.parse.urlsplit(path).path)
        if waiting:
            return waiting.pop(0)
        return self.answers.pop(0) if self.answers else self.default


@contextlib.contextmanager
def recording_server(port: int = 0) -> Iterator[Recorder]:
    """An HTTP server on 127.0.0.1 (`port`, or a free one) that records every POST and
    GET and answers what `Recorder.routes` and `Recorder.answers` say, in turn (then
    `Recorder.default`, 202), until the block ends."""
    recorder = Recorder()
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (http.server's name)
            length = int(self.headers.get("Content-Length", "0"))
            self._answer(json.loads(self.rfile.read(length)))

        def do_GET(self) -> None:  # noqa: N802  (http.server's name)
            query = urllib.parse.urlsplit(self.path).query
            self._answer(dict(urllib.parse.parse_qsl(query, keep_blank_values=True)))

        def _answer(self, body: dict) -> None:
            with lock:
                recorder.seen.append((self.path, dict(self.headers), body))
                status, headers, *rest = recorder.answer(self.path)
            time.sleep(recorder.delay)
            data = json.dumps(rest[0]).encode() if rest else b"{}"
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            if rest:
                self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(data)

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
