"""The session facade: the one API the CLI and the console both call.

A Session is an unlocked incident. Three layers, each readable alone:
ledger.py (the log: the key, the chain, sealed and signed appends, verify, known
heads), replica.py (opening, and the state folded from the log and kept in step
with it) and this module: the domain commands. Every change is one event,
appended through the ledger, durable when the method returns.

This module is one job: each command checks its input (and, for most, the state:
the step, person or draft it names) and appends one event. It is long because
there are many of them (timeline, checklist, roster, incident, drafts, policy,
evidence, indicators, follow-ups), not because they share anything but `_one`.

`Session.unlock(..., fold=False)` reads only each device's newest row: enough for
a command that appends without looking at the state (`warroom note`). The first
use of `.state` then reads and folds the whole file, so a command that turns out
to need it is still right, only not cheap.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warroom import codename as codenames
from warroom import crypto, evidence, integrations, joinfile, limits
from warroom import events as ev
from warroom.clock import HybridClock, wall_ms
from warroom.device import Device, load_device
from warroom.errors import SessionError
from warroom.ledger import (  # re-exported: the CLI, the UI and the tests name them here
    HEADS_EVERY_S,
    INCIDENT_ID_BYTES,
    Header,
    Problem,
    VerifyReport,
    WrongPassphrase,
    new_file,
    open_store,
    skew_reason,
)
from warroom.replica import Replica
from warroom.state import Draft, Person
from warroom.store import remove_incident_file
from warroom.timefmt import check_at

if TYPE_CHECKING:  # the comms rules and the indicator register load on first use:
    # they are not on the console's path to its first paint (benchmarks/console.py);
    # nor are the playbooks (making a checklist) and the attack metrics.
    from warroom.iocs import IndicatorRow, Register
    from warroom.metrics import AttackMetrics
    from warroom.playbooks import Playbook
    from warroom.rules.model import Finding, KeyLookup
    from warroom.rules.policy import Policy
    from warroom.store import Row
    from warroom.sync.intake import Intake

__all__ = [
    "HEADS_EVERY_S",
    "INCIDENT_ID_BYTES",
    "NO_PLAYBOOK",
    "Header",
    "Problem",
    "Session",
    "SessionError",
    "VerifyReport",
    "WrongPassphrase",
    "open_store",
    "skew_reason",
]

NO_PLAYBOOK = "none"
"""`playbook=` value for an incident with an empty checklist."""


def _new_id(nbytes: int = 6) -> str:
    return secrets.token_hex(nbytes)


def _text(what: str, value: Any, cap: int) -> str:
    """`value` if it is text within its cap (limits.py) that can be stored as UTF-8."""
    try:
        return limits.check_text(what, value, cap)
    except ValueError as exc:
        raise SessionError(str(exc)) from None


def _texts(what: str, values: Any, cap: int, most: int) -> list[str]:
    """A list of texts (tags, addresses): at most `most`, each within `cap`."""
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise SessionError(f"{what} must be a list")
    if len(values) > most:
        raise SessionError(f"{what}: {len(values):,} of them; the most is {most:,}")
    return [_text(what, value, cap) for value in values]


def _is_sha256(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text)


def _followup_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - {"title", "kind", "owner", "due", "status"}
    if unknown:
        raise SessionError(f"unknown follow-up field(s): {', '.join(sorted(unknown))}")
    if "kind" in fields and fields["kind"] not in ev.FOLLOWUP_KINDS:
        raise SessionError(f"kind must be one of {', '.join(ev.FOLLOWUP_KINDS)}")
    if "status" in fields and fields["status"] not in ev.FOLLOWUP_STATUSES:
        raise SessionError(f"status must be one of {', '.join(ev.FOLLOWUP_STATUSES)}")
    for name in ("title", "owner", "due"):
        if name in fields:
            _text(f"the follow-up's {name}", fields[name], limits.MAX_LINE_CHARS)
    if "title" in fields and not str(fields["title"]).strip():
        raise SessionError("a follow-up needs a title")
    if fields.get("due"):
        # fromisoformat also takes 20270105 and 2027-W01-1: keep the one written form.
        try:
            fields["due"] = date.fromisoformat(fields["due"]).isoformat()
        except (TypeError, ValueError):
            raise SessionError("due must be a date: YYYY-MM-DD") from None
    return fields


class Session(Replica):
    """An unlocked incident and the commands that change it (see Replica for opening,
    reading and the ledger underneath)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """As Replica's (the same arguments, passed on)."""
        self._policy: tuple[str, Policy] | None = None
        self._iocs: Register | None = None
        super().__init__(*args, **kwargs)

    # -- opening ---------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        passphrase: str,
        *,
        kdf: str = "moderate",
        codename: str | None = None,
        title: str = "",
        kind: str = "security",
        severity: int = 2,
        playbook: str | None = None,
        device: Device | None = None,
        clock: HybridClock | None = None,
        declared_at: int | None = None,
        shared: bool = False,
    ) -> Session:
        """Declare a new incident in a new file (refused if PATH exists).

        `shared` makes the file group-readable and -writable (0660), for several
        responders on one host; the default is 0600.
        """
        if kdf not in crypto.KDF_PROFILES:
            raise SessionError(f"unknown KDF profile {kdf!r}")
        if kind not in ev.INCIDENT_KINDS:
            raise SessionError(f"kind must be one of {', '.join(ev.INCIDENT_KINDS)}")
        if severity not in ev.SEVERITIES:
            raise SessionError("severity must be 1, 2, 3 or 4")
        if not passphrase:
            raise SessionError("the passphrase must not be empty")
        _text("the title", title, limits.MAX_LINE_CHARS)
        _text("the codename", codename or "", limits.MAX_LINE_CHARS)
        codename = codename or codenames.generate()
        from warroom import playbooks  # only when making or extending a checklist

        try:
            steps = (
                None
                if playbook == NO_PLAYBOOK
                else playbooks.load(playbook)
                if playbook
                else playbooks.default_for(kind)
            )
        except playbooks.PlaybookError as exc:
            raise SessionError(str(exc)) from None
        store, header, data_key = new_file(path, passphrase, kdf, shared=shared)
        session = cls(store, header, data_key, device or load_device(), clock)
        declared = {
            "codename": codename,
            "title": title,
            "kind": kind,
            "severity": severity,
            "declared_at": declared_at or wall_ms(),
            "by": session.device.name,
        }
        batch: list[tuple[str, dict[str, Any]]] = [(ev.INCIDENT_DECLARED, declared)]
        if steps:
            batch += session._playbook_events(steps)
        try:
            session._append(batch)
        except BaseException:  # a full disk: a header with no declaration blocks the retry
            store.discard()
            raise
        return session

    @classmethod
    def join(
        cls,
        path: str | os.PathLike[str],
        passphrase: str,
        *,
        incident_id: bytes,
        data_key: bytes,
        rows: Sequence[Row],
        kdf: str = "moderate",
        device: Device | None = None,
        clock: HybridClock | None = None,
    ) -> tuple[Session, Intake]:
        """A replica of an incident in a new file (refused if PATH exists): the same id
        and data key under this passphrase and a fresh salt, then `rows` (an invite's
        copy) taken through warroom.sync.intake, every signature and link checked.

        Refused (SessionError, nothing made) when this OS user's device already
        writes to that incident, here or in another replica: it would sign a second
        history of one feed, a fork.

        All or nothing: the replica is built under a temporary name beside PATH and
        linked to PATH only when complete, so a join stopped on the way (an exception,
        or a signal handler that raises) leaves no PATH; one killed outright leaves a
        temporary file that the next join of PATH deletes."""
        from warroom.heads import KnownHeads
        from warroom.sync import intake

        if kdf not in crypto.KDF_PROFILES:
            raise SessionError(f"unknown KDF profile {kdf!r}")
        if not passphrase:
            raise SessionError("the passphrase must not be empty")
        device = device or load_device()
        mine = device.public_key
        if any(row.device == mine for row in rows) or KnownHeads.for_incident(incident_id).load():
            raise SessionError(
                f"this device ({device.short_id}) already has a replica of incident "
                f"{incident_id.hex()[:8]} or events in it: a second replica would write a "
                "second history of its feed (a fork); join as another OS user or with its "
                "own WARROOM_CONFIG_DIR"
            )
        final = Path(path)
        if os.path.lexists(final):
            raise SessionError(f"{final} already exists; refusing to overwrite it")
        joinfile.sweep(final)
        building = joinfile.building_name(final)
        try:
            store, header, key = new_file(
                building, passphrase, kdf, shared=False, incident_id=incident_id, data_key=data_key
            )
        except SessionError as exc:  # said of NEWPATH: the temporary name is ours
            raise SessionError(str(exc).replace(str(building), str(final))) from None
        except BaseException:  # interrupted while making it
            remove_incident_file(building)
            raise
        try:
            # Not folded: the rows go in through the store, the state is folded on first use.
            joined = cls(store, header, key, device, clock, fold=False)
            taken = intake.take(store, incident_id, rows, opens=joined.ledger.opens)
            store.close()  # the last connection: SQLite folds the -wal into the file
            joinfile.put_in_place(building, final)
        except BaseException as exc:  # nothing half-made: the retry must not find a file
            store.close()
            remove_incident_file(building)
            if isinstance(exc, SessionError):
                raise SessionError(str(exc).replace(str(building), str(final))) from None
            raise
        remove_incident_file(building)  # a leftover is swept by the next join
        store = open_store(final)
        try:
            header = Header.from_meta(store.meta(), str(final))
            return cls(store, header, key, device, clock, fold=False), taken
        except BaseException:
            store.close()
            raise

    @contextmanager
    def acting_as(self, name: str) -> Iterator[Session]:
        """Record the changes made inside as made by `name` (their `by`, and the author
        of notes): for writing up what someone else did or said. This device still
        signs them, and every reader shows both names ("Ann Lee, via bob-laptop")."""
        device = self.device
        self.device = Device(device.signing_key, name)
        try:
            yield self
        finally:
            self.device = device

    def _playbook_events(self, book: Playbook) -> list[tuple[str, dict[str, Any]]]:
        base = len(self.state.steps)
        return [
            (
                ev.STEP_ADDED,
                {
                    "id": step.id,
                    "phase": step.phase,
                    "title": step.title,
                    "details": step.details,
                    "delegate": step.delegate,
                    "delegate_title": step.delegate_title,
                    "playbook": book.id,
                    "order": base + i,
                },
            )
            for i, step in enumerate(book.steps)
        ]

    def add_playbook(self, playbook_id: str) -> int:
        """Add a playbook's steps to a running incident; steps it has already are kept."""
        from warroom import playbooks

        try:
            book = playbooks.load(playbook_id)
        except playbooks.PlaybookError as exc:
            raise SessionError(str(exc)) from None
        fresh = [s for s in book.steps if s.id not in self.state.steps]
        book = playbooks.Playbook(book.id, book.title, book.kind, fresh)
        if fresh:
            self._append(self._playbook_events(book))
        return len(fresh)

    # timeline

    def add_note(
        self,
        text: str,
        *,
        kind: str = "note",
        at: int | None = None,
        author: str | None = None,
        tags: Iterable[str] = (),
        phase: str = "",
    ) -> str:
        """Append a timeline entry; returns its id. `at` (ms) backdates it.

        An `attacker` entry may mark a phase of the attack (events.ATTACK_PHASES).
        """
        _text("the note", text, limits.MAX_NOTE_CHARS)
        if not text.strip():
            raise SessionError("a note needs some text")
        _text("the author", author or "", limits.MAX_LINE_CHARS)
        tags = _texts("tags", list(tags), limits.MAX_LINE_CHARS, limits.MAX_TAGS)
        if at is not None:
            try:  # 0 (the epoch) or 2100 is a mistake or a broken clock, not a time
                check_at(at, self.clock.wall())
            except ValueError as exc:
                raise SessionError(f"the time {exc}") from None
        if kind not in ev.USER_ENTRY_KINDS:
            raise SessionError(f"kind must be one of {', '.join(ev.USER_ENTRY_KINDS)}")
        if phase and (kind != "attacker" or phase not in ev.ATTACK_PHASES):
            raise SessionError(
                f"a phase belongs on an attacker entry: one of {', '.join(ev.ATTACK_PHASES)}"
            )
        entry_id = _new_id()
        data: dict[str, Any] = {
            "id": entry_id,
            "kind": kind,
            "author": author or self.device.name,
            "text": text,
        }
        if at is not None:
            data["at"] = at
        if tags := list(tags):
            data["tags"] = tags
        if phase:
            data["phase"] = phase
        if data["author"] != self.device.name:  # the device's own name: see state.attribution
            data["by"] = self.device.name
        self._one(ev.ENTRY_ADDED, data)
        return entry_id

    def add_notes(self, texts: Iterable[str], *, kind: str = "note") -> list[str]:
        """Append many notes in one transaction (imports, benchmarks)."""
        texts = [_text("the note", t, limits.MAX_NOTE_CHARS) for t in texts]
        batch = [
            (ev.ENTRY_ADDED, {"id": _new_id(), "kind": kind, "author": self.device.name, "text": t})
            for t in texts
        ]
        self._append(batch)
        return [d["id"] for _, d in batch]

    def _user_entry(self, entry_id: str) -> None:
        entry = self.state.entries.get(entry_id)
        if entry is None:
            raise SessionError(f"no timeline entry {entry_id!r}")
        if entry.system:
            raise SessionError("entries the system made cannot be amended or struck")

    def amend_entry(self, entry_id: str, text: str, tags: Iterable[str] | None = None) -> None:
        _text("the note", text, limits.MAX_NOTE_CHARS)
        if tags is not None:
            tags = _texts("tags", list(tags), limits.MAX_LINE_CHARS, limits.MAX_TAGS)
        self._user_entry(entry_id)
        data: dict[str, Any] = {"id": entry_id, "text": text, "by": self.device.name}
        if tags is not None:
            data["tags"] = list(tags)
        self._one(ev.ENTRY_AMENDED, data)

    def strike_entry(self, entry_id: str, reason: str) -> None:
        _text("the reason", reason, limits.MAX_LINE_CHARS)
        self._user_entry(entry_id)
        self._one(ev.ENTRY_STRUCK, {"id": entry_id, "reason": reason, "by": self.device.name})

    # checklist

    def set_step(
        self, step_id: str, status: str | None = None, assignee: str | None = None
    ) -> None:
        if step_id not in self.state.steps:
            raise SessionError(f"no checklist step {step_id!r}")
        if status is not None and status not in ev.STEP_STATUSES:
            raise SessionError(f"status must be one of {', '.join(ev.STEP_STATUSES)}")
        if assignee is not None:
            _text("the assignee", assignee, limits.MAX_LINE_CHARS)
        data: dict[str, Any] = {"id": step_id, "by": self.device.name}
        if status is not None:
            data["status"] = status
        if assignee is not None:
            data["assignee"] = assignee
        self._one(ev.STEP_SET, data)

    def cycle_step(self, step_id: str) -> str:
        """todo -> doing -> done -> todo (skipped -> todo)."""
        current = self.state.steps[step_id].status
        nxt = {"todo": "doing", "doing": "done", "done": "todo", "skipped": "todo"}[current]
        self.set_step(step_id, status=nxt)
        return nxt

    # roster

    def add_person(
        self,
        name: str,
        *,
        handle: str = "",
        email: str = "",
        phone: str = "",
        gpg: str = "",
        external: bool = False,
        state: str = "paged",
    ) -> str:
        for what, value in (
            ("name", name),
            ("handle", handle),
            ("email", email),
            ("phone", phone),
            ("gpg", gpg),
        ):
            _text(f"the person's {what}", value, limits.MAX_LINE_CHARS)
        if not name.strip():
            raise SessionError("a person needs a name")
        if state not in ev.PERSON_STATES:
            raise SessionError(f"state must be one of {', '.join(ev.PERSON_STATES)}")
        person_id = "p" + _new_id(3)
        self._one(
            ev.PERSON_ADDED,
            {
                "id": person_id,
                "name": name.strip(),
                "handle": handle,
                "email": email,
                "phone": phone,
                "gpg": gpg.replace(" ", "").upper(),
                "external": external,
                "state": state,
                "by": self.device.name,
            },
        )
        return person_id

    def set_person(self, person_id: str, **fields: Any) -> None:
        if person_id not in self.state.people:
            raise SessionError(f"no person {person_id!r} on the roster")
        unknown = set(fields) - set(ev.PERSON_FIELDS)
        if unknown:
            raise SessionError(f"unknown person field(s): {', '.join(sorted(unknown))}")
        if "state" in fields and fields["state"] not in ev.PERSON_STATES:
            raise SessionError(f"state must be one of {', '.join(ev.PERSON_STATES)}")
        for what, value in fields.items():
            if what != "external":
                _text(f"the person's {what}", value, limits.MAX_LINE_CHARS)
        self._one(ev.PERSON_SET, {"id": person_id, "fields": fields, "by": self.device.name})

    def set_roster_state(self, who: str, state: str) -> list[Person]:
        """Set the state (paged, joined, left) of everyone `who` names: a role's holders,
        a person by id or name (IncidentState.people_named). Returns them; those
        already in that state are left as they are."""
        people = self.state.people_named(who)
        for person in people:
            if person.state != state:
                self.set_person(person.id, state=state)
        return people

    def assign_role(self, role: str, person_id: str) -> None:
        if role not in ev.ROLES:
            raise SessionError(f"role must be one of {', '.join(ev.ROLES)}")
        if person_id not in self.state.people:
            raise SessionError(f"no person {person_id!r} on the roster")
        self._one(ev.ROLE_ASSUMED, {"role": role, "person": person_id, "by": self.device.name})

    def renounce_role(self, role: str, person_id: str) -> None:
        if role not in self.state.roles_of(person_id):
            raise SessionError(f"{person_id} does not hold the role {role!r}")
        self._one(ev.ROLE_RENOUNCED, {"role": role, "person": person_id, "by": self.device.name})

    # incident

    def set_incident(self, **fields: Any) -> None:
        unknown = set(fields) - set(ev.INCIDENT_FIELDS)
        if unknown:
            raise SessionError(f"unknown incident field(s): {', '.join(sorted(unknown))}")
        if "severity" in fields and fields["severity"] not in ev.SEVERITIES:
            raise SessionError("severity must be 1, 2, 3 or 4")
        if "status" in fields and fields["status"] not in ev.INCIDENT_STATUSES:
            raise SessionError(f"status must be one of {', '.join(ev.INCIDENT_STATUSES)}")
        for what, value in fields.items():
            if what != "severity":
                cap = (
                    limits.MAX_LINE_CHARS if what in ("title", "status") else limits.MAX_FIELD_CHARS
                )
                _text(f"the incident's {what.replace('_', ' ')}", value, cap)
        self._one(ev.INCIDENT_SET, {"fields": fields, "by": self.device.name})

    # drafts

    def save_draft(self, draft_id: str | None = None, **fields: Any) -> str:
        """Create a draft (no id) or update the given fields of one."""
        fields = {("from" if k == "sender" else k): v for k, v in fields.items()}
        unknown = set(fields) - set(ev.DRAFT_FIELDS)
        if unknown:
            raise SessionError(f"unknown draft field(s): {', '.join(sorted(unknown))}")
        if "channel" in fields and fields["channel"] not in ev.DRAFT_CHANNELS:
            raise SessionError(f"channel must be one of {', '.join(ev.DRAFT_CHANNELS)}")
        if fields.get("status") == "approved":
            raise SessionError("approve a draft with approve_draft, not by setting its status")
        if draft_id is not None and draft_id not in self.state.drafts:
            raise SessionError(f"no draft {draft_id!r}")
        self._check_draft_fields(fields, self.state.drafts.get(draft_id) if draft_id else None)
        draft_id = draft_id or "d" + _new_id(4)
        self._one(ev.DRAFT_SAVED, {"id": draft_id, "fields": fields, "by": self.device.name})
        return draft_id

    @staticmethod
    def _check_draft_fields(fields: dict[str, Any], current: Draft | None) -> None:
        """Each field within its cap; To, Cc and Bcc within MAX_RECIPIENTS together."""
        recipients = 0
        for name in ev.DRAFT_FIELDS:
            if name in ("to", "cc", "bcc"):
                if name in fields:
                    value = fields[name] = _texts(
                        f"the draft's {name}",
                        fields[name],
                        limits.MAX_LINE_CHARS,
                        limits.MAX_RECIPIENTS,
                    )
                else:
                    value = getattr(current, name) if current else []
                recipients += len(value) if isinstance(value, list | tuple) else 0
            elif name in fields:
                cap = limits.MAX_DRAFT_BODY_CHARS if name == "body" else limits.MAX_LINE_CHARS
                _text(f"the draft's {name}", fields[name], cap)
        if recipients > limits.MAX_RECIPIENTS:
            raise SessionError(
                f"the draft has {recipients:,} recipients (To, Cc and Bcc); "
                f"the most is {limits.MAX_RECIPIENTS:,}"
            )

    def draft_findings(self, draft_id: str, keys: KeyLookup | None = None) -> list[Finding]:
        """The comms rules' findings on a draft, under the incident's policy."""
        draft = self.state.drafts.get(draft_id)
        if draft is None:
            raise SessionError(f"no draft {draft_id!r}")
        from warroom import comms

        return comms.review(self.state, self.policy, draft, keys)

    def approve_draft(self, draft_id: str, keys: KeyLookup | None = None) -> None:
        """Approve a draft: refused while a rule finds an error in it."""
        errors = [f for f in self.draft_findings(draft_id, keys) if f.severity == "error"]
        if errors:
            raise SessionError(
                f"draft {draft_id} cannot be approved: "
                + "; ".join(f"{f.rule}: {f.message}" for f in errors)
            )
        self._one(ev.DRAFT_APPROVED, {"id": draft_id, "by": self.device.name})

    def send_update(self, draft_id: str, keys: KeyLookup | None = None) -> None:
        """Record that a draft went out as a stakeholder update (the time restarts the
        update rhythm, warroom/updates.py): refused while a rule finds an error in it,
        and for a draft already sent (a new update is a new draft)."""
        errors = [f for f in self.draft_findings(draft_id, keys) if f.severity == "error"]
        if errors:
            raise SessionError(
                f"draft {draft_id} cannot be sent: "
                + "; ".join(f"{f.rule}: {f.message}" for f in errors)
            )
        if self.state.drafts[draft_id].sent_at is not None:
            raise SessionError(f"draft {draft_id} was already sent: an update is a new draft")
        self._one(ev.UPDATE_SENT, {"id": draft_id, "by": self.device.name})

    # comms policy

    @property
    def policy(self) -> Policy:
        """The incident's comms policy, or the shipped default."""
        from warroom.rules.policy import PolicyError, default_policy, parse_policy

        text = self.state.policy_text
        if self._policy is None or self._policy[0] != text:
            try:
                parsed = parse_policy(text, "incident policy") if text else default_policy()
            except PolicyError:
                parsed = default_policy()  # set_policy checks; this is a hostile writer
            self._policy = (text, parsed)
        return self._policy[1]

    def set_policy(self, text: str, source: str = "policy") -> None:
        """Store a policy (TOML) in the incident, encrypted; "" restores the default."""
        from warroom.rules.policy import PolicyError, parse_policy

        if text:
            try:
                parse_policy(text, source)
            except PolicyError as exc:
                raise SessionError(str(exc)) from None
        self._one(ev.POLICY_SET, {"text": text, "by": self.device.name})

    # evidence

    def add_evidence(
        self,
        item: str,
        *,
        kind: str,
        sha256: str = "",
        size: int | None = None,
        source: str = "",
        location: str = "",
        read_only: bool = True,
        collected_by: str = "",
        collected_at: int | None = None,
        retain_days: int = evidence.DEFAULT_RETENTION_DAYS,
    ) -> str:
        """Register an item of evidence; returns its id (E1, E2, ...)."""
        _text("the evidence's description", item, limits.MAX_FIELD_CHARS)
        _text("the evidence's source", source, limits.MAX_FIELD_CHARS)  # a path
        _text("the evidence's location", location, limits.MAX_FIELD_CHARS)
        _text("collected by", collected_by, limits.MAX_LINE_CHARS)
        _text("the SHA-256", sha256, limits.MAX_LINE_CHARS)
        if not item.strip():
            raise SessionError("evidence needs a description")
        if kind not in evidence.EVIDENCE_KINDS:
            raise SessionError(f"kind must be one of {', '.join(evidence.EVIDENCE_KINDS)}")
        if sha256 and not _is_sha256(sha256):
            raise SessionError("sha256 must be 64 hexadecimal digits")
        if retain_days < 1:
            raise SessionError("evidence is kept at least one day")
        collected_at = collected_at or self.clock.wall()
        evidence_id = f"E{len(self.state.evidence) + 1}-{_new_id(2)}"
        self._one(
            ev.EVIDENCE_ADDED,
            {
                "id": evidence_id,
                "item": item.strip(),
                "kind": kind,
                "sha256": sha256.lower(),
                "size": size,
                "source": source,
                "location": location,
                "read_only": read_only,
                "collected_by": collected_by or self.device.name,
                "collected_at": collected_at,
                "retain_until": evidence.retain_until(collected_at, retain_days),
                "by": self.device.name,
            },
        )
        return evidence_id

    def note_custody(self, evidence_id: str, text: str, *, location: str = "") -> None:
        """A chain-of-custody note (who took it where, who looked at it)."""
        _text("the custody note", text, limits.MAX_FIELD_CHARS)
        _text("the evidence's location", location, limits.MAX_FIELD_CHARS)
        if evidence_id not in self.state.evidence:
            raise SessionError(f"no evidence {evidence_id!r}")
        if not text.strip():
            raise SessionError("a custody note needs some text")
        data = {"id": evidence_id, "text": text.strip(), "by": self.device.name}
        if location:
            data["location"] = location
        self._one(ev.EVIDENCE_NOTED, data)

    # indicators

    @property
    def _register(self) -> Register:
        if self._iocs is None:
            from warroom.iocs import Register

            self._iocs = Register()
        return self._iocs

    def indicators(self) -> list[IndicatorRow]:
        """Indicators found in the timeline, with people's verdicts."""
        return self._register.rows(self.state)

    def mark_indicator(self, value: str, status: str, note: str = "") -> IndicatorRow:
        """Confirm or dismiss an indicator (or add one the timeline does not name)."""
        _text("the indicator", value, limits.MAX_FIELD_CHARS)  # a URL can be long
        _text("the indicator's note", note, limits.MAX_FIELD_CHARS)
        if status not in ev.INDICATOR_STATUSES:
            raise SessionError(f"status must be one of {', '.join(ev.INDICATOR_STATUSES)}")
        row = self._register.find(self.state, value)
        if row is None:
            raise SessionError(f"{value!r} is not an IP address, domain, URL, hash or account")
        self._one(
            ev.INDICATOR_SET,
            {
                "value": row.value,
                "type": row.type,
                "status": status,
                "note": note,
                "by": self.device.name,
            },
        )
        return self._register.find(self.state, row.value) or row

    def attack_metrics(self) -> AttackMetrics:
        """Time to detect, dwell time, time to contain and to resolve, from the
        phases marked on `attacker` entries (struck entries do not count)."""
        from warroom import metrics

        points = [
            (e.phase, e.at)
            for e in self.state.entries.values()
            if e.kind == "attacker" and e.phase and e.struck is None
        ]
        return metrics.compute(points, resolved_at=self.state.incident.resolved_at)

    # follow-ups

    def add_followup(
        self, title: str, *, kind: str = "corrective", owner: str = "", due: str = ""
    ) -> str:
        """A corrective or preventive action for after the incident."""
        _text("the follow-up's title", title, limits.MAX_LINE_CHARS)
        if not title.strip():
            raise SessionError("a follow-up needs a title")
        fields = _followup_fields({"kind": kind, "owner": owner, "due": due})
        followup_id = "f" + _new_id(3)
        self._one(
            ev.FOLLOWUP_ADDED,
            {"id": followup_id, "title": title.strip(), **fields, "by": self.device.name},
        )
        return followup_id

    def set_followup(self, followup_id: str, **fields: Any) -> None:
        if followup_id not in self.state.followups:
            raise SessionError(f"no follow-up {followup_id!r}")
        self._one(
            ev.FOLLOWUP_SET,
            {"id": followup_id, "fields": _followup_fields(fields), "by": self.device.name},
        )

    # integrations (warroom/integrations.py)

    def add_integration(self, kind: str, secret: str, *, url: str = "", name: str = "") -> str:
        """Where messages may leave for; its secret stays in the file (records.masked)."""
        try:
            secret, url, name = integrations.check(kind, secret, url, name)
        except integrations.IntegrationError as exc:
            raise SessionError(str(exc)) from None
        item_id = "i" + _new_id(3)
        data = {"id": item_id, "kind": kind, "name": name, "url": url, "secret": secret}
        self._one(ev.INTEGRATION_SET, {**data, "by": self.device.name})
        return item_id

    def remove_integration(self, integration_id: str) -> None:
        if integration_id not in self.state.integrations:
            raise SessionError(f"no integration {integration_id!r}")
        self._one(ev.INTEGRATION_REMOVED, {"id": integration_id, "by": self.device.name})

    # the outbox (warroom/outbox.py says what goes in it and delivers it)

    def queue_message(
        self, integration_id: str, action: str, body: dict[str, Any], about: str
    ) -> str:
        """Put a message in the outbox, for this device to deliver."""
        if integration_id not in self.state.integrations:
            raise SessionError(f"no integration {integration_id!r}")
        item_id = "o" + _new_id(4)
        data = {"id": item_id, "integration": integration_id, "action": action}
        self._one(ev.OUTBOX_QUEUED, {**data, "body": body, "about": about, "by": self.device.name})
        return item_id

    def record_delivery(
        self, item_id: str, *, status: str, attempts: int, error: str = "", next_at: int = 0
    ) -> None:
        """What became of a delivery: "delivered", "failed" (for good), or "queued" (it
        failed for now: tried again from `next_at`)."""
        data = {"id": item_id, "attempts": attempts, "error": error, "by": self.device.name}
        if status == "queued":
            self._one(ev.OUTBOX_TRIED, {**data, "next_at": next_at})
        else:
            self._one(ev.OUTBOX_DONE, {**data, "status": status})

    def record_room(self, integration_id: str, channel: str) -> None:
        """A slack-bot integration's chat room exists: Slack's channel id, recorded as
        soon as it is known (warroom/chatroom.py), so no delivery makes a second."""
        item = self.state.integrations.get(integration_id)
        if item is None or item.kind != "slack-bot":
            raise SessionError(f"no slack-bot integration {integration_id!r}")
        if not ev.SLACK_CHANNEL_ID.fullmatch(channel):
            raise SessionError("that is not a Slack channel id")
        data = {"id": integration_id, "channel": channel, "by": self.device.name}
        self._one(ev.CHAT_ROOM, data)

    # -- facts -----------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """What `warroom info` prints: no secrets beyond the codename."""
        st = self.state
        steps = list(st.steps.values())
        heads = self.store.heads()
        return {
            "codename": st.incident.codename,
            "kind": st.incident.kind,
            "severity": st.incident.severity,
            "status": st.incident.status,
            "events": sum(heads.values()),
            "entries": sum(1 for e in st.entries.values() if not e.system),
            "steps": len(steps),
            "steps_done": sum(1 for s in steps if s.status in ("done", "skipped")),
            "people": len(st.people),
            "drafts": len(st.drafts),
            "devices": [
                {"id": d.hex()[:16], "events": n, "this": d == self.device.public_key}
                for d, n in heads.items()
            ],
            "kdf": self.store.meta().get("kdf_profile", ""),
            "file_bytes": self.store.file_size(),
            "problems": len(self.problems),
            "rollbacks": len(self.rollbacks),
            "incident_id": self.header.incident_id.hex(),  # plaintext in the header anyway;
            # it names this incident's file of known heads (warroom/heads.py)
        }
