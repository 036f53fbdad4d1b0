"""Mirror mode: who comes off a cadence, and the guards that keep an empty or broken input from wiping one.

The plan is made whole before the first removal. For each cadence the input names (at least one row
resolved to a person for it), the members the input does not name (see
:mod:`~airflow_provider_salesloft.operators.sync.named`) are candidates for removal, optionally only those
on it for one user (``remove_only_for_user``). Nothing is removed anywhere when a row could not be resolved
for a reason other than "no such person" (an ``invalid`` row, or more ``failed`` rows than
``max_failed_rows``: :func:`row_guard`), or when any cadence would lose more than ``max_removals`` (a number,
or a share of its current members).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Membership = Mapping[str, Any]


@dataclass(frozen=True)
class MirrorOptions:
    """The mirror's guards.

    :param allow_empty_input: also mirror the operator's default cadence when no row names it (an empty
        query then takes everyone off it, within ``max_removals``).
    :param max_removals: most removals per cadence: an int, or a float in ``[0, 1]`` (share of its members).
    :param remove_only_for_user: only memberships whose ``user`` (the user the person is on the cadence
        for) is this user are candidates; Salesloft records no "added by".
    :param max_failed_rows: more ``failed`` rows than this (the operator's own limit) forbid any removal.
    """

    allow_empty_input: bool = False
    max_removals: int | float = 0.1
    remove_only_for_user: int | None = None
    max_failed_rows: int = 0

    def limit(self, members: int) -> int:
        """The most removals allowed from a cadence with ``members`` current members."""
        if isinstance(self.max_removals, float):
            return math.floor(self.max_removals * members)
        return int(self.max_removals)

    def candidate(self, membership: Membership) -> bool:
        """Whether a membership not in the input may be removed."""
        if self.remove_only_for_user is None:
            return True
        user = membership.get("user")
        return isinstance(user, Mapping) and user.get("id") == self.remove_only_for_user


def row_guard(options: MirrorOptions, invalid: int, failing: int) -> list[str]:
    """Why the rows forbid any removal (empty when they do not): an ``invalid`` row may name a member
    nobody can tell, and too many failures mean the input was not read as meant.

    :param invalid: rows that ended ``invalid``.
    :param failing: rows that count against ``max_failed_rows`` (``invalid`` ones included).
    """
    reasons = []
    if invalid:
        reasons.append(f"{invalid} rows were invalid, so whom they name is unknown")
    if failing > options.max_failed_rows:
        reasons.append(f"{failing} rows failed or were invalid (max_failed_rows={options.max_failed_rows})")
    return reasons


def plan_removals(
    options: MirrorOptions,
    named: Mapping[int, set[int]],
    members: Mapping[int, Mapping[int, Membership]],
    blocked: Sequence[str] = (),
) -> tuple[list[tuple[int, int, Membership]], list[str]]:
    """``(removals, refusals)``: ``(cadence, person, membership)`` to remove, and why the plan is refused
    (empty when it is within the guards; nothing may be removed otherwise).

    :param named: cadence -> the people the input names for it (never removed).
    :param members: cadence -> its current members (person -> membership).
    :param blocked: reasons found before planning (:func:`row_guard`): the plan is refused with them.
    """
    if blocked:
        return [], list(blocked)
    removals: list[tuple[int, int, Membership]] = []
    refusals: list[str] = []
    for cadence in sorted(members):
        records = members[cadence]
        keep = named.get(cadence, set())
        candidates = [
            (cadence, person, membership)
            for person, membership in sorted(records.items())
            if person not in keep and options.candidate(membership)
        ]
        limit = options.limit(len(records))
        if len(candidates) > limit:
            refusals.append(
                f"cadence {cadence}: {len(candidates)} of its {len(records)} members would be removed, "
                f"max_removals={options.max_removals!r} allows {limit}"
            )
        removals.extend(candidates)
    return removals, refusals
