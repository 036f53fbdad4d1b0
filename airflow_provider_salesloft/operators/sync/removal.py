"""Mirror mode's removals: the guards checked, the plan made whole, then every removal sent and recorded.

Who may come off a cadence and the guards are :mod:`~airflow_provider_salesloft.operators.sync.mirror`'s;
this module carries the plan out (or refuses it) and accounts for every removal in the sync's report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from airflow_provider_salesloft.exceptions import error_summary
from airflow_provider_salesloft.hooks.stopping import SalesloftStopped, check_stop, stop_on_exit
from airflow_provider_salesloft.operators.sync.mirror import (
    Membership,
    MirrorOptions,
    plan_removals,
    row_guard,
)
from airflow_provider_salesloft.operators.sync.report import SyncReport
from airflow_provider_salesloft.operators.sync.rows import Outcome

if TYPE_CHECKING:
    from airflow_provider_salesloft.hooks.salesloft import SalesloftHook


def mirrored_cadences(
    seen_pairs: Iterable[tuple[int, int]], options: MirrorOptions, default_cadence: int | None
) -> tuple[dict[int, set[int]], set[int]]:
    """``(wanted, cadences)``: cadence -> the people the rows resolved to for it, and the cadences to mirror
    (those, plus the default cadence when ``allow_empty_input``)."""
    wanted: dict[int, set[int]] = {}
    for person, cadence in seen_pairs:
        wanted.setdefault(cadence, set()).add(person)
    cadences = set(wanted)
    if options.allow_empty_input and default_cadence is not None:
        cadences.add(default_cadence)
    return wanted, cadences


class MemberRemoval:
    """Takes off the mirrored cadences the members the input does not name, within the guards.

    :param hook: the Salesloft hook.
    :param report: the sync's report (its row counts feed the guards; every removal is recorded in it).
    :param options: the mirror's guards.
    :param dry_run: record what would be removed; remove nothing.
    """

    def __init__(
        self, hook: SalesloftHook, report: SyncReport, options: MirrorOptions, dry_run: bool
    ) -> None:
        self.hook = hook
        self.report = report
        self.options = options
        self.dry_run = dry_run

    def run(
        self,
        pool: ThreadPoolExecutor,
        named: Mapping[int, set[int]],
        members: Mapping[int, Mapping[int, Membership]],
        blocked: Sequence[str] = (),
    ) -> str | None:
        """Check the guards, then remove; return why the mirror was refused (nothing removed), or None.

        :param named: cadence -> the people the input names for it (never removed).
        :param members: cadence -> its current members (person -> membership).
        :param blocked: reasons found by the sync that forbid any removal (a failed lookup).
        """
        invalid = self.report.counts[Outcome.INVALID.value]
        guards = row_guard(self.options, invalid, self.report.failing_rows())
        removals, refusals = plan_removals(self.options, named, members, [*blocked, *guards])
        if refusals:
            refused = "mirror refused, nothing removed: " + "; ".join(refusals)
            self.hook.log.warning("Salesloft sync: %s", refused)
            return refused
        if self.dry_run:
            for cadence, person, membership in removals:
                self.report.record_removal(cadence, person, membership.get("id"), "dry run: would be removed")
            return None
        self.report.removals_planned = len(removals)
        with stop_on_exit(self.hook.pacer):  # interrupted: the pool's shutdown starts no queued removal
            futures = [pool.submit(self._remove, removal) for removal in removals]
            for (cadence, person, membership), future in zip(removals, futures, strict=True):
                if isinstance(future.exception(), SalesloftStopped):
                    continue  # stopped before it was done: not a failure, not done
                problem = future.result()
                self.report.record_removal(
                    cadence, person, membership.get("id"), problem, failed=problem is not None
                )
        check_stop(self.hook.pacer)  # stopped: the task ends with the partial summary
        return None

    def _remove(self, removal: tuple[int, int, Mapping[str, Any]]) -> str | None:
        """End one membership; the failure's reason, or None."""
        try:
            self.hook.delete_cadence_membership(removal[2]["id"])
        except SalesloftStopped:
            raise  # not sent, or given up on: the removal is not done
        except Exception as error:  # every removal is accounted for, whatever went wrong
            return error_summary(error)
        return None
