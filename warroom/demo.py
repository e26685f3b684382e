"""A realistic demo incident: a breach in progress, two hours in.

Made through the session facade like any other incident, so everything in it
(backdated entries, roster, checklist, drafts) is ordinary encrypted events.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

from coolname import generate

from warroom.clock import wall_ms
from warroom.device import Device
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

EVIDENCE = [
    # item, kind, location
    ("VPC flow logs, 00:00 to 12:00 UTC", "log-export", "s3://ir-evidence/flow/ (object lock)"),
    ("Snapshot snap-0a1b2c3d of db-replica-2", "snapshot", "provider snapshot, deletion locked"),
    ("Memory dump of db-replica-2 (16 GB)", "memory-dump", "evidence vault shelf 2, drive 7"),
]

FOLLOWUPS = [
    # title, kind, owner, due (days from now)
    ("Move svc-backup to short-lived certificates", "corrective", "Sam Okafor", 14),
    ("Alert on pg_dump run outside the backup window", "preventive", "Dana Ortiz", 21),
    ("Keep replicas out of reach of the internet", "preventive", "", 30),
]

ROSTER = [
    # name, email, roles, state, external
    ("Marcus Webb", "marcus@example.com", ["ic"], "joined", False),
    ("Priya Nair", "priya@example.com", ["sme"], "joined", False),
    ("Dana Ortiz", "dana@example.com", ["security"], "joined", False),
    ("Sam Okafor", "sam@example.com", ["deputy"], "joined", False),
    ("Lena Fischer", "lena@counsel-partners.example", ["legal"], "paged", True),
    ("Jo Kim", "jo@example.com", ["executive"], "paged", False),
]
# The gap: nobody is scribe and nobody holds external/comms liaison yet.

STEPS_DONE = ["stop-attack", "cut-vector", "assemble-team", "isolate-instances"]
STEPS_DOING = {"attack-timeline": "Dana Ortiz", "compromised-data": "Priya Nair"}


def demo_passphrase() -> str:
    """Four words and a number: easy to type on a bad day."""
    return "-".join(generate(4)) + f"-{secrets.randbelow(100)}"


def create_demo(
    path: Path, passphrase: str, *, kdf: str = "interactive", device: Device | None = None
) -> Session:
    now = wall_ms()
    session = Session.create(
        path,
        passphrase,
        kdf=kdf,
        device=device,
        title="Unexpected database export from a replica",
        kind="security",
        severity=1,
        declared_at=now - 124 * MINUTE,
    )
    for name, email, roles, state, external in ROSTER:
        person = session.add_person(name, email=email, state=state, external=external)
        for role in roles:
            session.assign_role(role, person)
    for minutes, author, kind, text in TIMELINE:
        session.add_note(text, kind=kind, author=author, at=now - minutes * MINUTE)
    for minutes, phase, text in ATTACK:
        session.add_note(
            text, kind="attacker", phase=phase, author="Dana Ortiz", at=now - minutes * MINUTE
        )
    for item, kind, location in EVIDENCE:
        session.add_evidence(item, kind=kind, location=location, collected_by="Dana Ortiz")
    for title, kind, owner, days in FOLLOWUPS:
        due = datetime.fromtimestamp((now + days * 1440 * MINUTE) / 1000, UTC).date()
        session.add_followup(title, kind=kind, owner=owner, due=due.isoformat())
    session.mark_indicator("203.0.113.57", "confirmed", "exfiltration endpoint")
    session.mark_indicator("198.51.100.23", "confirmed", "attacker source")
    session.mark_indicator("10.0.4.0/24", "dismissed", "our own subnet")
    for step_id in STEPS_DONE:
        session.set_step(step_id, status="done")
    for step_id, who in STEPS_DOING.items():
        session.set_step(step_id, status="doing", assignee=who)
    session.set_incident(
        status="contained",
        summary="Replica credentials abused to export data.",
        impact="Names, emails and password hashes of customers copied; no card data.",
        root_cause="A backup service key with shell access, left on a replica that the "
        "internet could reach.",
    )
    session.save_draft(
        channel="email",
        audience="legal",
        sender="marcus@example.com",
        to=["lena@counsel-partners.example"],
        subject="Attorney Work Project",
        body="Lena, scope so far: names, emails and hashed passwords of customers. "
        "No card data. Full timeline on the bridge at 14:00 UTC.",
    )
    session.save_draft(
        channel="chat",
        audience="responders",
        topic="Attorney Work Project: sapphire bridge",
        body="Attorney Work Project: forensics on the replica snapshot starts now.",
    )
    session.save_draft(  # breaks the rules on purpose: subject, phrase, SMS
        channel="sms",
        audience="on-call",
        to=["+15550100"],
        body="We had a breach on db-replica-2, we take security very seriously. Call me.",
    )
    session.save_draft(
        channel="statement",
        audience="public",
        title="Security notice",
        body="We take the security of your data extremely seriously. On Tuesday we found...",
    )
    return session
