"""What an operator's run did to each Salesloft target: the counts its lineage facets and asset events
report. Plain counters, filled from the same report lines as the report file and the results table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Outcomes that wrote a membership (an add or a removal): a cadence's rows written.
CADENCE_WRITES = ("added", "created_and_added", "removed")
#: Outcomes that wrote a person (created or updated).
PEOPLE_WRITES = ("created", "updated", "created_and_added")


@dataclass
class RunOutcomes:
    """Outcome counts per cadence, and of person writes, of one task run.

    :param cadences: cadence id -> outcome -> rows.
    :param people: outcome -> people (``created``, ``updated``, ``failed``, ...) for person writes.
    :param dry_run: the counts are what would have happened: nothing was written.
    """

    cadences: dict[int, Counter[str]] = field(default_factory=dict)
    people: Counter[str] = field(default_factory=Counter)
    dry_run: bool = False

    def count(self, cadence_id: int, outcome: str, rows: int = 1) -> None:
        """Count ``rows`` rows of ``outcome`` on ``cadence_id``."""
        self.cadences.setdefault(int(cadence_id), Counter())[outcome] += rows

    def line(self, line: Mapping[str, Any]) -> None:
        """Count one sync report line (a row or a removal): on its cadence, and as a person write when
        its person was created."""
        outcome = str(line.get("outcome"))
        cadence_id = line.get("cadence_id")
        if isinstance(cadence_id, int):
            self.count(cadence_id, outcome)
        if outcome in ("created", "created_and_added"):
            self.people["created"] += 1

    def cadence_written(self, cadence_id: int) -> int:
        """Memberships written on ``cadence_id`` (added or removed; none in a dry run)."""
        if self.dry_run:
            return 0
        counts = self.cadences.get(cadence_id, Counter())
        return sum(counts[name] for name in CADENCE_WRITES)

    def people_written(self) -> int:
        """People created or updated (none in a dry run)."""
        if self.dry_run:
            return 0
        return sum(self.people[name] for name in ("created", "updated"))

    def totals(self) -> dict[str, int]:
        """Every outcome over every cadence."""
        total: Counter[str] = Counter()
        for counts in self.cadences.values():
            total.update(counts)
        return dict(total)
