"""The smallest ``rate_limit_share`` (issue #22, last round's attack): a share below
:data:`~airflow_provider_salesloft.validation.MIN_RATE_LIMIT_SHARE` is refused, everywhere a share is given,
before any request. Before, ``rate_limit_share=1e-300`` was accepted, and such a task let out one probe a
window (its floor), far more than its share, silently."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_salesloft.exceptions import SalesloftConfigError, SalesloftInvalidArgumentError
from airflow_provider_salesloft.hooks.rate_limit import PROBE_RESERVE, RateLimitPacer
from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.validation import MIN_RATE_LIMIT_SHARE
from unit.hooks.test_rate_limit_shared import Clock, WindowedTeam, run_team
from unit.operators.test_rate_limit_share import OPERATORS

#: Salesloft's documented default limit (cost per minute); it is raised per customer, never lowered.
DEFAULT_LIMIT = 600

too_small = st.floats(min_value=0.0, max_value=MIN_RATE_LIMIT_SHARE, exclude_min=True, exclude_max=True)
allowed = st.floats(min_value=MIN_RATE_LIMIT_SHARE, max_value=1.0)


def use_extra(monkeypatch: pytest.MonkeyPatch, share: Any) -> None:
    """The connection ``sl_floor`` (a closed loopback port: any request would fail) with the extra."""
    uri = json.dumps(
        {
            "conn_type": "salesloft",
            "host": "http://127.0.0.1:1",
            "password": "key",
            "extra": {"rate_limit_share": share},
        }
    )
    monkeypatch.setenv("AIRFLOW_CONN_SL_FLOOR", uri)


@settings(max_examples=60, deadline=None)
@given(share=too_small | st.sampled_from([1e-300, 5e-324, 0.001, 1 / DEFAULT_LIMIT, 0.0099]))
def test_a_share_below_the_floor_is_refused_everywhere_naming_the_argument_the_value_and_the_fix(
    share: float,
) -> None:
    """Invariant: every share in ``(0, MIN_RATE_LIMIT_SHARE)`` is refused by every operator and the hook at
    construction (no connection read, no request), and by the pacer, with the argument, the value and what
    to give instead in the message."""
    for operator, arguments in OPERATORS:
        with pytest.raises(SalesloftInvalidArgumentError) as refused:
            operator(task_id="t", rate_limit_share=share, **arguments)
        message = str(refused.value)
        assert "rate_limit_share" in message
        assert repr(share) in message
        assert f"give {MIN_RATE_LIMIT_SHARE:g} or more" in message
    with pytest.raises(SalesloftInvalidArgumentError, match="rate_limit_share"):
        SalesloftHook("no_such_connection", rate_limit_share=share)
    with pytest.raises(SalesloftInvalidArgumentError, match="rate_limit_share"):
        RateLimitPacer(share=share)


@pytest.mark.parametrize("share", [1e-300, "1e-300", 0.005, "0.0099"])
def test_a_share_extra_below_the_floor_is_refused_naming_it_before_any_request(
    monkeypatch: pytest.MonkeyPatch, share: Any
) -> None:
    use_extra(monkeypatch, share)
    with pytest.raises(SalesloftConfigError, match=r"rate_limit_share .*\[0\.01, 1\]") as refused:
        SalesloftHook("sl_floor").pacer  # noqa: B018
    assert repr(share) in str(refused.value)


@settings(max_examples=30, deadline=None)
@given(share=allowed)
def test_every_share_from_the_floor_to_one_is_taken_as_given(share: float) -> None:
    """Invariant: the floor refuses nothing above it, on the operators, the hook and the pacer."""
    for operator, arguments in OPERATORS:
        assert operator(task_id="t", rate_limit_share=share, **arguments).rate_limit_share == share
    assert SalesloftHook("no_such_connection", rate_limit_share=share).rate_limit_share == share
    assert RateLimitPacer(share=share).share == share


def test_the_extra_at_the_floor_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    use_extra(monkeypatch, str(MIN_RATE_LIMIT_SHARE))
    assert SalesloftHook("sl_floor").pacer.share == MIN_RATE_LIMIT_SHARE


def test_the_floor_is_a_share_the_pacer_keeps_at_salesloft_s_default_limit() -> None:
    """Why the floor is where it is: at the default limit a task at the smallest share has room for its
    probe (one request a window) and for the part of the limit the pacer keeps for probes; and once it has
    learned when windows start (from the fifth window, in this fake-clock model: four requests in flight,
    40-ms round trips, one-minute windows) it keeps to that share."""
    assert MIN_RATE_LIMIT_SHARE * DEFAULT_LIMIT >= 1
    assert MIN_RATE_LIMIT_SHARE >= PROBE_RESERVE
    random.seed(1)
    clock = Clock()
    team = WindowedTeam(limit=DEFAULT_LIMIT, window_s=60.0, clock=clock)
    pacer = RateLimitPacer(share=MIN_RATE_LIMIT_SHARE, window_s=60.0, clock=clock, wall_clock=clock)
    run_team([pacer], team, clock, until=600.0, joins=[0.5])
    share = MIN_RATE_LIMIT_SHARE * DEFAULT_LIMIT
    assert all(team.spent.get(window, 0) <= share for window in range(4, 10)), team.spent
    assert all(team.spent.get(window, 0) >= 0.9 * share for window in range(4, 10)), team.spent
