"""Paging from the roster in a real terminal: `p` on a role pages its holder through
PagerDuty (a recording server on 127.0.0.1 stands in for it), once, and the
timeline and the roster say so; `J` marks them joined by hand. Keys are sent as one
burst and at a person's speed."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from recorder import recording_server

CODENAME = "amber-heron"  # conftest
PASSPHRASE = "terminal: correct horse battery staple"  # conftest
TITLE = "Replica export"  # the incident's private title (conftest): never paged
DELIVERED = "Delivered: page Ann IC via pagerduty on-call"


def add_ann(incident, passfile, env) -> None:  # noqa: ANN001
    """Ann IC on the roster, holding the IC role, joined (her name from stdin)."""
    subprocess.run(
        [sys.executable, "-m", "warroom", "roster", "add", str(incident),
         "--passphrase-file", str(passfile), "--role", "ic", "--state", "joined",
         "--from-json", "-"],
        input='{"name": "Ann IC"}', text=True, env=env, capture_output=True, check=True,
        timeout=60,
    )  # fmt: skip


def add_on_call(incident, passfile, env, url: str, key) -> None:  # noqa: ANN001
    """Ann IC holding the IC role, and a PagerDuty integration "on-call" at `url`."""
    add_ann(incident, passfile, env)
    subprocess.run(
        [sys.executable, "-m", "warroom", "notify", "add", str(incident),
         "--passphrase-file", str(passfile), "--kind", "pagerduty", "--url", url,
         "--secret-file", str(key), "--name", "on-call"],
        env=env, capture_output=True, check=True, timeout=60,
    )  # fmt: skip


def timeline_texts(warroom) -> list[str]:  # noqa: ANN001
    return [e["text"] for e in json.loads(warroom("timeline", "--format", "json"))]


@pytest.mark.parametrize("send", ["burst", "type"])
def test_p_on_a_role_pages_its_holder_once(  # noqa: PLR0913
    console, warroom, incident, passfile, console_env, tmp_path, send: str
) -> None:
    key = tmp_path / "routing-key"
    key.write_text("R" * 32 + "\n")
    with recording_server() as server:
        add_on_call(incident, passfile, console_env, server.url, key)
        term = console(120, 40)
        assert term.count("Ann IC (joined)") == 1, term.screen_dump()
        getattr(term, send)("2p")  # the roster, then page its first line: the IC role
        term.wait_for("Ann IC (paged)")
        term.wait_until(lambda: len(server.seen) >= 1 and term.count(DELIVERED) >= 1)
        term.wait_quiet(1.0)

        assert len(server.seen) == 1, server.seen
        path, headers, body = server.seen[0]
        assert path == "/v2/enqueue"
        assert body["event_action"] == "trigger"
        assert body["routing_key"] == "R" * 32
        assert body["payload"]["summary"].startswith(f"{CODENAME}: ")
        assert body["payload"]["summary"].endswith("(Ann IC)")
        assert body["payload"]["severity"] in ("critical", "error", "warning", "info")
        assert TITLE not in json.dumps(body)
        assert term.count("Ann IC (paged)") == 1, term.screen_dump()
        assert "R" * 32 not in term.text()

        texts = timeline_texts(warroom)
        assert sum(t.startswith("Delivered: page Ann IC") for t in texts) == 1, texts
        assert "R" * 32 not in json.dumps(texts)

        term.burst("J")  # PagerDuty tells no one who acknowledged: joined by hand
        term.wait_for("Ann IC (joined)")
        term.wait_quiet(0.5)
        assert term.count("Ann IC (joined)") == 1, term.screen_dump()
        assert term.count("Ann IC (paged)") == 0
        assert len(server.seen) == 1  # nothing paged again


def test_p_without_a_pagerduty_integration_says_how_to_add_one(
    console, warroom, incident, passfile, console_env
) -> None:
    add_ann(incident, passfile, console_env)
    term = console(120, 40)
    term.burst("2p")
    term.wait_for("no PagerDuty integration")
    term.wait_quiet(0.5)
    assert term.count("Ann IC (joined)") == 1  # not marked paged
    assert not any(t.startswith("Delivered") for t in timeline_texts(warroom))


def test_p_outside_the_roster_asks_for_a_selection(console) -> None:
    term = console(120, 40)
    term.burst("1p")  # the checklist has focus
    term.wait_for("Select a role or a person to page (2)")
    assert term.count("(paged)") == 0


def test_a_lock_while_a_page_is_on_its_way_does_not_stop_later_pages(
    console, incident, passfile, console_env, tmp_path
) -> None:
    """Locked while a delivery waits on a slow service, then unlocked: the next `p`
    still delivers (the flush under way no longer counts as running)."""
    key = tmp_path / "routing-key"
    key.write_text("R" * 32 + "\n")
    with recording_server() as server:
        add_on_call(incident, passfile, console_env, server.url, key)
        server.delay = 2.0
        term = console(120, 40)
        term.burst("2p")
        term.wait_until(lambda: len(server.seen) == 1)  # on its way, not answered yet
        term.burst("\x0c")  # ctrl+l
        term.wait_for("passphrase")
        term.burst(PASSPHRASE + "\r")
        term.wait_for(CODENAME)
        time.sleep(server.delay + 0.5)  # the first delivery ends while the console is locked
        server.delay = 0.0
        term.burst("2p")
        term.wait_until(lambda: len(server.seen) == 2, timeout=15)
        term.wait_for(DELIVERED)
    assert [body["event_action"] for _, _, body in server.seen] == ["trigger", "trigger"]
