"""The harness's pace invariant (``check_pace``) rejects what it is meant to catch: retrying without bound,
hammering a spent window with requests (with rate-limit headers or without), sitting out windows (synthetic
ledgers: no server needed)."""

from __future__ import annotations

import pytest

from .harness import COLD_WINDOWS, PACED_WINDOW_S, REFUSALS_PER_WINDOW, Ledger, Run, check_pace
from .world import World

SHORT = World(operation="add", rows=[{"person_id": 1001}] * 10)
PACED = World(operation="add", rows=[{"person_id": 1001}] * 10, window_s=PACED_WINDOW_S)
BEFORE = {"on": {}}
RUN = Run(summary=None, error=None, share=0.9)


def ledger(calls: int, windows: list[int], refused: int = 0, injected: int = 0) -> Ledger:
    return Ledger(calls, injected, refused, {number + 7: cost for number, cost in enumerate(windows)})


def test_a_run_within_its_bounds_passes() -> None:
    check_pace(SHORT, BEFORE, RUN, ledger(40, [20, 22, 18], refused=1), limit=25)
    check_pace(PACED, BEFORE, RUN, ledger(40, [5, 22, 22, 11]), limit=25)


def test_retrying_without_bound_is_caught() -> None:
    with pytest.raises(AssertionError, match="requests, at most"):
        check_pace(SHORT, BEFORE, RUN, ledger(400, [22] * 18), limit=25)


def test_hammering_a_spent_window_is_caught() -> None:
    with pytest.raises(AssertionError, match="429s beyond the bound"):
        check_pace(SHORT, BEFORE, RUN, ledger(40, [22, 22, 16], refused=40), limit=25)


HEADERLESS = World(
    operation="add",
    rows=[{"person_id": 1001}] * 10,
    faults={"rate_limit_headers": False},
    options={"max_concurrency": 3},
    window_s=PACED_WINDOW_S,
)


def test_without_headers_the_cold_windows_may_refuse_what_was_in_flight() -> None:
    """Without headers the first window and the one that measures the limit are spent up to a 429, which
    every request in flight (3 here) gets too: 2 per window spanned plus 3 per cold window."""
    cold = COLD_WINDOWS * 3
    refused = REFUSALS_PER_WINDOW * 4 + cold
    check_pace(HEADERLESS, BEFORE, RUN, ledger(40, [25, 25, 22, 6], refused=refused), 25, headers=False)
    with pytest.raises(AssertionError, match="429s beyond the bound"):  # with headers, no cold windows
        check_pace(HEADERLESS, BEFORE, RUN, ledger(40, [25, 25, 22, 6], refused=refused), 25, headers=True)


def test_without_headers_hammering_is_caught() -> None:
    """A run without headers that sends again at once after every 429 (about 20 a window here) is caught."""
    with pytest.raises(AssertionError, match="429s beyond the bound"):
        check_pace(HEADERLESS, BEFORE, RUN, ledger(40, [25, 25, 22, 6], refused=60), 25, headers=False)
    refused = REFUSALS_PER_WINDOW * 4 + COLD_WINDOWS * 3 + 1  # one more than the cold allowance
    with pytest.raises(AssertionError, match="429s beyond the bound"):
        check_pace(HEADERLESS, BEFORE, RUN, ledger(40, [25, 25, 22, 6], refused=refused), 25, headers=False)


@pytest.mark.parametrize("world", [SHORT, PACED])
def test_sitting_out_windows_is_caught(world: World) -> None:
    with pytest.raises(AssertionError, match="spanned 6 windows"):
        check_pace(world, BEFORE, RUN, ledger(40, [20, 0, 0, 0, 22, 18]), limit=25)


def test_sending_below_the_share_in_long_windows_is_caught() -> None:
    with pytest.raises(AssertionError, match="spanned 12 windows"):
        check_pace(PACED, BEFORE, RUN, ledger(40, [5] * 12), limit=25)
