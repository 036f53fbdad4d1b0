"""Warehouse-to-cadence sync: ``SyncCadenceMembershipsOperator``.

Rows (from a list, an XCom, or a SQL query read in chunks) name a person (``person_id`` or ``email``) and a
cadence. The operator plans before it writes: it resolves emails 100 per call, lists each target cadence's
current members once, drops rows that repeat a (person, cadence) pair, and then adds only who is missing,
with a few requests in flight on the hook's pooled session, paced to the team's rate limit. Every row ends in
exactly one outcome, counted in the summary pushed to XCom.

Modules: ``operator`` (arguments, input, summary), ``engine`` (plan and write), ``rows`` (row model and
outcomes), ``report`` (counts, progress, report file).
"""

from airflow_provider_salesloft.operators.sync.operator import SyncCadenceMembershipsOperator
from airflow_provider_salesloft.operators.sync.rows import OUTCOMES, Outcome

ADDED = Outcome.ADDED.value
ALREADY_ON_CADENCE = Outcome.ALREADY_ON_CADENCE.value
PERSON_NOT_FOUND = Outcome.PERSON_NOT_FOUND.value
DUPLICATES = Outcome.DUPLICATES.value
INVALID = Outcome.INVALID.value
FAILED = Outcome.FAILED.value

__all__ = [
    "ADDED",
    "ALREADY_ON_CADENCE",
    "DUPLICATES",
    "FAILED",
    "INVALID",
    "OUTCOMES",
    "PERSON_NOT_FOUND",
    "Outcome",
    "SyncCadenceMembershipsOperator",
]
