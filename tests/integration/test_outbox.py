"""The outbox (issue #13), as real processes against a real HTTP server on 127.0.0.1
standing in for PagerDuty: a page is delivered once, with the Events API v2 schema
and the codename only; queued while the server is down and delivered once when it
is up; two processes flushing, or two synced replicas, send each message once; no
secret on argv, in the timeline or in any output."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import pytest
from ports import free_port
from recorder import Recorder, recording_server
from replicas import copy_file

from warroom.session import Session
from warroom.sync.exchange import exchange
from warroom.sync.peer import StorePeer

TOKEN = secrets.token_hex(6)
ROUTING_KEY = f"R{TOKEN}0123456789abcdefAB"
TITLE = f"Payroll export by an intruder {TOKEN}"


@pytest.fixture
def paged(cli, tmp_path: Path) -> tuple[Path, int]:
    """An incident with an IC on the roster and a PagerDuty integration whose API base
    is 127.0.0.1:port (nothing listens there yet)."""
    path = tmp_path / "inc.db"
    ok(cli("init", path, "--kdf", "interactive", "--codename", "amber-heron", "--title", TITLE))
    ok(cli("roster", "add", path, "Ann Lee", "--role", "ic"))
    key = tmp_path / "routing-key"
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(ROUTING_KEY + "\n")
    port = free_port()
    ok(cli("notify", "add", path, "--kind", "pagerduty", "--secret-file", key,
           "--name", "on-call", "--url", f"http://127.0.0.1:{port}"))  # fmt: skip
    return path, port


def ok(proc):  # noqa: ANN001, ANN201
    assert proc.returncode == 0, proc.stderr
    return proc


def outbox(cli, path: Path, *more: str, **options: object) -> list[dict]:  # noqa: ANN001
    return json.loads(ok(cli("outbox", path, "--format", "json", *more, **options)).stdout)


def pages(server: Recorder) -> list[dict]:
    return [body for path, _, body in server.seen if path == "/v2/enqueue"]


def test_a_page_is_delivered_once_with_the_codename_and_never_the_title(
    cli, paged: tuple[Path, int]
) -> None:
    path, port = paged
    with recording_server(port) as server:
        proc = ok(cli("page", path, "ic", "--message", "-", input="join the bridge"))
    [body] = pages(server)
    assert set(body) == {"routing_key", "event_action", "dedup_key", "payload"}
    assert (body["routing_key"], body["event_action"]) == (ROUTING_KEY, "trigger")
    assert body["payload"]["summary"] == "amber-heron: join the bridge (Ann Lee)"
    assert body["payload"]["source"] == "warroom" and body["payload"]["severity"] == "error"
    assert TOKEN not in json.dumps(body["payload"])  # no title, no key in what is shown
    assert "Delivered: page Ann Lee via pagerduty on-call" in proc.stderr
    [item] = outbox(cli, path)
    assert (item["status"], item["attempts"]) == ("delivered", 1)
    roster = json.loads(ok(cli("show", path, "--format", "json")).stdout)["roster"]
    assert [p["state"] for p in roster if p["name"] == "Ann Lee"] == ["paged"]
    timeline = ok(cli("timeline", path)).stdout
    assert timeline.count("Delivered: page Ann Lee via pagerduty on-call") == 1
    assert TOKEN not in timeline + proc.stdout + proc.stderr


def test_queued_while_the_server_is_down_and_delivered_once_when_it_is_up(
    cli, paged: tuple[Path, int]
) -> None:
    path, port = paged
    down = ok(cli("page", path, "Ann Lee"))
    assert "not delivered yet" in down.stderr and "cannot connect" in down.stderr
    assert TOKEN not in down.stderr
    [item] = outbox(cli, path)
    assert item["status"] == "queued" and item["attempts"] == 5
    with recording_server(port) as server:
        outbox(cli, path, "--flush")
        outbox(cli, path, "--flush")  # nothing left: nothing sent again
    assert len(pages(server)) == 1
    assert [i["status"] for i in outbox(cli, path)] == ["delivered"]


def test_two_processes_flushing_at_once_send_each_message_once(
    cli, paged: tuple[Path, int], tmp_path: Path
) -> None:
    path, port = paged
    ok(cli("roster", "add", path, "Bo Diaz", "--role", "legal"))
    ok(cli("page", path, "ic"))
    ok(cli("page", path, "legal"))
    assert [i["status"] for i in outbox(cli, path)] == ["queued", "queued"]
    with recording_server(port) as server:
        procs = [cli.start("outbox", path, "--flush") for _ in range(2)]
        for proc in procs:
            proc.communicate(timeout=60)
            assert proc.returncode == 0
    assert sorted(b["payload"]["summary"] for b in pages(server)) == [
        "amber-heron: you are paged to the incident (Ann Lee)",
        "amber-heron: you are paged to the incident (Bo Diaz)",
    ]


def test_two_synced_replicas_flushing_send_each_message_once(
    cli, paged: tuple[Path, int], tmp_path: Path, passphrase: str, bo
) -> None:
    """Only the device that queued a message delivers it: the other replica, synced,
    sees it queued and leaves it, then sees it delivered."""
    path, port = paged
    ok(cli("page", path, "ic"))  # the server is down: queued
    replica = tmp_path / "replica.db"
    copy_file(path, replica)
    other = tmp_path / "other-config"
    other.mkdir(mode=0o700)
    with recording_server(port) as server:
        ok(cli("outbox", replica, "--flush", config_dir=other))
        assert pages(server) == []  # not its message
        ok(cli("outbox", path, "--flush"))
        assert len(pages(server)) == 1
        with (
            Session.unlock(replica, passphrase, device=bo, fold=False) as here,
            Session.unlock(path, passphrase, device=bo, fold=False) as there,
        ):
            iid = here.header.incident_id
            exchange(here.store, iid, StorePeer(there.store, iid), opens=here.ledger.opens)
        ok(cli("outbox", replica, "--flush", config_dir=other))
    assert len(pages(server)) == 1
    assert [i["status"] for i in outbox(cli, replica, config_dir=other)] == ["delivered"]


@pytest.fixture
def chatty(cli, tmp_path: Path) -> tuple[Path, int]:
    """An incident with a Slack-compatible webhook on 127.0.0.1:port (its URL the secret)."""
    path = tmp_path / "chat.db"
    ok(cli("init", path, "--kind", "security", "--kdf", "interactive",
           "--codename", "amber-heron", "--title", TITLE))  # fmt: skip
    port = free_port()
    hook = f"http://127.0.0.1:{port}/hook/{TOKEN}"
    ok(cli("notify", "add", path, "--kind", "slack", "--name", "war-room",
           "--secret-file", "-", input=hook))  # fmt: skip
    return path, port


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("replica isolated, disks kept", "chat-prefix"),
        (f"Attorney Work Project: {TITLE} is contained", "chat-codename"),
        ("Attorney Work Project: we take security very seriously", "banned-phrase"),
    ],
)
def test_a_chat_message_the_rules_refuse_never_reaches_the_server(
    cli, chatty: tuple[Path, int], text: str, rule: str
) -> None:
    path, port = chatty
    with recording_server(port) as server:
        proc = cli("chat", "send", path, "-", input=text)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.count("\n") == 1 and f"refused by {rule}" in proc.stderr
    assert server.seen == []
    assert outbox(cli, path) == []


def test_a_chat_message_with_the_prefix_is_delivered_once(cli, chatty: tuple[Path, int]) -> None:
    path, port = chatty
    text = "Attorney Work Project: amber-heron bridge at 14:00 UTC"
    with recording_server(port) as server:
        ok(cli("chat", "send", path, "-", input=text))
        ok(cli("outbox", path, "--flush"))
    assert [(p, b) for p, _, b in server.seen] == [(f"/hook/{TOKEN}", {"text": text})]
    [item] = outbox(cli, path)
    assert item["status"] == "delivered"
    assert TOKEN not in ok(cli("timeline", path)).stdout


def test_a_page_the_service_refuses_fails_for_good_and_says_so(
    cli, paged: tuple[Path, int]
) -> None:
    path, port = paged
    with recording_server(port) as server:
        server.answers = [(400, {})]
        proc = cli("page", path, "ic")
    assert proc.returncode == 1, proc.stderr
    assert "not delivered: page Ann Lee" in proc.stderr and "answered 400" in proc.stderr
    assert len(pages(server)) == 1  # a 4xx is not sent again
    [item] = outbox(cli, path)
    assert (item["status"], item["attempts"]) == ("failed", 1)
    timeline = ok(cli("timeline", path)).stdout
    assert timeline.count("Not delivered: page Ann Lee via pagerduty on-call") == 1
