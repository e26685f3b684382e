"""The indicator register: indicators found in the timeline, with people's verdicts.

Extraction is `warroom.indicators`; this module joins it with the incident:
which entries name an indicator, when it was first seen, and whether someone
confirmed or dismissed it. Struck entries and the system's own entries do not
count as sightings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from warroom import indicators
from warroom.state import IncidentState


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    value: str
    type: str
    status: str
    first_seen: int | None
    """When the earliest entry naming it happened (ms); None if only marked by hand."""
    entries: tuple[str, ...]
    by: str = ""
    at: int | None = None
    note: str = ""

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["entries"] = list(self.entries)
        return out


class Register:
    """Rows of indicators; extraction is cached per entry text, so polling is cheap."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[str, list[indicators.Indicator]]] = {}

    def _extract(self, entry_id: str, text: str) -> list[indicators.Indicator]:
        cached = self._cache.get(entry_id)
        if cached is None or cached[0] != text:
            cached = (text, indicators.extract(text))
            self._cache[entry_id] = cached
        return cached[1]

    def rows(self, state: IncidentState) -> list[IndicatorRow]:
        seen: dict[str, tuple[str, int, list[str]]] = {}
        for entry in state.timeline():
            if entry.system or entry.struck is not None:
                continue
            for found in self._extract(entry.id, entry.text):
                if found.value in seen:
                    seen[found.value][2].append(entry.id)
                else:
                    seen[found.value] = (found.type, entry.at, [entry.id])
        rows = []
        for value, (type_, first, entry_ids) in seen.items():
            mark = state.indicators.get(value)
            rows.append(
                IndicatorRow(
                    value,
                    type_,
                    mark.status if mark else "new",
                    first,
                    tuple(entry_ids),
                    *((mark.by, mark.at, mark.note) if mark else ()),
                )
            )
        for value, mark in state.indicators.items():
            if value not in seen:
                rows.append(
                    IndicatorRow(
                        value, mark.type, mark.status, None, (), mark.by, mark.at, mark.note
                    )
                )
        return rows

    def find(self, state: IncidentState, value: str) -> IndicatorRow | None:
        """The row for a value as typed (refanged, normalised); a fresh row when the
        timeline does not name it; None when it is no indicator at all."""
        found = indicators.extract(value.strip())
        if len(found) != 1:
            return None
        normal = found[0]
        for row in self.rows(state):
            if row.value == normal.value:
                return row
        return IndicatorRow(normal.value, normal.type, "new", None, ())
