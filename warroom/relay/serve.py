"""Running the relay under uvicorn. TLS is uvicorn's (a key and a certificate file),
or a reverse proxy's in front of a relay on 127.0.0.1. The logs hold uvicorn's
start-up lines and one access line per request (client, method, path, status):
never a body, a header or a token; the path names the incident id, which is
plaintext in every replica's header anyway."""

from __future__ import annotations

from pathlib import Path

from warroom.relay.app import make_app
from warroom.relay.limits import Limits

MAX_CONNECTIONS = 256
"""Past this many connections at once uvicorn answers 503 (clients retry)."""


def serve(
    data: Path,
    *,
    host: str,
    port: int,
    closed: bool = False,
    limits: Limits | None = None,
    ssl_keyfile: Path | None = None,
    ssl_certfile: Path | None = None,
) -> None:
    import uvicorn

    app = make_app(data, closed=closed, limits=limits)
    uvicorn.run(
        app,
        host=host,
        port=port,
        ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
        ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
        limit_concurrency=MAX_CONNECTIONS,
        timeout_keep_alive=30,
        server_header=False,
        log_level="info",
    )
