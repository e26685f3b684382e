"""The postmortem, in Markdown, from the incident's state.

Sections: issue summary (duration, impact), timeline (the same rows as
`warroom timeline`), root cause, resolution, corrective and preventive
measures, follow-up tasks with owners, attack metrics, and appendices for the
responders, evidence and confirmed indicators. Every piece of text a person
typed, and every value the fold does not check against a fixed vocabulary
(evidence ids, kinds and hashes, due dates, indicator types: a hostile device
can write anything there), goes through `md_text`, so nothing in it becomes
markup or a link.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from warroom import events as ev
from warroom import metrics as metrics_mod
from warroom.export import timeline as timeline_export
from warroom.iocs import IndicatorRow
from warroom.state import IncidentState
from warroom.tabular import md_table, md_text
from warroom.timefmt import iso

_NONE = "_Not recorded._"
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _paragraph(text: str) -> str:
    lines = [md_text(line) for line in text.strip().splitlines()]
    return "\n".join(lines) if any(lines) else _NONE


def render(
    state: IncidentState,
    attack: metrics_mod.AttackMetrics,
    indicators: Sequence[IndicatorRow],
    *,
    now_ms: int,
) -> str:
    inc = state.incident
    end = inc.resolved_at
    duration = (
        metrics_mod.format_duration(end - inc.declared_at)
        if end is not None and inc.declared_at is not None
        else "ongoing"
    )
    title = f"Postmortem: {md_text(inc.codename)}" + (
        f": {md_text(inc.title)}" if inc.title else ""
    )
    out = [
        f"# {title}\n",
        f"_Written {iso(now_ms)} by warroom from the incident file._\n",
        "## Issue summary\n",
        f"- **Kind and severity:** {inc.kind}, SEV{inc.severity}; status {inc.status}",
        f"- **Duration:** {iso(inc.declared_at)} to {iso(end) or 'now'} ({duration})",
        f"- **Impact:** {md_text(inc.impact) or _NONE}",
    ]
    if inc.review_due:
        out.append(f"- **Review due:** {iso(inc.review_due)[:10]}")
    out += ["", _paragraph(inc.summary), ""]
    out += ["## Timeline\n", timeline_export.to_markdown(timeline_export.rows(state.timeline()))]
    out += ["## Root cause\n", _paragraph(inc.root_cause), ""]
    out += ["## Resolution\n", _paragraph(inc.resolution), ""]
    out += ["## Corrective and preventive measures\n"]
    for kind in ev.FOLLOWUP_KINDS:
        items = [f for f in state.followups.values() if f.kind == kind and f.status != "dropped"]
        out.append(f"**{kind.capitalize()}:**\n")
        out += [f"1. {md_text(f.title)}" for f in items] or [_NONE]
        out.append("")
    out += ["## Follow-up tasks\n"]
    tasks = [
        (
            md_text(f.title),
            f.kind,
            md_text(f.owner) or "**unowned**",
            md_text(f.due) or "-",
            f.status,
        )
        for f in state.followups.values()
    ]
    out.append(md_table(("Task", "Kind", "Owner", "Due", "Status"), tasks) if tasks else _NONE)
    out += ["", "## Attack metrics\n", _metrics_table(attack), ""]
    out += _appendices(state, indicators)
    return "\n".join(out).rstrip() + "\n"


def _metrics_table(attack: metrics_mod.AttackMetrics) -> str:
    rows = [
        ("Time to detect", metrics_mod.format_duration(attack.time_to_detect)),
        ("Dwell time", metrics_mod.format_duration(attack.dwell_time)),
        ("Time to contain", metrics_mod.format_duration(attack.time_to_contain)),
        ("Time to resolve", metrics_mod.format_duration(attack.time_to_resolve)),
    ]
    table = md_table(("Metric", "Value"), rows)
    notes = "".join(f"\n- {md_text(p)}" for p in attack.problems)
    return table + notes


def _appendices(state: IncidentState, indicators: Sequence[IndicatorRow]) -> list[str]:
    out = ["## Appendix: responders\n"]
    people = [
        (
            md_text(state.people[h.person].name),
            ev.ROLES.get(h.role, h.role),
            iso(h.assumed_at),
            iso(h.renounced_at) or "-",
        )
        for h in state.roles
        if h.person in state.people
    ]
    out.append(md_table(("Who", "Role", "From", "Until"), people) if people else _NONE)
    out.append("\n## Appendix: evidence\n")
    items = [
        (
            md_text(e.id),
            md_text(e.kind),
            md_text(e.item),
            f"`{e.sha256}`" if _HEX64.fullmatch(e.sha256) else md_text(e.sha256) or "-",
            md_text(e.location),
        )
        for e in state.evidence.values()
    ]
    out.append(md_table(("Id", "Kind", "Item", "SHA-256", "Kept at"), items) if items else _NONE)
    out.append("\n## Appendix: confirmed indicators\n")
    confirmed = [(md_text(r.value), md_text(r.type)) for r in indicators if r.status == "confirmed"]
    out.append(md_table(("Indicator", "Type"), confirmed) if confirmed else _NONE)
    return out
