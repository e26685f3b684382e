"""`warroom relay` on a port another process listens on: one line, exit 2, without
first saying it serves, without uvicorn's start-up lines, and without making its data
folder; on a free port it says it serves and answers."""

from __future__ import annotations

import socket
from pathlib import Path

from relayproc import Relay


def test_a_taken_port_is_one_line_before_anything_is_said_or_made(cli, tmp_path: Path) -> None:
    data = tmp_path / "relay-data"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = cli("relay", "--host", "127.0.0.1", "--port", port, "--data", data, timeout=30)
    assert proc.returncode == 2, proc.stderr
    assert (
        proc.stderr
        == f"warroom: relay: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )
    assert proc.stdout == ""
    assert not data.exists()


def test_a_free_port_is_served(cli, tmp_path: Path) -> None:
    log = tmp_path / "relay.log"
    relay = Relay(tmp_path / "relay-data", log, cli.env(), cli.cwd).start()
    try:
        said = log.read_text()
        assert f"warroom relay: serving {relay.data} at http://127.0.0.1:{relay.port}/v1" in said
        assert (relay.data.stat().st_mode & 0o777) == 0o700
    finally:
        relay.kill()
