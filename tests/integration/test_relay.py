"""The blind relay as a user runs it (`python -m warroom relay ...`, a real process on
127.0.0.1) and replicas syncing through it with HttpPeer: they converge, the relay
holds no plaintext, refuses what it should with nothing changed, survives SIGKILL
mid-sync, serves 20 clients at once, and passes fork evidence on."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from ports import free_port
from relayproc import Relay
from replicas import copy_file

from warroom.device import Device, load_device
from warroom.errors import SessionError
from warroom.ledger import FORKED, RELAY_TOKEN
from warroom.relay.auth import token_sha256
from warroom.session import Session
from warroom.store import Row
from warroom.sync import intake, wire
from warroom.sync.exchange import SyncReport, exchange
from warroom.sync.http import HttpPeer, Unreachable
from warroom.sync.peer import vector_of

CANARY = "CANARY-relay-4b1d9e-plaintext"


@pytest.fixture
def relays(cli: Any, tmp_path: Path) -> Iterator:
    """`relays(*flags)`: a started relay with a folder of its own; all killed at the end."""
    made: list[Relay] = []

    def make(*extra: str, data: Path | None = None) -> Relay:
        n = len(made)
        env, log = cli.env(passphrase_file=None), tmp_path / f"relay{n}.log"
        relay = Relay(data or tmp_path / f"relay{n}", log, env, cli.cwd, extra)
        made.append(relay)
        return relay.start()

    yield make
    for relay in made:
        relay.kill()


@pytest.fixture
def pair(tmp_path: Path, ann: Device, passphrase: str) -> tuple[Path, Path]:
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    with Session.create(a, passphrase, kdf="interactive", device=ann, codename="amber-heron"):
        pass
    copy_file(a, b)
    return a, b


def token_of(session: Session) -> str:
    return session.ledger.derive(RELAY_TOKEN).hex()


def sync(path: Path, device: Device, url: str, passphrase: str, **peer: float) -> SyncReport:
    with Session.unlock(path, passphrase, device=device, fold=False) as s:
        iid = s.header.incident_id
        with HttpPeer(url, iid, token_of(s), **peer) as far:  # type: ignore[arg-type]
            return exchange(s.store, iid, far)


def whole(path: Path, device: Device, passphrase: str) -> dict:
    with Session.unlock(path, passphrase, device=device) as s:
        return {**s.state.to_dict(), "devices": s.state.devices}


def incident_id(path: Path, passphrase: str) -> bytes:
    with Session.unlock(path, passphrase, fold=False) as s:
        return s.header.incident_id


def write_apart(pair: tuple[Path, Path], ann: Device, bo: Device, passphrase: str) -> None:
    """Each replica adds notes and flips the same checklist step, while apart."""
    a, b = pair
    with Session.unlock(a, passphrase, device=ann) as s:
        s.add_notes([f"ann {i}" for i in range(25)] + [f"{CANARY} from ann"])
        step = next(iter(s.state.steps))
        s.set_step(step, "done")
    with Session.unlock(b, passphrase, device=bo) as s:
        s.add_notes([f"bo {i}" for i in range(15)] + [f"{CANARY} from bo"])
        s.set_step(step, "doing")


def test_two_replicas_converge_through_the_relay_which_holds_no_plaintext(
    relays, pair: tuple[Path, Path], ann: Device, bo: Device, passphrase: str, cli: Any
) -> None:
    a, b = pair
    write_apart(pair, ann, bo, passphrase)
    relay = relays()
    first = sync(a, ann, relay.url, passphrase)
    assert first.clean and first.pushed > 27 and first.pulled == 0
    second = sync(b, bo, relay.url, passphrase)
    assert second.clean and (second.pushed, second.pulled) == (17, 27)
    third = sync(a, ann, relay.url, passphrase)
    assert third.clean and (third.pushed, third.pulled) == (0, 17)
    assert whole(a, ann, passphrase) == whole(b, bo, passphrase)
    for command in ("show", "timeline"):
        outputs = [cli(command, path, "--format", "json") for path in (a, b)]
        assert all(p.returncode == 0 for p in outputs), outputs
        assert json.loads(outputs[0].stdout) == json.loads(outputs[1].stdout)
    assert sync(b, bo, relay.url, passphrase).pulled == 0  # nothing moves twice

    relay.kill()  # the relay's files and log, whole: no plaintext, no token
    with Session.unlock(a, passphrase, fold=False) as s:
        token = token_of(s)
    for path in [*relay.data.iterdir(), relay.log]:
        data = path.read_bytes()
        assert CANARY.encode() not in data, path
        assert token.encode() not in data, path
        assert b"ann 1" not in data, path


@pytest.fixture
def held(
    relays, pair: tuple[Path, Path], ann: Device, bo: Device, passphrase: str
) -> tuple[Relay, bytes]:
    """A relay that holds the incident: replica a written and synced, b written apart."""
    write_apart(pair, ann, bo, passphrase)
    relay = relays()
    sync(pair[0], ann, relay.url, passphrase)
    return relay, incident_id(pair[0], passphrase)


def test_no_token_or_the_wrong_token_is_refused_and_changes_nothing(
    held: tuple[Relay, bytes], pair: tuple[Path, Path], passphrase: str
) -> None:
    relay, iid = held
    b = pair[1]
    with Session.unlock(b, passphrase, fold=False) as s:
        frame = wire.encode_rows(s.store.rows(after={}))
    base = f"{relay.url}/v1/incidents/{iid.hex()}"
    before, count = relay.files(), relay.count(iid)
    requests = [
        ("POST", "push", {"content": frame}),
        ("POST", "pull", {"json": {"have": {}, "limit": 10}}),
        ("GET", "vector", {}),
        ("GET", "forks", {}),
    ]
    for headers, status in (
        ({}, 401),
        ({"Authorization": "Basic abc"}, 401),
        ({"Authorization": "Bearer " + "0" * 64}, 403),
        ({"Authorization": f"Bearer {token_sha256('x')}"}, 403),
    ):
        for method, what, kwargs in requests:
            answer = httpx.request(method, f"{base}/{what}", headers=headers, timeout=5, **kwargs)
            assert answer.status_code == status, (what, headers, answer.text)
            assert answer.headers["content-type"] == "application/json"
            assert answer.json()["error"]
    assert relay.files() == before and relay.count(iid) == count
    # and HttpPeer says so in one line
    with pytest.raises(Exception, match=r"refused the token: wrong token.*\(HTTP 403\)"):
        HttpPeer(relay.url, iid, "0" * 64).vector()


def test_an_oversized_request_gets_413_before_it_is_read(
    relays, pair: tuple[Path, Path], ann: Device, bo: Device, passphrase: str
) -> None:
    a, b = pair
    write_apart(pair, ann, bo, passphrase)
    relay = relays("--max-body", "4096")
    iid = incident_id(a, passphrase)
    with Session.unlock(a, passphrase, fold=False) as s:
        token = token_of(s)
    base = f"{relay.url}/v1/incidents/{iid.hex()}"
    auth = {"Authorization": f"Bearer {token}"}
    answer = httpx.post(f"{base}/push", content=b"\0" * 5000, headers=auth, timeout=5)
    assert answer.status_code == 413 and "4,096" in answer.json()["error"]
    # A declared length over the bound is refused before a byte of the body is sent.
    with socket.create_connection(("127.0.0.1", relay.port), timeout=5) as sock:
        sock.sendall(
            f"POST /v1/incidents/{iid.hex()}/push HTTP/1.1\r\nHost: relay\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: 1000000000\r\n\r\n".encode()
        )
        assert sock.recv(4096).startswith(b"HTTP/1.1 413 ")
    assert not list(relay.data.glob("*.db"))  # nothing registered
    # A push batch over the relay's bound is halved by HttpPeer until it fits.
    report = sync(a, ann, relay.url, passphrase)
    with Session.unlock(a, passphrase, fold=False) as s:
        assert report.clean and report.pushed == relay.count(iid) == s.store.count()


def test_a_forged_row_is_refused_and_not_stored(
    held: tuple[Relay, bytes], pair: tuple[Path, Path], bo: Device, passphrase: str
) -> None:
    relay, iid = held
    b = pair[1]
    with Session.unlock(b, passphrase, fold=False) as s:
        token = token_of(s)
        first = s.store.row(bo.public_key, 1)
    assert first is not None
    forged = Row(first.device, first.seq, first.prev, first.box, bytes(64))
    count, before = relay.count(iid), relay.files()
    with HttpPeer(relay.url, iid, token) as far:
        pushed = far.push([forged])
        assert (pushed.added, [p.reason for p in pushed.rejected]) == (0, [intake.BAD_SIGNATURE])
        assert far.pull({}, 5000) and bo.public_key not in far.vector()
    assert relay.count(iid) == count and relay.files() == before
    # A forged first push of an incident the relay does not hold registers nothing.
    other = b.parent / "other.db"
    with Session.create(other, passphrase, kdf="interactive", device=bo, codename="blue") as s:
        rows = s.store.rows(after={})
        fake = [Row(r.device, r.seq, r.prev, r.box, bytes(64)) for r in rows]
        with HttpPeer(relay.url, s.header.incident_id, token_of(s)) as far:
            assert far.push(fake).added == 0
            assert far.vector() == {}
    assert not (relay.data / f"{incident_id(other, passphrase).hex()}.db").exists()


def test_a_relay_killed_mid_sync_and_restarted_completes_with_no_duplicates(
    relays, pair: tuple[Path, Path], ann: Device, bo: Device, passphrase: str
) -> None:
    a, b = pair
    texts = [f"note {i}" for i in range(600)]
    with Session.unlock(a, passphrase, device=ann) as s:
        s.add_notes(texts)
    relay = relays()
    restarted = threading.Event()

    def kill_once(what: str, rows: int) -> None:
        if what == "push" and not restarted.is_set():
            restarted.set()
            relay.kill()  # SIGKILL between two batches; HttpPeer retries until it is back
            threading.Thread(target=relay.start, daemon=True).start()

    with Session.unlock(a, passphrase, device=ann, fold=False) as s:
        iid = s.header.incident_id
        with HttpPeer(relay.url, iid, token_of(s), retries=8, backoff=0.2) as far:
            report = exchange(s.store, iid, far, batch=100, progress=kill_once)
        total = s.store.count()
    assert restarted.is_set() and report.clean and report.pushed == total
    assert relay.count(iid) == total
    again = sync(a, ann, relay.url, passphrase)
    assert (again.pushed, again.pulled) == (0, 0)
    with Session.unlock(b, passphrase, fold=False) as s:
        base = s.store.count()
    assert sync(b, bo, relay.url, passphrase).pulled == total - base
    with Session.unlock(b, passphrase, device=bo) as s:
        got = sorted(e.text for e in s.state.entries.values() if e.text.startswith("note "))
    assert got == sorted(texts)


def test_twenty_clients_syncing_at_once_through_one_relay_converge(
    relays, tmp_path: Path, ann: Device, passphrase: str
) -> None:
    origin = tmp_path / "origin.db"
    with Session.create(origin, passphrase, kdf="interactive", device=ann, codename="owl"):
        pass
    clients: list[tuple[Path, Device]] = []
    for i in range(20):
        path = tmp_path / f"replica{i}.db"
        copy_file(origin, path)
        device = load_device(tmp_path / f"device{i}", name=f"Responder {i}")
        with Session.unlock(path, passphrase, device=device, fold=False) as s:
            s.add_notes([f"replica {i} note {n}" for n in range(5)])
        clients.append((path, device))
    relay = relays()
    sessions = [Session.unlock(p, passphrase, device=d, fold=False) for p, d in clients]
    try:

        def one(session: Session) -> SyncReport:
            iid = session.header.incident_id
            with HttpPeer(relay.url, iid, token_of(session), backoff=0.1) as far:
                return exchange(session.store, iid, far)

        for _ in range(2):  # all at once; the second round brings what others pushed later
            with ThreadPoolExecutor(len(sessions)) as pool:
                reports = list(pool.map(one, sessions))
            assert all(r.clean for r in reports)
        vectors = {tuple(sorted(vector_of(s.store).items())) for s in sessions}
    finally:
        for session in sessions:
            session.close()
    assert len(vectors) == 1 and len(next(iter(vectors))) == 21
    folds = [whole(p, d, passphrase) for p, d in clients]
    assert all(fold == folds[0] for fold in folds)
    assert sum(e["text"].startswith("replica ") for e in folds[0]["timeline"]) == 100


def test_a_fork_reaches_both_replicas_through_the_relay(
    relays, pair: tuple[Path, Path], ann: Device, passphrase: str
) -> None:
    """One device writes two different rows at one seq in two replicas (a copied file
    written on both): after both sync, both hold the evidence and both say so."""
    a, b = pair
    with Session.unlock(a, passphrase, device=ann) as s:
        s.add_note("written in a")
    with Session.unlock(b, passphrase, device=ann) as s:
        s.add_note("written in b")
    relay = relays()
    sync(a, ann, relay.url, passphrase)
    assert len(sync(b, ann, relay.url, passphrase).forks) == 1
    assert len(sync(a, ann, relay.url, passphrase).forks) == 1
    for path in (a, b):
        with Session.unlock(path, passphrase, device=ann) as s:
            assert FORKED in [p.reason for p in s.problems]
    iid = incident_id(a, passphrase)
    with (
        Session.unlock(a, passphrase, fold=False) as s,
        HttpPeer(relay.url, iid, token_of(s)) as far,
    ):
        assert len(far.forks()) == 1  # the relay serves the evidence too
    assert sync(b, ann, relay.url, passphrase).forks == []  # known evidence is not new


def test_a_closed_relay_takes_an_incident_only_once_allowed(
    relays, pair: tuple[Path, Path], ann: Device, bo: Device, passphrase: str, cli: Any
) -> None:
    a, b = pair
    write_apart(pair, ann, bo, passphrase)
    relay = relays("--closed")
    with pytest.raises(SessionError, match=r"relay .* closed.*relay allow.*\(HTTP 404\)"):
        sync(a, ann, relay.url, passphrase)
    assert not list(relay.data.glob("*.db"))
    info = cli("info", a, "--format", "json")
    assert info.returncode == 0, info.stderr
    facts = json.loads(info.stdout)
    with Session.unlock(a, passphrase, fold=False) as s:
        assert facts["relay_token_sha256"] == token_sha256(token_of(s))
        assert token_of(s) not in info.stdout
    allowed = cli(
        "relay", "allow", "--data", relay.data, facts["incident_id"], facts["relay_token_sha256"]
    )
    assert allowed.returncode == 0 and allowed.stderr == "", allowed.stderr
    assert sync(a, ann, relay.url, passphrase).clean
    assert sync(b, bo, relay.url, passphrase).clean
    assert sync(a, ann, relay.url, passphrase).clean
    assert whole(a, ann, passphrase) == whole(b, bo, passphrase)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("relay", "--port", "9"), "--data DIR is required"),
        (("relay", "--data", "{data}", "--ssl-keyfile", "{data}/k.pem"), "both --ssl-keyfile"),
        (("relay", "allow", "--data", "{data}", "xyz", "0" * 64), "32 lowercase hex"),
        (("relay", "allow", "--data", "{data}", "ab" * 16, "nothex"), "64 lowercase hex"),
    ],
)
def test_bad_relay_input_is_one_line_and_exit_2(
    cli: Any, tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    proc = cli(*(a.format(data=tmp_path / "data") for a in args), passphrase_file=None)
    assert proc.returncode == 2, proc.stderr
    assert says in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


class _Flaky(http.server.BaseHTTPRequestHandler):
    """Answers `script` in turn (status, Retry-After), then 200 with an empty vector."""

    script: list[tuple[int, str | None]] = []
    seen: list[float] = []

    def do_GET(self) -> None:  # noqa: N802  (http.server's name)
        self.seen.append(time.monotonic())
        status, after = self.script.pop(0) if self.script else (200, None)
        body = b"{}" if status == 200 else b'{"error": "busy"}'
        self.send_response(status)
        if after is not None:
            self.send_header("Retry-After", after)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky() -> Iterator[tuple[str, type[_Flaky]]]:
    handler = type("Handler", (_Flaky,), {"script": [], "seen": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def test_http_peer_retries_429_and_5xx_honouring_retry_after(flaky) -> None:
    url, handler = flaky
    handler.script += [(429, "1"), (503, None), (502, "0")]
    with HttpPeer(url, bytes(16), "t", backoff=0.01) as far:
        assert far.vector() == {}
    assert len(handler.seen) == 4
    assert handler.seen[1] - handler.seen[0] >= 0.9  # Retry-After: 1


def test_http_peer_gives_up_with_one_line_when_unreachable(flaky) -> None:
    url, handler = flaky
    handler.script += [(503, "0")] * 10
    with pytest.raises(Unreachable, match=r"unreachable after 3 tries \(HTTP 503\)$"):
        HttpPeer(url, bytes(16), "t", retries=2).vector()
    with pytest.raises(Unreachable, match=r"after 2 tries \(cannot connect\)$"):
        HttpPeer(f"http://127.0.0.1:{free_port()}", bytes(16), "t", retries=1).vector()
    with pytest.raises(SessionError, match="a relay URL is http"):
        HttpPeer("ftp://relay", bytes(16), "t")


def test_an_open_relay_takes_no_more_incidents_than_its_bound(
    relays, pair: tuple[Path, Path], ann: Device, passphrase: str, tmp_path: Path
) -> None:
    """Anyone may register an incident on an open relay; it takes --max-incidents of
    them and answers 507 after, with no file made."""
    a, _ = pair
    other = tmp_path / "other.db"
    with Session.create(other, passphrase, kdf="interactive", device=ann):
        pass
    relay = relays("--max-incidents", "1")
    assert sync(a, ann, relay.url, passphrase).clean
    with pytest.raises(SessionError, match=r"as many incidents as it takes \(1\)"):
        sync(other, ann, relay.url, passphrase)
    assert sorted(p.name for p in relay.data.glob("*.db")) == [
        f"{incident_id(a, passphrase).hex()}.db"
    ]
