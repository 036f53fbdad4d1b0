"""The sync's report: samples of every non-success outcome, and a summary that stays under 64 KB."""

from __future__ import annotations

import json
from typing import Any

from airflow_provider_salesloft.operators.sync.report import SyncReport
from airflow_provider_salesloft.operators.sync.rows import SAMPLED_OUTCOMES, Outcome, RowOutcome


class Log:
    def info(self, *args: Any) -> None:
        pass


def test_summary_stays_small_whatever_the_rows() -> None:
    report = SyncReport(Log(), None, None)
    for index in range(20_000):
        outcome = list(Outcome)[index % len(Outcome)]
        email = "x" * 240 + f"{index}@example.com"
        report.record(RowOutcome(index, outcome, 10**15 + index, email, 10, None, "r" * 2000))
    summary = report.summary(dry_run=False)

    assert len(json.dumps(summary)) < 64_000
    assert summary["rows"] == 20_000
    assert set(summary["samples"]) == {outcome.value for outcome in SAMPLED_OUTCOMES}  # every non-success
    assert summary["failures"]  # the first failures are there, shortened
    assert all(len(line["reason"]) <= 300 for line in summary["failures"])


def test_dry_run_progress_says_would_add_and_no_rate_over_an_instant() -> None:
    lines: list[str] = []

    class Capture:
        def info(self, message: str, *args: Any) -> None:
            lines.append(message % args)

    report = SyncReport(Capture(), 2, None, dry_run=True)
    report.record(RowOutcome(0, Outcome.ADDED))
    report.maybe_log_progress(api_calls=5000, force=True)
    assert "would add 1" in lines[0]
    assert "calls/min" not in lines[0]  # not extrapolated from a fraction of a second
