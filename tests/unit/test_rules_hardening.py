"""The comms rules hardened (issue #10), through their public API: the size caps bound
the work, the SMS allow-list knows where people go, an encrypted email needs everyone's
key, privilege needs counsel from the incident's roster. The command line is attacked in
tests/integration/test_rules_attack.py; the phrase families in test_phrase_families.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from warroom import comms
from warroom.rules import (
    ERROR,
    WARNING,
    Context,
    DraftDoc,
    DraftFileError,
    KeyStatus,
    default_policy,
    lint,
    parse_policy,
    read_draft_file,
)
from warroom.session import Session

AWP = "Attorney Work Project"
PASSPHRASE = "hardening: correct horse"
LENA = "lena@partner.example"
FRANK = "frank@outside-counsel.example"


def email(**fields: object) -> DraftDoc:
    values: dict[str, object] = {
        "channel": "email",
        "sender": "ic@example.com",
        "to": ("ann@example.com",),
        "subject": AWP,
        "body": "The bridge is in room 4.",
    }
    return DraftDoc(**(values | fields))  # type: ignore[arg-type]


def keys_for(*found: str):  # noqa: ANN201
    def lookup(address: str) -> KeyStatus:
        if address in found:
            return KeyStatus(address, "found", "AB" * 20)
        return KeyStatus(address, "missing", detail=f"no key for {address}")

    return lookup


def only(findings: list, rule: str) -> list[tuple[str, str]]:
    return [(f.severity, f.field) for f in findings if f.rule == rule]


# -- caps -------------------------------------------------------------------------------


def test_a_draft_over_a_cap_gets_exactly_one_finding_and_no_other_rule_runs() -> None:
    body = "We take security seriously. Okta said so. " * 2_000  # 84,000 characters
    findings = lint(email(body=body, to=(LENA,)), default_policy(), Context())
    assert [(f.rule, f.severity, f.field) for f in findings] == [("draft-too-long", ERROR, "body")]
    assert findings[0].message == "the body is 84,000 characters; the most is 64,000"


def test_every_cap_is_named() -> None:
    doc = DraftDoc(
        channel="statement",
        title="t" * 501,
        topic="c" * 501,
        subject="s" * 501,
        body="b" * 64_001,
        audience="a" * 501,
        sender="x" * 501,
    )
    findings = lint(doc, default_policy())
    assert [(f.rule, f.field) for f in findings] == [
        ("draft-too-long", field)
        for field in ("body", "subject", "topic", "title", "audience", "from")
    ]


def test_at_the_caps_the_rules_run() -> None:
    doc = email(
        subject="s" * 500,
        body="x" * 64_000,
        to=tuple(f"p{n}@example.com" for n in range(10_000)),
    )
    rules = {f.rule for f in lint(doc, default_policy())}
    assert "draft-too-long" not in rules and "subject-not-awp" in rules


def test_a_json_draft_with_a_lone_surrogate_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text('{"channel": "email", "body": "caf\\ud800e"}', encoding="utf-8")
    with pytest.raises(DraftFileError) as caught:
        read_draft_file(path)
    assert str(caught.value) == (
        f"{path}: body holds a lone surrogate (\\ud800) at character 4: not text"
    )


def test_a_huge_draft_file_is_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    with path.open("wb") as fh:
        fh.write(b'{"body": "')
        fh.truncate(17 << 20)
    with pytest.raises(DraftFileError, match=r"too large for a draft \(over 16 MiB\)"):
        read_draft_file(path)


# -- policy patterns ----------------------------------------------------------------------


def test_a_pattern_with_more_matches_than_are_counted_says_at_least() -> None:
    policy = parse_policy("banned_phrases = ['''\\bbad\\b''']\n", "p.toml")
    [finding] = lint(email(body="bad " * 1_000), policy)
    assert finding.message.startswith('the body says "bad" (and at least 199 more): ')


def test_the_shortest_passage_is_quoted() -> None:
    [finding] = lint(email(body="We had a breach, we take security seriously."), default_policy())
    assert finding.message.startswith('the body says "we take security seriously"')


# -- the SMS allow-list -------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "Please join Slack ASAP",
        "Join the Teams call now",
        "Move to Zoom, bridge in 5 min",
        "Switch to Signal please",
        "Join the Matrix room now",
        "Join Mattermost, thanks",
        "Join the Webex bridge at 14:30 UTC",
        "Join the Google Meet now",
    ],
)
def test_an_sms_naming_where_to_go_has_only_the_channel_warning(body: str) -> None:
    findings = lint(DraftDoc(channel="sms", to=("+15550100",), body=body), default_policy())
    assert [(f.rule, f.severity) for f in findings] == [("sms-channel", WARNING)]


# -- a mail that goes encrypted -------------------------------------------------------------


def test_a_mixed_email_needs_the_internal_recipients_key() -> None:
    doc = email(to=(LENA,), cc=("Zed <Zed@Example.com>",))
    findings = lint(doc, default_policy(), Context(keys=keys_for(LENA, "ic@example.com")))
    assert [(f.rule, f.severity, f.field) for f in findings] == [
        ("encrypted-needs-keys", ERROR, "cc")
    ]
    assert findings[0].message.startswith(
        "zed@example.com has no usable public key (missing: no key for zed@example.com)"
    )


def test_a_mixed_email_needs_the_senders_key() -> None:
    doc = email(to=(LENA, "ann@example.com"))
    findings = lint(doc, default_policy(), Context(keys=keys_for(LENA, "ann@example.com")))
    assert [(f.rule, f.field) for f in findings] == [("encrypted-needs-keys", "from")]
    assert findings[0].message.startswith("the sender ic@example.com has no usable public key")


def test_an_internal_email_needs_no_key() -> None:
    doc = email(to=("ann@example.com",), cc=("zed@example.com",))
    assert lint(doc, default_policy(), Context(keys=keys_for())) == []


# -- privilege needs counsel: the roster says who holds `legal` ------------------------------


@pytest.fixture
def session(tmp_path: Path):  # noqa: ANN201
    with Session.create(tmp_path / "inc.db", PASSPHRASE, kdf="interactive") as s:
        yield s


def privilege(session: Session, draft_id: str) -> list[tuple[str, str]]:
    state = session.state
    findings = comms.review(state, session.policy, state.drafts[draft_id], None)
    return only(findings, "privilege-needs-counsel")


def test_privilege_follows_the_roster_legal_role(session: Session) -> None:
    draft_id = session.save_draft(
        channel="email", sender="ic@example.com", to=["ann@example.com"], subject=AWP, body="x"
    )
    # nobody holds legal yet
    assert privilege(session, draft_id) == [(WARNING, "to")]
    frank = session.add_person("Frank Counsel", email=f"Frank <{FRANK.upper()}>")
    session.assign_role("legal", frank)
    assert privilege(session, draft_id) == [(WARNING, "to")]
    findings = comms.review(session.state, session.policy, session.state.drafts[draft_id], None)
    [warning] = [f for f in findings if f.rule == "privilege-needs-counsel"]
    assert FRANK in warning.message
    # counsel on the mail (in Bcc, any case): no warning
    session.save_draft(draft_id, bcc=[FRANK.upper()])
    assert privilege(session, draft_id) == []
    # counsel who gave up the role no longer counts
    session.renounce_role("legal", frank)
    assert privilege(session, draft_id) == [(WARNING, "to")]


def test_privilege_is_not_asked_of_a_mail_without_the_label(session: Session) -> None:
    draft_id = session.save_draft(
        channel="email", sender="ic@example.com", to=["ann@example.com"], subject="Hi", body="x"
    )
    assert privilege(session, draft_id) == []
