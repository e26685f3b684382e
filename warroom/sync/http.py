"""A relay over HTTP as a Peer (warroom/relay/ is the other end): one httpx client
with keep-alive, the relay's bearer token on every request.

Connect errors, timeouts, a dropped connection, 5xx and 429 are retried with
exponential backoff and full jitter (a Retry-After is honoured), then the relay is
`Unreachable`. Every request may be sent again safely: a push the relay committed
before the answer was lost comes back as duplicates. The relay's refusals (401, 403,
413 and other 4xx) become SessionErrors that say what it said. Answers are bounded
in size and checked before use; rows are checked again by intake on arrival.
"""

from __future__ import annotations

import base64
import json
import random
import time
from typing import Any

import httpx

from warroom.errors import SessionError
from warroom.httpretry import retry_after, transport_reason
from warroom.ledger import Problem
from warroom.store import Row
from warroom.sync import wire
from warroom.sync.peer import PULL_LIMIT, Pushed, Vector
from warroom.sync.urls import shown

PUSH_ROWS = 1000
PUSH_BYTES = 4 * 2**20
"""One push request carries at most this many rows and bytes (a relay takes 8 MiB
by default; a 413 halves the batch)."""
FRAME_TYPE = "application/octet-stream"
MAX_ANSWER_BYTES = 64 * 2**20
MAX_DELAY_S = 30.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class Unreachable(SessionError):
    """The relay did not answer, or answered 5xx/429, after every retry."""


class _Refused(SessionError):
    def __init__(self, message: str, status: int, body: dict[str, Any]) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class HttpPeer:
    def __init__(
        self,
        url: str,
        incident_id: bytes,
        token: str,
        *,
        timeout: float = 10.0,
        retries: int = 5,
        backoff: float = 0.25,
    ) -> None:
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL:
            parsed = httpx.URL()
        if parsed.scheme not in ("http", "https") or not parsed.host or parsed.userinfo:
            # userinfo: httpx would send it (Basic) in place of the bearer token
            raise SessionError(f"{shown(url)}: a relay URL is http(s)://host[:port][/path]")
        self.url = url.rstrip("/")
        self.shown = shown(self.url)
        """The URL for messages (never a password: urls.shown)."""
        self.incident_id = incident_id
        self.retries = retries
        self.backoff = backoff
        self._base = f"{self.url}/v1/incidents/{incident_id.hex()}"
        self._client = httpx.Client(
            headers={"Authorization": f"Bearer {token}", "User-Agent": "warroom-sync"},
            timeout=timeout,
        )

    def __enter__(self) -> HttpPeer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # -- the Peer protocol --------------------------------------------------

    def vector(self) -> Vector:
        body = self._call("GET", "vector", unknown=b"{}")
        try:
            data = json.loads(body)
            return {
                _hex(device, 32): (_seq(entry[0]), _hex(entry[1], 32))
                for device, entry in data.items()
            }
        except (ValueError, TypeError, AttributeError, IndexError, KeyError):
            raise self._malformed("vector") from None

    def pull(self, have: dict[bytes, int], limit: int = PULL_LIMIT) -> list[Row]:
        request = {"have": {d.hex(): seq for d, seq in have.items()}, "limit": limit}
        body = self._call("POST", "pull", json_body=request, unknown=wire.encode_rows([]))
        return self._rows(body, "pull")[: max(1, limit)]

    def push(self, rows: list[Row]) -> Pushed:
        out = Pushed()
        for chunk in _chunks(rows):
            self._push(chunk, out)
        return out

    def forks(self) -> list[Row]:
        return self._rows(self._call("GET", "forks", unknown=wire.encode_rows([])), "forks")

    # -- requests -----------------------------------------------------------

    def _push(self, rows: list[Row], out: Pushed) -> None:
        try:
            body = self._call("POST", "push", content=wire.encode_rows(rows))
        except _Refused as exc:
            if exc.status != 413 or len(rows) < 2:
                raise
            half = len(rows) // 2  # the relay takes less than we sent: halve the batch
            self._push(rows[:half], out)
            self._push(rows[half:], out)
            return
        try:
            data = json.loads(body)
            out.added += _count(data["added"])
            out.duplicates += _count(data["duplicates"])
            out.forks += wire.decode_rows(base64.b64decode(data["forks"], validate=True))
            out.rejected += [
                Problem(str(p["device"]), _int(p["seq"]), str(p["reason"]))
                for p in data["rejected"]
            ]
        except (ValueError, TypeError, KeyError, AttributeError):
            raise self._malformed("push") from None

    def _call(
        self,
        method: str,
        what: str,
        *,
        content: bytes | None = None,
        json_body: Any = None,
        unknown: bytes | None = None,
    ) -> bytes:
        """The answer's body; `unknown`: the answer when the relay does not hold the
        incident yet (its first push registers it)."""
        last = ""
        for attempt in range(self.retries + 1):
            wait: float | None = None
            try:
                status, headers, body = self._send(method, what, content, json_body)
            except httpx.TransportError as exc:
                last = transport_reason(exc)
            else:
                if status == 200:
                    return body
                if status not in RETRY_STATUSES:
                    error = _error_body(body)
                    if status == 404 and unknown is not None and error.get("unknown") is True:
                        return unknown
                    raise _Refused(_refusal(self.shown, status, error), status, error)
                last = f"HTTP {status}"
                after = retry_after(headers.get("retry-after"))
                wait = None if after is None else min(MAX_DELAY_S, after)
            if attempt < self.retries:
                ceiling = min(MAX_DELAY_S, self.backoff * 2**attempt)
                time.sleep(wait if wait is not None else random.uniform(0, ceiling))
        raise Unreachable(f"relay {self.shown} unreachable after {self.retries + 1} tries ({last})")

    def _send(
        self, method: str, what: str, content: bytes | None, json_body: Any
    ) -> tuple[int, httpx.Headers, bytes]:
        kwargs: dict[str, Any] = {}
        if content is not None:
            kwargs = {"content": content, "headers": {"Content-Type": FRAME_TYPE}}
        elif json_body is not None:
            kwargs = {"json": json_body}
        with self._client.stream(method, f"{self._base}/{what}", **kwargs) as response:
            parts: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_ANSWER_BYTES:
                    raise SessionError(
                        f"relay {self.shown}: an answer over {MAX_ANSWER_BYTES:,} bytes"
                    )
                parts.append(chunk)
            return response.status_code, response.headers, b"".join(parts)

    def _rows(self, body: bytes, what: str) -> list[Row]:
        try:
            return wire.decode_rows(body)
        except wire.WireError as exc:
            raise SessionError(f"relay {self.shown}: a malformed {what} answer ({exc})") from None

    def _malformed(self, what: str) -> SessionError:
        return SessionError(f"relay {self.shown}: a malformed {what} answer")


def _chunks(rows: list[Row]) -> list[list[Row]]:
    """Rows in push-sized batches, in their order (each at least one row)."""
    out: list[list[Row]] = []
    chunk: list[Row] = []
    size = 0
    for row in rows:
        cost = len(row.box) + 136
        if chunk and (len(chunk) >= PUSH_ROWS or size + cost > PUSH_BYTES):
            out.append(chunk)
            chunk, size = [], 0
        chunk.append(row)
        size += cost
    if chunk:
        out.append(chunk)
    return out


def _hex(text: Any, size: int) -> bytes:
    if not isinstance(text, str) or len(text) != 2 * size:
        raise ValueError("bad hex")
    return bytes.fromhex(text)


def _seq(value: Any) -> int:
    if type(value) is not int or not 0 < value < 2**63:
        raise ValueError("bad seq")
    return value


def _int(value: Any) -> int:
    if type(value) is not int:
        raise ValueError("not an integer")
    return value


def _count(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError("bad count")
    return value


def _error_body(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _refusal(url: str, status: int, error: dict[str, Any]) -> str:
    said = error.get("error")
    said = " ".join(str(said).split())[:200] if said else "no reason given"
    what = {401: "wants a token", 403: "refused the token", 413: "found it too large"}
    return f"relay {url} {what.get(status, 'refused the request')}: {said} (HTTP {status})"
