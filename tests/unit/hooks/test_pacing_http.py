"""The pacer through the hook against the simulator over HTTP: route costs learned, a glitched answer not
believed."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_salesloft.testing import SalesloftSimulator


@pytest.mark.salesloft_simulator(route_costs={"GET /v2/me": 3})
def test_the_hook_learns_a_routes_cost_from_the_simulator(
    salesloft_simulator: SalesloftSimulator, make_hook: Any
) -> None:
    hook = make_hook(salesloft_simulator)
    for _ in range(3):
        hook.get_me()
    assert hook.pacer.cost_of("GET /v2/me") == 3
    assert sum(salesloft_simulator.stats.cost_by_window.values()) == 9


@pytest.mark.salesloft_simulator(rate_limit=600, glitch_remaining_at_call=2)
def test_a_glitched_answer_does_not_become_the_limit(
    salesloft_simulator: SalesloftSimulator, make_hook: Any
) -> None:
    hook = make_hook(salesloft_simulator)
    for _ in range(4):
        hook.get_me()
    assert hook.pacer.limit_estimate == 600  # the second answer said 59999 left
