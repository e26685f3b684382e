"""A realistic demo incident: a breach in progress, two hours in.

Made through the session facade like any other incident, so everything in it
(backdated entries, roster, checklist, drafts) is ordinary encrypted events. It is
told as a story: each change is made in the name of the responder who made it, at
the minute they made it, so a newcomer opens it on the breach, not on set-up noise.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from coolname import generate
from nacl.signing import SigningKey

from warroom.clock import HybridClock, wall_ms
from warroom.device import Device, load_device
from warroom.session import Session

MINUTE = 60_000

# (minutes before now, author, kind, text)
TIMELINE: list[tuple[int, str, str, str]] = [
    (128, "Priya Nair", "note", "PagerDuty: api-gateway 5xx rate above 4% for 10 minutes."),
    (126, "Priya Nair", "note", "Unusual outbound traffic from db-replica-2 to 203.0.113.57:443."),
    (124, "Priya Nair", "decision", "Declaring a security incident; paging an IC."),
    (121, "Marcus Webb", "action", "Took IC. Voice bridge open, chat room by codename only."),
    (119, "Marcus Webb", "note", "Reminder: email subject is exactly 'Attorney Work Project'."),
    (117, "Dana Ortiz", "evidence", "Exported VPC flow logs 00:00-now to the evidence bucket."),
    (115, "Dana Ortiz", "attacker", "Port scan of 10.0.4.0/24 from db-replica-2."),
    (112, "Priya Nair", "note", "db-replica-2 shows a shell session for user 'svc-backup'."),
    (110, "Dana Ortiz", "attacker", "svc-backup key used from 198.51.100.23."),
    (108, "Marcus Webb", "decision", "Do not terminate db-replica-2: stop it, keep the disks."),
    (106, "Priya Nair", "action", "db-replica-2 stopped from the provider console."),
    (104, "Dana Ortiz", "action", "Security group sg-replica now denies all ingress and egress."),
    (
        101,
        "Dana Ortiz",
        "evidence",
        "Snapshot snap-0a1b2c3d of db-replica-2 root and data volumes.",
    ),
    (99, "Priya Nair", "action", "svc-backup SSH key revoked on all hosts (config push #8812)."),
    (96, "Marcus Webb", "note", "Security lead and SRE on the bridge; legal counsel paged."),
    (93, "Dana Ortiz", "note", "Found the pg_dump of the customers table in the audit log."),
    (90, "Dana Ortiz", "note", "Proxy logs confirm 1.8 GB went to 203.0.113.57 over HTTPS."),
    (87, "Priya Nair", "note", "The attacker's shell history references /etc/backup/creds.env."),
    (84, "Marcus Webb", "decision", "Treat every secret in creds.env as compromised; rotate all."),
    (80, "Sam Okafor", "action", "Rotated the replica DB password and the S3 backup keys."),
    (76, "Dana Ortiz", "evidence", "Memory dump of db-replica-2 taken before shutdown: 16 GB."),
    (72, "Priya Nair", "note", "No sign of the key being used on any other host so far."),
    (66, "Sam Okafor", "note", "WAF rule blocks 203.0.113.0/24 and 198.51.100.23 at the edge."),
    (60, "Marcus Webb", "status", "Status: contained. Attack stopped, vector closed."),
    (55, "Lena Fischer", "note", "Legal: hold all customer messaging until data scope is known."),
    (48, "Dana Ortiz", "note", "Scope so far: names, emails, hashed passwords; no card data."),
    (
        40,
        "Marcus Webb",
        "decision",
        "Forensics next; internal comms wait until an inside source is ruled out.",
    ),
    (
        31,
        "Sam Okafor",
        "action",
        "New alert: outbound bytes per replica above 200 MB/h pages on-call.",
    ),
    (22, "Priya Nair", "note", "Checking CloudTrail for other uses of svc-backup since March."),
    (
        9,
        "Dana Ortiz",
        "evidence",
        "sha256 of the exfil tool: "
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ),
]

# The attack timeline: (minutes before now, phase, text). Times are when it happened.
ATTACK: list[tuple[int, str, str]] = [
    (190, "reconnaissance", "First scan of the replica subnet from 198.51.100.23 (from VPC logs)."),
    (170, "initial-access", "svc-backup SSH key first used from 198.51.100.23."),
    (150, "action", "pg_dump of the customers table started."),
    (140, "exfiltration", "1.8 GB sent to 203.0.113.57 over HTTPS."),
    (126, "detected", "Outbound traffic alert on db-replica-2."),
    (104, "contained", "db-replica-2 stopped and fenced off by sg-replica."),
]

DECLARED = 124
"""Minutes before now that Priya declared the incident."""
DECLARED_BY = "Priya Nair"
ATTACK_RECORDED = (35, "Dana Ortiz")
"""When and by whom the attack timeline above was written up (its entries are backdated)."""

EVIDENCE = [
    # minutes before now (collected), item, kind, location; Dana collects it all
    (117, "VPC flow logs, 00:00 to 12:00 UTC", "log-export", "s3://ir-evidence/flow/"),
    (101, "Snapshot snap-0a1b2c3d of db-replica-2", "snapshot", "provider snapshot, locked"),
    (76, "Memory dump of db-replica-2 (16 GB)", "memory-dump", "evidence vault shelf 2, drive 7"),
]
EVIDENCE_BY = "Dana Ortiz"

FOLLOWUPS = [
    # title, kind, owner, due (days from now)
    ("Move svc-backup to short-lived certificates", "corrective", "Sam Okafor", 14),
    ("Alert on pg_dump run outside the backup window", "preventive", "Dana Ortiz", 21),
    ("Keep replicas out of reach of the internet", "preventive", "", 30),
]
FOLLOWUPS_ADDED = (20, "Marcus Webb")

ROSTER = [
    # minutes before now, who added them (and gave the roles), name, email, roles, state,
    # external
    (124, "Priya Nair", "Priya Nair", "priya@example.com", ["sme"], "joined", False),
    (121, "Marcus Webb", "Marcus Webb", "marcus@example.com", ["ic"], "joined", False),
    (118, "Marcus Webb", "Dana Ortiz", "dana@example.com", ["security"], "joined", False),
    (97, "Marcus Webb", "Sam Okafor", "sam@example.com", ["deputy"], "joined", False),
    (96, "Marcus Webb", "Lena Fischer", "lena@counsel-partners.example", ["legal"], "paged", True),
    (95, "Marcus Webb", "Jo Kim", "jo@example.com", ["executive"], "paged", False),
]
# The gap: nobody is scribe and nobody holds external/comms liaison yet.

STEPS = [
    # minutes before now, who, step, status, assignee
    (106, "Priya Nair", "stop-attack", "done", None),
    (104, "Dana Ortiz", "isolate-instances", "done", None),
    (99, "Priya Nair", "cut-vector", "done", None),
    (96, "Marcus Webb", "assemble-team", "done", None),
    (48, "Marcus Webb", "compromised-data", "doing", "Priya Nair"),
    (40, "Marcus Webb", "attack-timeline", "doing", "Dana Ortiz"),
]

INDICATORS = [
    # minutes before now, who, value, verdict, why
    (114, "Dana Ortiz", "10.0.4.0/24", "dismissed", "our own subnet"),
    (88, "Dana Ortiz", "203.0.113.57", "confirmed", "exfiltration endpoint"),
    (66, "Sam Okafor", "198.51.100.23", "confirmed", "attacker source"),
]

INCIDENT = [
    # minutes before now, who, fields
    (60, "Marcus Webb", {"status": "contained"}),
    (
        45,
        "Marcus Webb",
        {
            "summary": "Replica credentials abused to export data.",
            "impact": "Names, emails and password hashes of customers copied; no card data.",
            "root_cause": "A backup service key with shell access, left on a replica that "
            "the internet could reach.",
        },
    ),
]

DRAFTS: list[tuple[int, str, dict[str, Any]]] = [
    # minutes before now, who, fields
    (
        30,
        "Marcus Webb",
        {
            "channel": "email",
            "audience": "legal",
            "sender": "marcus@example.com",
            "to": ["lena@counsel-partners.example"],
            "subject": "Attorney Work Project",
            "body": "Lena, scope so far: names, emails and hashed passwords of customers. "
            "No card data. Full timeline on the bridge at 14:00 UTC.",
        },
    ),
    (
        28,
        "Marcus Webb",
        {
            "channel": "chat",
            "audience": "responders",
            "topic": "Attorney Work Project: sapphire bridge",
            "body": "Attorney Work Project: forensics on the replica snapshot starts now.",
        },
    ),
    (  # breaks the rules on purpose: subject, phrase, SMS
        14,
        "Sam Okafor",
        {
            "channel": "sms",
            "audience": "on-call",
            "to": ["+15550100"],
            "body": "We had a breach on db-replica-2, we take security very seriously. Call me.",
        },
    ),
    (
        6,
        "Jo Kim",
        {
            "channel": "statement",
            "audience": "public",
            "title": "Security notice",
            "body": "We take the security of your data extremely seriously. On Tuesday we found...",
        },
    ),
]

Act = Callable[[Session], object]


def demo_passphrase() -> str:
    """Four words and a number: easy to type on a bad day."""
    return "-".join(generate(4)) + f"-{secrets.randbelow(100)}"


class StoryClock:
    """The demo's wall clock: the story's time while it is told, then the real one."""

    def __init__(self, at: int | None = None) -> None:
        self.at = at

    def __call__(self) -> int:
        return wall_ms() if self.at is None else self.at


def _join(name: str, email: str, roles: list[str], state: str, external: bool) -> Act:
    def act(session: Session) -> None:
        person = session.add_person(name, email=email, state=state, external=external)
        for role in roles:
            session.assign_role(role, person)

    return act


def story(now: int) -> list[tuple[int, str, Act]]:
    """What happened, as (minutes before now, who did it, what they did), in time order.
    Told through the facade, each change carries its teller's name and the story's
    time, so the timeline's system entries (roster, steps, the incident's fields)
    read as part of the incident, not as the minute the demo was made."""
    told: list[tuple[int, str, Act]] = []
    for minutes, who, name, email, roles, state, external in ROSTER:
        told.append((minutes, who, _join(name, email, roles, state, external)))
    for minutes, author, kind, text in TIMELINE:
        at = now - minutes * MINUTE
        told.append((minutes, author, partial(Session.add_note, text=text, kind=kind, at=at)))
    minutes, who = ATTACK_RECORDED
    for happened, phase, text in ATTACK:
        at = now - happened * MINUTE
        act = partial(Session.add_note, text=text, kind="attacker", phase=phase, at=at)
        told.append((minutes, who, act))
    for minutes, item, kind, location in EVIDENCE:
        act = partial(Session.add_evidence, item=item, kind=kind, location=location)
        told.append((minutes, EVIDENCE_BY, act))
    minutes, who = FOLLOWUPS_ADDED
    for title, kind, owner, days in FOLLOWUPS:
        due = datetime.fromtimestamp((now + days * 1440 * MINUTE) / 1000, UTC).date()
        act = partial(Session.add_followup, title=title, kind=kind, owner=owner, due=str(due))
        told.append((minutes, who, act))
    for minutes, who, value, verdict, why in INDICATORS:
        told.append(
            (minutes, who, partial(Session.mark_indicator, value=value, status=verdict, note=why))
        )
    for minutes, who, step_id, status, assignee in STEPS:
        act = partial(Session.set_step, step_id=step_id, status=status, assignee=assignee)
        told.append((minutes, who, act))
    for minutes, who, fields in INCIDENT:
        told.append((minutes, who, partial(Session.set_incident, **fields)))
    for minutes, who, fields in DRAFTS:
        told.append((minutes, who, partial(Session.save_draft, **fields)))
    return sorted(told, key=lambda t: -t[0])  # stable: one minute keeps the order above


def create_demo(
    path: Path,
    passphrase: str,
    *,
    kdf: str = "interactive",
    device: Device | None = None,
    now: int | None = None,
) -> Session:
    """The demo incident in a new file, its story ending `now` (ms; tests fix it). Each
    of the story's people signs what they do with a device of their own (a throwaway
    key), at the story's times, as responders on their own laptops would; the session
    returned writes as `device` (this user's) on the real clock, so the user's own
    notes show under their own name, not "via" one of the story's people."""
    now = wall_ms() if now is None else now
    me = device or load_device()
    declared = now - DECLARED * MINUTE
    clock = StoryClock(declared)
    devices: dict[str, Device] = {}

    def device_of(name: str) -> Device:
        return devices.setdefault(name, Device(SigningKey.generate(), name))

    session = Session.create(
        path,
        passphrase,
        kdf=kdf,
        device=device_of(DECLARED_BY),
        clock=HybridClock(clock),
        title="Unexpected database export from a replica",
        kind="security",
        severity=1,
        declared_at=declared,
    )
    for minutes, who, act in story(now):
        # Never back in time: what was noted before the declaration is written up after it.
        clock.at = max(clock.at or declared, now - minutes * MINUTE)
        session.device = device_of(who)
        act(session)
    clock.at = None  # from here on, the real clock
    session.device = me
    return session
