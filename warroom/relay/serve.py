"""Running the relay under uvicorn. TLS is uvicorn's (a key and a certificate file),
or a reverse proxy's in front of a relay on 127.0.0.1. The logs hold uvicorn's
start-up lines and one access line per request (client, method, path, status):
never a body, a header or a token; the path names the incident id, which is
plaintext in every replica's header anyway."""

from __future__ import annotations

import socket
from pathlib import Path

from warroom.relay.app import make_app
from warroom.relay.limits import Limits

MAX_CONNECTIONS = 256
"""Past this many connections at once uvicorn answers 503 (clients retry)."""


def check_port(host: str, port: int) -> None:
    """Bind to each address `host` names at `port`, as uvicorn then does (SO_REUSEADDR,
    IPv6 sockets IPv6 only), and let go: OSError (the port taken, an unknown host)
    before the relay says it serves or makes its folder."""
    found = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    for family, kind, proto, _, address in dict.fromkeys(found):
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)


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
