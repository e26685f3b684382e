"""The relay's HTTP API (version 1), as a Starlette app. Every route is under
/v1/incidents/{incident id, 32 hex digits}/ and needs `Authorization: Bearer <token>`:

GET  vector  JSON {device hex: [seq, row hash hex]}: the newest row of each device
POST pull    JSON {"have": {device hex: seq}, "limit": n} -> a wire frame of the rows
             past `have` (application/octet-stream), at most `limit`, bounded in bytes
POST push    a wire frame -> JSON {added, duplicates, forks, rejected}: `forks` is a
             base64 wire frame of the relay's own rows that pushed ones contradict,
             `rejected` a list of {device, seq, reason}
GET  forks   a wire frame of the fork evidence the relay holds

Errors are JSON {"error": "..."}: 400 bad input, 401 no token, 403 wrong token, 404
unknown incident (`"unknown": true`: it may be pushed to, unless the relay is closed),
413 over a bound. A refused request changes nothing. GET /v1/health answers
{"ok": true} without a token. Store work runs in the thread pool, off the event loop.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from warroom.errors import SessionError
from warroom.relay import auth
from warroom.relay.incidents import Full, IncidentError, Incidents, parse_id
from warroom.relay.limits import Limits, TooLarge, read_body
from warroom.store import Row, Store
from warroom.sync import wire
from warroom.sync.peer import Pushed, StorePeer, vector_of

FRAME = "application/octet-stream"
log = logging.getLogger("warroom.relay")


class Refused(Exception):
    """A request answered with an error status and nothing changed."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.extra = extra


Handler = Callable[["Relay", Request], Awaitable[Response]]


def _answers(handler: Handler) -> Handler:
    """Turn the relay's refusals into JSON error answers."""

    async def wrapped(self: Relay, request: Request) -> Response:
        try:
            return await handler(self, request)
        except Refused as exc:
            return error(exc.status, str(exc), **exc.extra)
        except auth.AuthError as exc:
            return error(exc.status, str(exc))
        except TooLarge as exc:
            return error(413, str(exc))
        except Full as exc:
            return error(507, str(exc))
        except (IncidentError, SessionError) as exc:
            log.error("%s", exc)  # a file the relay cannot use: its operator's to see
            return error(500, "the relay cannot use this incident's file")

    return wrapped


def error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


class Relay:
    def __init__(self, data: Path, *, closed: bool = False, limits: Limits | None = None) -> None:
        self.incidents = Incidents(data)
        self.closed = closed
        self.limits = limits or Limits()

    # -- the routes --------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return JSONResponse({"ok": True})

    @_answers
    async def vector(self, request: Request) -> Response:
        store, _ = await self._held(request)
        vector = await run_in_threadpool(vector_of, store)
        return JSONResponse({d.hex(): [seq, h.hex()] for d, (seq, h) in vector.items()})

    @_answers
    async def pull(self, request: Request) -> Response:
        store, incident_id = await self._held(request)
        have, limit = _pull_request(await self._body(request))
        limit = max(1, min(limit, self.limits.max_pull_rows))
        peer = StorePeer(store, incident_id)
        rows = await run_in_threadpool(peer.pull, have, limit)
        return Response(wire.encode_rows(self._bounded(rows)), media_type=FRAME)

    @_answers
    async def forks(self, request: Request) -> Response:
        store, _ = await self._held(request)
        rows = await run_in_threadpool(store.forks)
        return Response(wire.encode_rows(rows), media_type=FRAME)

    @_answers
    async def push(self, request: Request) -> Response:
        incident_id = _incident_id(request)
        token = auth.bearer(request.headers.get("authorization"))
        store = await run_in_threadpool(self.incidents.get, incident_id)
        if store is not None:
            auth.check(token, self.incidents.token_hash(store))
        elif self.closed:
            raise _unknown(closed=True)
        rows = self._frame(await self._body(request))
        pushed = None
        if store is None:

            def push(held: Store) -> Pushed:
                return StorePeer(held, incident_id).push(rows)

            store, pushed = await run_in_threadpool(
                self.incidents.first_push,
                incident_id,
                auth.token_sha256(token),
                push,
                self.limits.max_incidents,
            )
            if pushed is None:  # another first push won the race
                auth.check(token, self.incidents.token_hash(store))
        if pushed is None:
            pushed = await run_in_threadpool(StorePeer(store, incident_id).push, rows)
        return JSONResponse(
            {
                "added": pushed.added,
                "duplicates": pushed.duplicates,
                "forks": base64.b64encode(wire.encode_rows(pushed.forks)).decode("ascii"),
                "rejected": [
                    {"device": p.device, "seq": p.seq, "reason": p.reason} for p in pushed.rejected
                ],
            }
        )

    # -- the checks --------------------------------------------------------

    async def _held(self, request: Request) -> tuple[Store, bytes]:
        """The incident's store and id, once the token is checked: 401, 404, 403."""
        incident_id = _incident_id(request)
        token = auth.bearer(request.headers.get("authorization"))
        store = await run_in_threadpool(self.incidents.get, incident_id)
        if store is None:
            raise _unknown(closed=self.closed)
        auth.check(token, self.incidents.token_hash(store))
        return store, incident_id

    async def _body(self, request: Request) -> bytes:
        return await read_body(
            request.headers.get("content-length"), request.stream(), self.limits.max_body
        )

    def _frame(self, body: bytes) -> list[Row]:
        if len(body) >= 4:
            (count,) = struct.unpack_from(">I", body)
            if count > self.limits.max_push_rows:
                raise TooLarge(
                    f"{count:,} rows in one push; the most is {self.limits.max_push_rows:,}"
                )
        try:
            return wire.decode_rows(body, max_rows=self.limits.max_push_rows)
        except wire.WireError as exc:
            raise Refused(400, f"not a frame of rows: {exc}") from None

    def _bounded(self, rows: list[Row]) -> list[Row]:
        """The first rows that fit in one answer (always the first one)."""
        size = 0
        for i, row in enumerate(rows):
            size += len(row.box) + 136
            if i and size > self.limits.max_pull_bytes:
                return rows[:i]
        return rows


def _incident_id(request: Request) -> bytes:
    try:
        return parse_id(request.path_params["incident"])
    except IncidentError as exc:
        raise Refused(400, str(exc)) from None


def _unknown(*, closed: bool) -> Refused:
    if closed:
        return Refused(
            404,
            "unknown incident; this relay is closed: its operator adds incidents "
            "with `warroom relay allow`",
        )
    return Refused(404, "unknown incident: its first push registers it", unknown=True)


def _pull_request(body: bytes) -> tuple[dict[bytes, int], int]:
    """`have` (device -> seq) and `limit` from a pull's JSON body; 400 when malformed."""
    try:
        data = json.loads(body)
        have = {
            bytes.fromhex(device): seq
            for device, seq in data["have"].items()
            if len(device) == 64 and type(seq) is int and 0 <= seq < 2**63
        }
        if len(have) != len(data["have"]):
            raise ValueError("bad have")
        limit = data.get("limit", 5000)
        if type(limit) is not int:
            raise ValueError("bad limit")
    except (ValueError, KeyError, TypeError, AttributeError):
        raise Refused(400, 'a pull is JSON {"have": {device hex: seq}, "limit": n}') from None
    return have, limit


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return error(status, "no such route" if status == 404 else f"HTTP {status}")


def make_app(data: Path, *, closed: bool = False, limits: Limits | None = None) -> Starlette:
    relay = Relay(data, closed=closed, limits=limits)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        relay.incidents.close()

    base = "/v1/incidents/{incident}"
    routes = [
        Route("/v1/health", relay.health, methods=["GET"]),
        Route(f"{base}/vector", relay.vector, methods=["GET"]),
        Route(f"{base}/pull", relay.pull, methods=["POST"]),
        Route(f"{base}/push", relay.push, methods=["POST"]),
        Route(f"{base}/forks", relay.forks, methods=["GET"]),
    ]
    return Starlette(
        routes=routes, exception_handlers={HTTPException: _not_found}, lifespan=lifespan
    )
