"""The sync's account of its rows: counts, the first failures, progress lines and the optional report file."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import IO, Any

from airflow_provider_salesloft.operators.sync.rows import (
    CREATE_OUTCOMES,
    FAILING_OUTCOMES,
    OUTCOMES,
    SAMPLED_OUTCOMES,
    RowOutcome,
)

#: Failed and invalid rows listed in the summary (the rest are counted, and written to ``report_path``).
MAX_LISTED_FAILURES = 100
#: First rows listed per non-success outcome under ``samples``.
MAX_SAMPLES = 20
#: Bytes of listed rows (failures and samples together), so the summary XCom stays under 64 KB.
MAX_LISTED_BYTES = 48_000
#: Longest reason kept per listed failure, so the summary stays small whatever Salesloft says.
MAX_REASON_CHARS = 300
#: Progress is logged at least this often (seconds) ...
PROGRESS_EVERY_S = 10.0
#: ... and at least every this many rows.
PROGRESS_EVERY_ROWS = 500
#: Calls per minute are reported once the sync has run this long.
MIN_RATE_INTERVAL_S = 10.0


class SyncReport:
    """Counts outcomes, keeps the first failures, writes every outcome to an optional report file.

    :param log: where progress lines go.
    :param total: the number of input rows when known (for the ETA), else None.
    :param stream: the open report file, or None.
    :param dry_run: word progress as what would happen.
    :param creates: count the outcomes of ``create_missing_people`` too.
    :param sinks: also called with every report line (the ``results_table`` writer, the lineage counts).
    """

    def __init__(
        self,
        log: Any,
        total: int | None,
        stream: IO[str] | None,
        dry_run: bool = False,
        creates: bool = False,
        sinks: Sequence[Callable[[dict[str, Any]], None]] = (),
    ) -> None:
        self.outcomes = OUTCOMES + CREATE_OUTCOMES if creates else OUTCOMES
        self.counts: Counter[str] = Counter({outcome: 0 for outcome in self.outcomes})
        self.failures: list[dict[str, Any]] = []
        self.samples: dict[str, list[dict[str, Any]]] = {outcome.value: [] for outcome in SAMPLED_OUTCOMES}
        self.rows = 0
        self._listed_bytes = 0
        self.removed = 0
        self.removal_failed = 0
        self.removals: list[dict[str, Any]] = []  # the first removals (or would-be removals), for the summary
        self.removals_planned: int | None = None  # the mirror's removals to send, once planned
        self._log = log
        self._total = total
        self._stream = stream
        self._started = time.monotonic()
        self._last_log = self._started
        self._last_rows = 0
        self._dry_run = dry_run
        self._sinks = sinks

    def record(self, outcome: RowOutcome) -> None:
        """Count one row's outcome."""
        self.rows += 1
        self.counts[outcome.outcome.value] += 1
        samples = self.samples.get(outcome.outcome.value)
        if samples is not None and len(samples) < MAX_SAMPLES:
            self._list(samples, outcome)
        if outcome.outcome in FAILING_OUTCOMES and len(self.failures) < MAX_LISTED_FAILURES:
            self._list(self.failures, outcome)
        self._write(outcome.as_dict())

    def record_removal(
        self, cadence_id: int, person_id: int, membership_id: Any, reason: str | None, failed: bool = False
    ) -> None:
        """Count one mirror removal (done, would be done, or failed) and write its report line."""
        outcome = "removal_failed" if failed else "removed"
        if failed:
            self.removal_failed += 1
        else:
            self.removed += 1
        line = {"outcome": outcome, "person_id": person_id, "cadence_id": cadence_id}
        line.update(
            {key: value for key, value in (("membership_id", membership_id), ("reason", reason)) if value}
        )
        if len(self.removals) < MAX_SAMPLES or (failed and len(self.removals) < MAX_LISTED_FAILURES):
            size = len(json.dumps(line))
            if self._listed_bytes + size <= MAX_LISTED_BYTES:
                self._listed_bytes += size
                self.removals.append(line)
        self._write(line)

    def _write(self, line: dict[str, Any]) -> None:
        """One line to the report file (where given) and every sink."""
        if self._stream is not None:
            self._stream.write(json.dumps(line) + "\n")
        for sink in self._sinks:
            sink(line)

    def removal_summary(self, refused: str | None = None) -> dict[str, Any]:
        """The mirror's part of the summary; ``mirror_refused``: why nothing was removed (None: it ran)."""
        return {
            "removed": self.removed,
            "removal_failed": self.removal_failed,
            "removals": self.removals,
            "mirror_refused": refused,
        }

    def removals_not_done(self) -> int | None:
        """Planned removals with no outcome (the sync stopped before them); None before the plan."""
        if self.removals_planned is None:
            return None
        return self.removals_planned - self.removed - self.removal_failed

    def _list(self, into: list[dict[str, Any]], outcome: RowOutcome) -> None:
        """Add the row's line to a summary list, while the lists stay within their byte budget."""
        line = outcome.as_dict()
        if line.get("reason"):
            line["reason"] = str(line["reason"])[:MAX_REASON_CHARS]
        if line.get("email"):
            line["email"] = str(line["email"])[:MAX_REASON_CHARS]
        size = len(json.dumps(line))
        if self._listed_bytes + size <= MAX_LISTED_BYTES:
            self._listed_bytes += size
            into.append(line)

    def failing_rows(self) -> int:
        """Rows that count against ``max_failed_rows``."""
        return sum(self.counts[outcome.value] for outcome in FAILING_OUTCOMES)

    def elapsed(self) -> float:
        """Seconds since the sync began."""
        return time.monotonic() - self._started

    def maybe_log_progress(self, api_calls: int, force: bool = False) -> None:
        """Log done/total, outcomes, calls/min and ETA every 10 s or 500 rows."""
        now = time.monotonic()
        if (
            not force
            and now - self._last_log < PROGRESS_EVERY_S
            and self.rows - self._last_rows < PROGRESS_EVERY_ROWS
        ):
            return
        self._last_log, self._last_rows = now, self.rows
        elapsed = max(now - self._started, 1e-6)
        total = str(self._total) if self._total is not None else "?"
        eta = ""
        if self._total and self.rows:
            eta = f", ETA {max(0.0, elapsed / self.rows * (self._total - self.rows)):.0f} s"
        names = {"added": "would add", "created_and_added": "would create and add"} if self._dry_run else {}
        counts = ", ".join(f"{names.get(name, name)} {self.counts[name]}" for name in self.outcomes)
        # A rate over a fraction of a second says nothing: shown once the sync has run for a while.
        rate = f"; {api_calls / elapsed * 60:.0f} API calls/min" if elapsed >= MIN_RATE_INTERVAL_S else ""
        self._log.info("Salesloft sync: %d/%s rows (%s)%s%s", self.rows, total, counts, rate, eta)

    def summary(self, **extra: Any) -> dict[str, Any]:
        """The XCom summary: rows, a count per outcome, the first failures, then ``extra``."""
        return {
            "rows": self.rows,
            **{outcome: self.counts[outcome] for outcome in self.outcomes},
            "failures": self.failures,
            "samples": {outcome: rows for outcome, rows in self.samples.items() if rows},
            **extra,
        }
