"""The chat room (issue #13), as real processes against a real HTTP server on 127.0.0.1
standing in for Slack's Web API (each method is a path): `warroom chat room` makes a
private channel named by the codename (never the title), sets a topic that starts
with the prefix, invites the roster's handles that are Slack member ids; a topic the
rules refuse never reaches the server; the channel is made once (a second room, a
delivery tried again after a failure halfway, a crash that left `name_taken`); `chat
send` posts to it; and the bot token is only ever in the Authorization header."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

import pytest
from cmdlines import all_cmdlines
from ports import free_port
from privatefile import private_file
from recorder import Recorder, recording_server

TOKEN = secrets.token_hex(6)
BOT_TOKEN = f"xoxb-{TOKEN}-0123456789"
SECRET_TITLE = secrets.token_hex(5)
TITLE = f"Payroll export by an intruder {SECRET_TITLE}"
CHANNEL = "C0AMBER42"
PREFIX = "Attorney Work Project"
CREATED = (200, {}, {"ok": True, "channel": {"id": CHANNEL, "name": "amber-heron"}})
OK = (200, {}, {"ok": True})
DELIVERED = (
    "Delivered: chat room amber-heron via slack-bot ops-bot "
    "(2 to invite, 1 handle(s) not Slack member ids: skipped)"
)


def ok(proc):  # noqa: ANN001, ANN201
    assert proc.returncode == 0, proc.stderr
    return proc


def outbox(cli, path: Path, *more: str) -> list[dict]:  # noqa: ANN001
    return json.loads(ok(cli("outbox", path, "--format", "json", *more)).stdout)


def slack(server: Recorder, **routes: list) -> Recorder:
    """Answer like Slack: the channel made, anything else ok; `routes` (a method with
    its dot as `__`) say otherwise, in turn."""
    server.default = OK
    server.routes["/conversations.create"] = [CREATED]
    for method, answers in routes.items():
        server.routes["/" + method.replace("__", ".")] = list(answers)
    return server


@pytest.fixture
def roomy(cli, tmp_path: Path) -> tuple[Path, int]:
    """An incident whose roster has two Slack member ids, a handle that is not one and
    a person without a handle, and a slack-bot integration whose API base is
    127.0.0.1:port (nothing listens there yet)."""
    path = tmp_path / "room.db"
    ok(cli("init", path, "--kdf", "interactive", "--codename", "amber-heron", "--title", TITLE))
    ok(cli("roster", "add", path, "Ann Lee", "--role", "ic", "--handle", "U012AB3CD"))
    ok(cli("roster", "add", path, "Bo Diaz", "--handle", "@W0456EF7G"))
    ok(cli("roster", "add", path, "Cy Park", "--handle", "@cypark"))
    ok(cli("roster", "add", path, "Di Wu"))
    ok(cli("roster", "add", path, "Ann again", "--handle", "@U012AB3CD"))  # invited once
    token = private_file(tmp_path / "bot-token", BOT_TOKEN)
    port = free_port()
    ok(cli("notify", "add", path, "--kind", "slack-bot", "--secret-file", token,
           "--name", "ops-bot", "--url", f"http://127.0.0.1:{port}"))  # fmt: skip
    return path, port


def test_the_room_is_named_by_the_codename_with_the_prefix_and_the_member_ids(
    cli, roomy: tuple[Path, int]
) -> None:
    path, port = roomy
    with recording_server(port) as server:
        slack(server)
        proc = ok(cli("chat", "room", path))
    assert server.methods == [
        "/conversations.create",
        "/conversations.setTopic",
        "/conversations.invite",
    ]
    [create], [topic], [invite] = (server.calls(m) for m in server.methods)
    assert create == {"name": "amber-heron", "is_private": True}
    assert topic == {"channel": CHANNEL, "topic": f"{PREFIX}: amber-heron incident room"}
    assert invite == {"channel": CHANNEL, "users": "U012AB3CD,W0456EF7G", "force": True}
    assert SECRET_TITLE not in json.dumps(server.seen)
    assert [h["Authorization"] for _, h, _ in server.seen] == [f"Bearer {BOT_TOKEN}"] * 3
    assert "2 to invite, 1 handle(s) not Slack member ids: skipped" in proc.stdout
    assert proc.stderr.count(DELIVERED) == 1
    assert "cypark" not in proc.stdout + proc.stderr
    [item] = outbox(cli, path)
    assert (item["action"], item["status"], item["attempts"]) == ("room", "delivered", 3)
    texts = [e["text"] for e in json.loads(ok(cli("timeline", path, "--format", "json")).stdout)]
    assert texts.count(DELIVERED) == 1
    assert texts.count("Chat room made: via slack-bot ops-bot") == 1
    [bot] = json.loads(ok(cli("notify", "list", path, "--format", "json")).stdout)
    assert bot["room"] == CHANNEL


def test_a_given_topic_is_sent_as_given(cli, roomy: tuple[Path, int]) -> None:
    path, port = roomy
    given = f"{PREFIX}: amber-heron bridge at 14:00 UTC"
    with recording_server(port) as server:
        slack(server)
        ok(cli("chat", "room", path, "--topic", "-", input=given))
    assert server.calls("/conversations.setTopic") == [{"channel": CHANNEL, "topic": given}]


@pytest.mark.parametrize(
    ("topic", "rule"),
    [
        ("amber-heron war room", "chat-prefix"),
        (f"{PREFIX}: {TITLE}", "chat-codename"),
    ],
)
def test_a_topic_the_rules_refuse_never_reaches_the_server(
    cli, roomy: tuple[Path, int], topic: str, rule: str
) -> None:
    path, port = roomy
    with recording_server(port) as server:
        slack(server)
        proc = cli("chat", "room", path, "--topic", "-", input=topic)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.count("\n") == 1 and f"refused by {rule}" in proc.stderr
    assert server.seen == []
    assert outbox(cli, path) == []


def test_without_a_slack_bot_it_is_one_line_and_exit_2(cli, tmp_path: Path) -> None:
    path = tmp_path / "plain.db"
    ok(cli("init", path, "--kdf", "interactive", "--codename", "amber-heron"))
    proc = cli("chat", "room", path)
    assert proc.returncode == 2, proc.stdout
    assert proc.stderr.count("\n") == 1 and "no slack-bot integration" in proc.stderr


def test_a_second_room_makes_no_second_channel(cli, roomy: tuple[Path, int]) -> None:
    path, port = roomy
    with recording_server(port) as server:
        slack(server, conversations__create=[CREATED, CREATED])
        ok(cli("chat", "room", path))
        ok(cli("chat", "room", path, "--topic", "-", input=f"{PREFIX}: amber-heron, phase 2"))
    assert len(server.calls("/conversations.create")) == 1
    assert [b["channel"] for b in server.calls("/conversations.setTopic")] == [CHANNEL] * 2
    assert [b["topic"] for b in server.calls("/conversations.setTopic")][1].endswith("phase 2")
    assert [i["status"] for i in outbox(cli, path)] == ["delivered", "delivered"]


def test_a_room_tried_again_after_the_topic_failed_makes_no_second_channel(
    cli, roomy: tuple[Path, int]
) -> None:
    """The channel is made, then setTopic answers 500 (with a wait beyond a delivery):
    the item waits; the next flush sets the topic in the same channel."""
    path, port = roomy
    with recording_server(port) as server:
        slack(
            server,
            conversations__create=[CREATED, CREATED],
            conversations__setTopic=[(500, {"Retry-After": "600"}), OK],
        )
        first = ok(cli("chat", "room", path))
        assert "not delivered yet: chat room amber-heron" in first.stderr
        assert "answered 500" in first.stderr
        [item] = outbox(cli, path)
        assert (item["status"], item["attempts"]) == ("queued", 2)
        outbox(cli, path, "--flush")
        outbox(cli, path, "--flush")  # delivered: nothing sent again
    assert server.methods == [
        "/conversations.create",
        "/conversations.setTopic",
        "/conversations.setTopic",
        "/conversations.invite",
    ]
    assert {b["channel"] for b in server.calls("/conversations.setTopic")} == {CHANNEL}
    [item] = outbox(cli, path)
    assert (item["status"], item["attempts"]) == ("delivered", 4)


def test_name_taken_with_no_recorded_id_is_found_by_name(cli, roomy: tuple[Path, int]) -> None:
    """A crash between Slack making the channel and the file recording it: the create
    is answered name_taken, and the channel is found in the bot's list, page by page."""
    path, port = roomy
    now = int(time.time())
    pages = [
        {
            "ok": True,
            "channels": [{"id": "C0OTHER11", "name": "amber-heron-old", **ours(now)}],
            "response_metadata": {"next_cursor": "page-2"},
        },
        {
            "ok": True,
            "channels": [{"id": CHANNEL, "name": "amber-heron", **ours(now)}],
            "response_metadata": {"next_cursor": ""},
        },
    ]
    taken = (200, {}, {"ok": False, "error": "name_taken"})
    with recording_server(port) as server:
        slack(
            server,
            conversations__create=[taken, CREATED],
            conversations__list=[(200, {}, page) for page in pages],
        )
        ok(cli("chat", "room", path))
        ok(cli("chat", "room", path))  # the room is known now: no create, no list
    assert server.methods == [
        "/conversations.create",
        "/conversations.list",
        "/conversations.list",
        "/conversations.setTopic",
        "/conversations.invite",
        "/conversations.setTopic",
        "/conversations.invite",
    ]
    first, second = server.calls("/conversations.list")
    assert first == {
        "types": "private_channel",
        "exclude_archived": "true",
        "limit": "200",
    }
    assert second == {**first, "cursor": "page-2"}
    assert {b["channel"] for b in server.calls("/conversations.invite")} == {CHANNEL}


def ours(created: int) -> dict:
    """What conversations.list says of a private channel the bot is in, made at `created`."""
    return {"is_private": True, "is_member": True, "created": created}


@pytest.mark.parametrize(
    "theirs",
    [
        {"is_private": False, "is_member": True},  # someone's public channel of the name
        {"is_private": True, "is_member": False},  # a private channel the bot is not in
        {"is_private": True, "is_member": True, "created": 1_500_000_000},  # an old room
    ],
    ids=["public", "not-a-member", "older"],
)
def test_name_taken_by_a_channel_not_made_for_this_room_is_never_used(
    cli, roomy: tuple[Path, int], theirs: dict
) -> None:
    """Whoever knows the codename can make a channel of that name first: the room is
    never one the bot did not make for this incident, and nothing is posted to it."""
    path, port = roomy
    channel = {"id": "C0PUBLIC1", "name": "amber-heron", "created": int(time.time()), **theirs}
    taken = (200, {}, {"ok": False, "error": "name_taken"})
    listing = (200, {}, {"ok": True, "channels": [channel]})
    with recording_server(port) as server:
        slack(server, conversations__create=[taken], conversations__list=[listing])
        proc = cli("chat", "room", path)
        assert proc.returncode == 1, proc.stderr
        assert "a channel named amber-heron exists that is not the room" in proc.stderr
        sent = cli("chat", "send", path, "-", input=f"{PREFIX}: bridge at 14:00")
    assert server.methods == ["/conversations.create", "/conversations.list"]
    assert sent.returncode == 2, sent.stderr  # no room, no webhook: nowhere to send
    shown = json.loads(ok(cli("notify", "list", path, "--format", "json")).stdout)
    assert [i["room"] for i in shown] == [""]


def test_the_channel_is_named_by_the_codename_made_fit_for_slack(cli, tmp_path: Path) -> None:
    path = tmp_path / "odd.db"
    ok(cli("init", path, "--kdf", "interactive", "--codename", "Amber Heron / ÉTÉ 2026!"))
    token = private_file(tmp_path / "bot-token", BOT_TOKEN)
    port = free_port()
    ok(cli("notify", "add", path, "--kind", "slack-bot", "--secret-file", token,
           "--url", f"http://127.0.0.1:{port}"))  # fmt: skip
    with recording_server(port) as server:
        slack(server)
        ok(cli("chat", "room", path))
    assert server.calls("/conversations.create") == [
        {"name": "amber-heron-t-2026", "is_private": True}
    ]


def test_a_slack_refusal_fails_for_good_and_says_so(cli, roomy: tuple[Path, int]) -> None:
    path, port = roomy
    with recording_server(port) as server:
        slack(server, conversations__create=[(200, {}, {"ok": False, "error": "invalid_auth"})])
        proc = cli("chat", "room", path)
    assert proc.returncode == 1, proc.stderr
    assert "not delivered: chat room amber-heron" in proc.stderr
    assert "answered invalid_auth" in proc.stderr
    assert server.methods == ["/conversations.create"]  # not sent again
    [item] = outbox(cli, path)
    assert (item["status"], item["attempts"]) == ("failed", 1)
    timeline = ok(cli("timeline", path)).stdout
    assert timeline.count("Not delivered: chat room amber-heron") == 1
    assert "Chat room made" not in timeline


def test_chat_send_posts_to_the_room_once(cli, roomy: tuple[Path, int]) -> None:
    path, port = roomy
    text = f"{PREFIX}: amber-heron bridge at 14:00 UTC"
    with recording_server(port) as server:
        slack(server)
        before = cli("chat", "send", path, "-", input=text)  # no room yet, no webhook
        assert before.returncode == 2 and "chat room" in before.stderr, before.stderr
        assert server.seen == []
        ok(cli("chat", "room", path))
        sent = ok(cli("chat", "send", path, "-", input=text))
        outbox(cli, path, "--flush")
    assert server.calls("/chat.postMessage") == [{"channel": CHANNEL, "text": text}]
    assert "Delivered: chat message via slack-bot ops-bot" in sent.stderr
    assert [i["status"] for i in outbox(cli, path)] == ["delivered", "delivered"]


def test_the_bot_token_is_only_ever_in_the_authorization_header(
    cli, roomy: tuple[Path, int]
) -> None:
    path, port = roomy
    outputs = []
    with recording_server(port) as server:
        slack(server, conversations__create=[(200, {}, {"ok": False, "error": "name_taken"})])
        server.routes["/conversations.list"] = [
            (
                200,
                {},
                {
                    "ok": True,
                    "channels": [{"id": CHANNEL, "name": "amber-heron", **ours(int(time.time()))}],
                },
            )
        ]
        proc = cli.start("chat", "room", path)
        argv: list[str] = []
        while proc.poll() is None:
            argv.extend(all_cmdlines().values())
            time.sleep(0.005)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert any("chat room" in line for line in argv)  # the scan saw the command
        assert not any(TOKEN in line for line in argv)
        outputs.append(out + err)
        sent = ok(cli("chat", "send", path, "-", input=f"{PREFIX}: amber-heron update"))
        outputs.append(sent.stdout + sent.stderr)
    assert len(server.seen) == 5
    for url, headers, body in server.seen:
        assert headers.pop("Authorization") == f"Bearer {BOT_TOKEN}"
        assert TOKEN not in url + json.dumps(body) + json.dumps(headers)
    for command in (
        ("timeline", path, "--format", "json"),
        ("show", path, "--format", "json"),
        ("outbox", path, "--format", "json"),
        ("notify", "list", path, "--format", "json"),
    ):
        run = ok(cli(*command))
        outputs.append(run.stdout + run.stderr)
    assert TOKEN not in "".join(outputs)
