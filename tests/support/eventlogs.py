"""Random event logs for the fold's property tests (tests/unit/test_fold_order.py,
test_checkpoint.py): a few devices, ids and people, so events collide often, and
hostile or malformed payloads among them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from hypothesis import strategies as st

from warroom import events as ev
from warroom.events import Event
from warroom.state import Fold, IncidentState

DEVICES = [bytes([i]) * 32 for i in range(1, 4)] + [bytes([1] * 4 + [9] * 28)]
"""The last shares its first 8 hex digits with the first: their system entry ids collide."""
IDS = ["a", "b"]
PEOPLE = ["p1", "p2", "p3"]
NAMES = ["Ann", "ann ", "Bo", "", "[b]x[/b]"]
words = st.sampled_from(["alpha", "bravo", "", "[bold]x[/]", "\x1b[2J"])
names = st.sampled_from(NAMES)
by = st.one_of(st.none(), names, st.just(7))
times = st.integers(0, 40)


def _with_by(data: dict[str, Any], who: Any) -> dict[str, Any]:
    return data if who is None else {**data, "by": who}


def system_id(device: int, seq: int) -> str:
    return f"s{DEVICES[device].hex()[:8]}-{seq}"


payloads: st.SearchStrategy[tuple[str, dict[str, Any]]] = st.one_of(
    st.builds(
        lambda c, k, s, at: (
            ev.INCIDENT_DECLARED,
            {"codename": c, "title": c, "kind": k, "severity": s, "declared_at": at},
        ),
        words,
        st.sampled_from([*ev.INCIDENT_KINDS, "bogus"]),
        st.sampled_from([1, 2, 3, 4, 9]),
        st.one_of(times, st.just("x")),
    ),
    st.builds(
        lambda f: (ev.INCIDENT_SET, {"fields": f}),
        st.dictionaries(
            st.sampled_from(["status", "severity", "summary", "root_cause", "codename"]),
            st.one_of(st.sampled_from([*ev.INCIDENT_STATUSES, "gone"]), st.integers(1, 5), words),
            max_size=3,
        ),
    ),
    st.builds(
        lambda i, t, o: (ev.STEP_ADDED, {"id": i, "phase": "p", "title": t, "order": o}),
        st.sampled_from(IDS),
        words,
        st.one_of(st.integers(0, 3), st.just("x")),
    ),
    st.builds(
        lambda i, s, a, who: (ev.STEP_SET, _with_by({"id": i, "status": s, "assignee": a}, who)),
        st.sampled_from(IDS),
        st.sampled_from(ev.STEP_STATUSES),
        words,
        by,
    ),
    st.builds(
        lambda i, n, s, who: (ev.PERSON_ADDED, _with_by({"id": i, "name": n, "state": s}, who)),
        st.sampled_from(PEOPLE),
        names,
        st.sampled_from(ev.PERSON_STATES),
        by,
    ),
    st.builds(
        lambda i, f: (ev.PERSON_SET, {"id": i, "fields": f}),
        st.sampled_from(PEOPLE),
        st.fixed_dictionaries(
            {}, optional={"state": st.sampled_from(ev.PERSON_STATES), "name": names}
        ),
    ),
    st.builds(
        lambda t, r, p, who: (t, _with_by({"role": r, "person": p}, who)),
        st.sampled_from([ev.ROLE_ASSUMED, ev.ROLE_RENOUNCED]),
        st.sampled_from(["ic", "scribe", "nobody"]),
        st.sampled_from(PEOPLE),
        by,
    ),
    st.builds(
        lambda i, t, at, a, k, ph: (
            ev.ENTRY_ADDED,
            {"id": i, "text": t, "at": at, "author": a, "kind": k, "phase": ph, "tags": [t]},
        ),
        st.one_of(st.sampled_from(IDS), st.builds(system_id, st.integers(0, 3), st.integers(1, 6))),
        words,
        st.one_of(times, st.just(None), st.just("x")),
        names,
        st.sampled_from(["note", "attacker", "system"]),
        st.sampled_from(["detected", "bogus", ""]),
    ),
    st.builds(
        lambda t, i, x, who: (t, _with_by({"id": i, "text": x, "reason": x, "phase": ""}, who)),
        st.sampled_from([ev.ENTRY_AMENDED, ev.ENTRY_STRUCK]),
        st.one_of(st.sampled_from(IDS), st.builds(system_id, st.integers(0, 3), st.integers(1, 6))),
        words,
        by,
    ),
    st.builds(
        lambda i, f, who: (ev.DRAFT_SAVED, _with_by({"id": i, "fields": f}, who)),
        st.sampled_from(IDS),
        st.fixed_dictionaries(
            {},
            optional={
                "body": words,
                "to": st.lists(words, max_size=2),
                "channel": st.sampled_from(["email", "fax"]),
                "status": st.sampled_from(ev.DRAFT_STATUSES),
            },
        ),
        by,
    ),
    st.builds(
        lambda i, who: (ev.DRAFT_APPROVED, {"id": i, "by": who}), st.sampled_from(IDS), names
    ),
    st.builds(lambda t: (ev.POLICY_SET, {"text": t}), st.one_of(words, st.just(3))),
    st.builds(
        lambda i, item, at: (ev.EVIDENCE_ADDED, {"id": i, "item": item, "collected_at": at}),
        st.sampled_from(IDS),
        words,
        st.one_of(times, st.just("x")),
    ),
    st.builds(
        lambda i, t, loc: (ev.EVIDENCE_NOTED, {"id": i, "text": t, "location": loc, "by": "Bo"}),
        st.sampled_from(IDS),
        words,
        words,
    ),
    st.builds(
        lambda v, s: (ev.INDICATOR_SET, {"value": v, "type": "ip", "status": s, "by": "Ann"}),
        st.sampled_from(["10.0.0.1", "evil.example", ""]),
        st.sampled_from([*ev.INDICATOR_STATUSES, "maybe"]),
    ),
    st.builds(
        lambda i, t, s: (ev.FOLLOWUP_ADDED, {"id": i, "title": t, "status": s}),
        st.sampled_from(IDS),
        words,
        st.sampled_from(ev.FOLLOWUP_STATUSES),
    ),
    st.builds(
        lambda i, f: (ev.FOLLOWUP_SET, {"id": i, "fields": f}),
        st.sampled_from(IDS),
        st.fixed_dictionaries(
            {}, optional={"status": st.sampled_from(ev.FOLLOWUP_STATUSES), "title": words}
        ),
    ),
    st.builds(
        lambda i, k, n, sec: (ev.INTEGRATION_SET, {"id": i, "kind": k, "name": n, "secret": sec}),
        st.sampled_from(IDS),
        st.sampled_from([*ev.INTEGRATION_KINDS, "fax"]),
        words,
        st.sampled_from(["k1", "k2", ""]),
    ),
    st.builds(lambda i: (ev.INTEGRATION_REMOVED, {"id": i}), st.sampled_from(IDS)),
    st.builds(
        lambda i, a: (
            ev.OUTBOX_QUEUED,
            {"id": i, "integration": "a", "action": "trigger", "body": {"summary": a}, "about": a},
        ),
        st.sampled_from(IDS),
        words,
    ),
    st.builds(
        lambda i, n: (ev.OUTBOX_TRIED, {"id": i, "attempts": n, "next_at": 5, "error": "x"}),
        st.sampled_from(IDS),
        st.integers(0, 3),
    ),
    st.builds(
        lambda i, status: (ev.OUTBOX_DONE, {"id": i, "status": status, "attempts": 1}),
        st.sampled_from(IDS),
        st.sampled_from(["delivered", "failed", "lost"]),
    ),
    # hostile and malformed payloads: change nothing they cannot, crash nothing
    st.builds(
        lambda t, bad: (t, bad),
        st.sampled_from(sorted(ev.EVENT_TYPES)),
        st.sampled_from(
            [
                {"id": 7, "fields": "nope"},
                {"id": ["x"], "role": ["ic"], "person": {}},
                {"id": "a", "fields": ["body"]},
                {"id": "a", "fields": {"status": "resolved"}, "order": "x", "tags": "t"},
                {"value": 5, "status": "confirmed", "text": None},
                {"by": "   "},
                {"role": "ic"},
            ]
        ),
    ),
)


@st.composite
def event_logs(draw: st.DrawFn) -> list[Event]:
    items = draw(
        st.lists(
            st.tuples(st.integers(0, len(DEVICES) - 1), times, payloads), min_size=1, max_size=60
        )
    )
    seqs: dict[bytes, int] = {}
    out = []
    for index, ms, (type_, data) in items:
        device = DEVICES[index]
        seqs[device] = seqs.get(device, 0) + 1
        # a small clock range: many ties, broken by the counter, device and seq
        out.append(Event(device, seqs[device], (ms, draw(st.integers(0, 2))), type_, data))
    return out


def snapshot(state: IncidentState) -> dict[str, Any]:
    """Everything a reader sees, in the order they see it."""
    return {
        "dict": state.to_dict(),
        "timeline": [(e.id, asdict(e)) for e in state.timeline()],
        "orders": {
            name: list(getattr(state, name))
            for name in (
                "steps",
                "people",
                "drafts",
                "evidence",
                "indicators",
                "followups",
                "integrations",
            )
        },
        "devices": list(state.devices.items()),
        "roles": [asdict(h) for h in state.roles],
        "policy": state.policy_text,
    }


def applied(events: list[Event]) -> Fold:
    f = Fold()
    for event in events:
        f.apply(event)
    return f
