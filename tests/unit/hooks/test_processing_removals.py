"""Removing a ``processing`` membership. Salesloft's definition: "processing: The person is being processed
on a cadence. Cadence-related changes cannot be made at this time". The simulator (option
``processing_refuses_removal``) refuses such a DELETE; the hook waits and tries again, for a bounded time,
then raises Salesloft's reason."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from airflow_provider_salesloft.exceptions import SalesloftValidationError
from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.hooks.stopping import SalesloftStopped
from airflow_provider_salesloft.testing import DEFAULT_API_KEY, SalesloftSimulator

MakeHook = Callable[..., SalesloftHook]
PROCESSING = pytest.mark.salesloft_simulator(add_state="processing", processing_refuses_removal=True)


def add(sim: SalesloftSimulator, person: int = 1001) -> int:
    membership, _ = sim.state.add_to_cadence(
        1, {"person_id": person, "cadence_id": 11}, "422", "processing", sim.faults.processing_s
    )
    return int(membership["id"])


@PROCESSING
def test_the_simulator_refuses_removing_a_processing_membership(
    salesloft_simulator: SalesloftSimulator,
) -> None:
    ident = add(salesloft_simulator)
    answer = requests.delete(
        f"{salesloft_simulator.url}/v2/cadence_memberships/{ident}",
        headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"},
        timeout=10,
    )
    assert answer.status_code == 422 and "Cadence-related changes cannot be made" in answer.text
    assert salesloft_simulator.memberships_on(11)[1001]["current_state"] == "processing"


@PROCESSING
@pytest.mark.parametrize("refusals", [1, 3])
def test_a_removal_waits_until_processing_ends(
    salesloft_simulator: SalesloftSimulator, make_hook: MakeHook, refusals: int
) -> None:
    salesloft_simulator.set_faults(processing_refusals=refusals)
    ident = add(salesloft_simulator)

    make_hook(salesloft_simulator).delete_cadence_membership(ident)

    assert 1001 not in salesloft_simulator.memberships_on(11)
    assert salesloft_simulator.stats.calls_by_route["DELETE /v2/cadence_memberships/:id"] == refusals + 1


@PROCESSING
def test_a_membership_that_stays_processing_fails_with_salesloft_reason(
    salesloft_simulator: SalesloftSimulator, make_hook: MakeHook
) -> None:
    ident = add(salesloft_simulator)

    with pytest.raises(
        SalesloftValidationError, match=r"still processing after 1 s: .*Cadence-related changes"
    ):
        make_hook(salesloft_simulator).delete_cadence_membership(ident, processing_wait_s=1)

    assert salesloft_simulator.memberships_on(11)[1001]["current_state"] == "processing"


@PROCESSING
def test_another_refusal_is_not_waited_on(
    salesloft_simulator: SalesloftSimulator, make_hook: MakeHook
) -> None:
    salesloft_simulator.set_faults(processing_s=0.0)
    ident = add(salesloft_simulator)
    make_hook(salesloft_simulator).delete_cadence_membership(ident)  # staged by now: removed at once

    assert salesloft_simulator.stats.calls_by_route["DELETE /v2/cadence_memberships/:id"] == 1


@PROCESSING
def test_a_stop_ends_the_wait_for_processing_at_once(
    salesloft_simulator: SalesloftSimulator, make_hook: MakeHook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """a20: the wait between two tries of a refused removal is the pacer's, which a stopping task ends at once
    (it slept through it: up to 32 s after Airflow stopped the task, then kept trying)."""
    ident = add(salesloft_simulator)
    hook = make_hook(salesloft_simulator)
    pause = hook.pacer.pause

    def stop_then_pause(seconds: float) -> None:  # Airflow stops the task as the hook starts to wait
        hook.pacer.stop("Airflow stopped the task")
        pause(seconds)

    monkeypatch.setattr(hook.pacer, "pause", stop_then_pause)
    with pytest.raises(SalesloftStopped):
        hook.delete_cadence_membership(ident, processing_wait_s=3)
    assert salesloft_simulator.stats.calls_by_route["DELETE /v2/cadence_memberships/:id"] == 1
    assert salesloft_simulator.memberships_on(11)[1001]["current_state"] == "processing"
