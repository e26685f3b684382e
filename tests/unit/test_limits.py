"""Size caps and unstorable text, where text enters the core: the session facade,
which the console calls as the command line does (issue #10). Each refusal is a
SessionError naming the cap, and nothing is written."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from warroom import limits
from warroom.limits import (
    MAX_DRAFT_BODY_CHARS,
    MAX_FIELD_CHARS,
    MAX_LINE_CHARS,
    MAX_NOTE_CHARS,
    MAX_RECIPIENTS,
)
from warroom.session import Session, SessionError

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("limits") / "inc.db"
    with Session.create(path, PASSPHRASE, kdf="interactive", codename="amber-heron") as s:
        s.add_note("a note to amend and strike")
        s.add_person("Ann Lee", email="ann@example.com")
        s.add_evidence("disk image", kind="disk-image", location="vault")
        s.add_followup("rotate keys")
        s.save_draft(None, channel="email", to=["a@example.com"], subject="x", body="y")
    return path


@pytest.fixture
def session(template: Path, tmp_path: Path) -> Iterator[Session]:
    path = tmp_path / "inc.db"
    path.write_bytes(template.read_bytes())
    with Session.unlock(path, PASSPHRASE) as s:
        yield s


def events(s: Session) -> int:
    conn = sqlite3.connect(s.path)
    try:
        return conn.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        conn.close()


def person(s: Session) -> str:
    return next(iter(s.state.people))


def item(s: Session) -> str:
    return next(iter(s.state.evidence))


def followup(s: Session) -> str:
    return next(iter(s.state.followups))


def draft(s: Session) -> str:
    return next(iter(s.state.drafts))


def entry(s: Session) -> str:
    return next(e.id for e in s.state.entries.values() if not e.system)


# (what the message names, the cap, a call that writes `text` where it is capped)
CAPPED: list[tuple[str, int, Callable[[Session, str], Any]]] = [
    ("the note", MAX_NOTE_CHARS, lambda s, t: s.add_note(t)),
    ("the note", MAX_NOTE_CHARS, lambda s, t: s.add_notes(["fine", t])),
    ("the note", MAX_NOTE_CHARS, lambda s, t: s.amend_entry(entry(s), t)),
    ("the author", MAX_LINE_CHARS, lambda s, t: s.add_note("x", author=t)),
    ("tags", MAX_LINE_CHARS, lambda s, t: s.add_note("x", tags=["ok", t])),
    ("the reason", MAX_LINE_CHARS, lambda s, t: s.strike_entry(entry(s), t)),
    ("the assignee", MAX_LINE_CHARS, lambda s, t: s.set_step("stop-attack", assignee=t)),
    ("the person's name", MAX_LINE_CHARS, lambda s, t: s.add_person(t)),
    ("the person's email", MAX_LINE_CHARS, lambda s, t: s.add_person("Bo", email=t)),
    ("the person's phone", MAX_LINE_CHARS, lambda s, t: s.add_person("Bo", phone=t)),
    ("the person's email", MAX_LINE_CHARS, lambda s, t: s.set_person(person(s), email=t)),
    ("the incident's title", MAX_LINE_CHARS, lambda s, t: s.set_incident(title=t)),
    ("the incident's summary", MAX_FIELD_CHARS, lambda s, t: s.set_incident(summary=t)),
    ("the incident's root cause", MAX_FIELD_CHARS, lambda s, t: s.set_incident(root_cause=t)),
    ("the draft's body", MAX_DRAFT_BODY_CHARS, lambda s, t: s.save_draft(None, body=t)),
    ("the draft's body", MAX_DRAFT_BODY_CHARS, lambda s, t: s.save_draft(draft(s), body=t)),
    ("the draft's subject", MAX_LINE_CHARS, lambda s, t: s.save_draft(draft(s), subject=t)),
    ("the draft's to", MAX_LINE_CHARS, lambda s, t: s.save_draft(draft(s), to=[t])),
    ("the draft's from", MAX_LINE_CHARS, lambda s, t: s.save_draft(draft(s), sender=t)),
    (
        "the evidence's description",
        MAX_FIELD_CHARS,
        lambda s, t: s.add_evidence(t, kind="log-export", location="vault"),
    ),
    ("the custody note", MAX_FIELD_CHARS, lambda s, t: s.note_custody(item(s), t)),
    (
        "the indicator's note",
        MAX_FIELD_CHARS,
        lambda s, t: s.mark_indicator("198.51.100.7", "confirmed", t),
    ),
    ("the follow-up's title", MAX_LINE_CHARS, lambda s, t: s.add_followup(t)),
    ("the follow-up's owner", MAX_LINE_CHARS, lambda s, t: s.add_followup("x", owner=t)),
    ("the follow-up's owner", MAX_LINE_CHARS, lambda s, t: s.set_followup(followup(s), owner=t)),
]


@pytest.mark.parametrize(
    ("what", "cap", "call"), CAPPED, ids=[f"{c[0]}-{i}" for i, c in enumerate(CAPPED)]
)
def test_one_character_over_the_cap_is_refused_naming_it(
    session: Session, what: str, cap: int, call: Callable[[Session, str], Any]
) -> None:
    call(session, "a" * cap)  # at the cap: taken
    before = events(session)
    with pytest.raises(SessionError) as caught:
        call(session, "a" * (cap + 1))
    assert str(caught.value) == f"{what} is {cap + 1:,} characters; the most is {cap:,}"
    assert events(session) == before


@pytest.mark.parametrize(
    ("what", "cap", "call"), CAPPED, ids=[f"{c[0]}-{i}" for i, c in enumerate(CAPPED)]
)
def test_a_lone_surrogate_is_refused_not_a_traceback(
    session: Session, what: str, cap: int, call: Callable[[Session, str], Any]
) -> None:
    """`\\udcff` is what Python makes of a `\\xff` byte in argv or an .eml header;
    `\\ud800` what a JSON draft's `"\\ud800"` gives. Neither encodes as UTF-8: today
    a UnicodeEncodeError from deep in the event encoder."""
    before = events(session)
    with pytest.raises(SessionError) as caught:
        call(session, "ok \udcff")
    assert str(caught.value) == f"{what} is not valid UTF-8 (the byte 0xFF at character 4)"
    with pytest.raises(SessionError) as caught:
        call(session, "\ud800")
    assert str(caught.value) == f"{what} is not valid text (a lone surrogate U+D800 at character 1)"
    assert events(session) == before


def test_a_hundred_megabyte_note_is_refused_at_once(session: Session) -> None:
    """The attack of the issue: a 100 MB note was taken; every later command then
    took 2.4 s and 465 MB. Now it is refused before any work is done on it."""
    huge = "x" * 100_000_000
    before = events(session)
    started = time.perf_counter()
    with pytest.raises(
        SessionError, match=r"^the note is 100,000,000 characters; the most is 16,000$"
    ):
        session.add_note(huge)
    assert time.perf_counter() - started < 0.5
    assert events(session) == before


def test_recipients_are_capped_together(session: Session) -> None:
    d = draft(session)  # it has one To address already
    half = MAX_RECIPIENTS // 2
    session.save_draft(d, cc=[f"c{i}@example.com" for i in range(half)])
    before = events(session)
    with pytest.raises(SessionError) as caught:
        session.save_draft(d, bcc=[f"b{i}@example.com" for i in range(half)])
    assert str(caught.value) == (
        f"the draft has {1 + 2 * half:,} recipients (To, Cc and Bcc); "
        f"the most is {MAX_RECIPIENTS:,}"
    )
    with pytest.raises(SessionError, match=r"^the draft's to: 10,001 of them; the most is 10,000$"):
        session.save_draft(None, to=["a@example.com"] * (MAX_RECIPIENTS + 1))
    assert events(session) == before


def test_too_many_tags_are_refused(session: Session) -> None:
    with pytest.raises(SessionError, match=r"^tags: 51 of them; the most is 50$"):
        session.add_note("x", tags=[str(i) for i in range(limits.MAX_TAGS + 1)])


def test_the_title_of_a_new_incident_is_capped(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with pytest.raises(SessionError, match=r"^the title is 501 characters; the most is 500$"):
        Session.create(path, PASSPHRASE, kdf="interactive", title="t" * 501)
    assert not path.exists()


@pytest.mark.parametrize(
    ("at", "message"),
    [
        (0, "the time 1970-01-01T00:00:00Z is before 1990-01-01: not a time an incident happened"),
        (631_151_999_000, "the time 1989-12-31T23:59:59Z is before 1990-01-01"),
        (4_102_444_800_000, "the time 2100-01-01T00:00:00Z is more than a day after"),
    ],
)
def test_a_note_time_must_be_sane(session: Session, at: int, message: str) -> None:
    """`at=0` was stored and read back as "now" (0 is falsy); 2100 dragged clocks."""
    before = events(session)
    with pytest.raises(SessionError) as caught:
        session.add_note("backdated", at=at)
    assert str(caught.value).startswith(message)
    assert events(session) == before
    now = session.clock.wall()
    assert session.add_note("an hour ago", at=now - 3_600_000)
    assert session.add_note("in 1990", at=631_152_000_000)
