"""The simulator's ``glitch_remaining_at_call``: exactly one answer reports ``remaining 59999``, the one to
the call of that number, however the calls overlap (plain HTTP, no provider code in between)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from airflow_provider_salesloft.testing import DEFAULT_API_KEY, SalesloftSimulator

AUTH = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}


def remaining_of(sim: SalesloftSimulator, calls: int, at_once: int) -> list[str]:
    """``calls`` calls of ``GET /v2/me``, ``at_once`` in flight together: what each answer says is left."""
    with ThreadPoolExecutor(at_once) as pool:
        answers = pool.map(lambda _: requests.get(f"{sim.url}/v2/me", headers=AUTH, timeout=10), range(calls))
        return [answer.headers["x-ratelimit-remaining-minute"] for answer in answers]


def test_one_glitched_answer_when_calls_overlap() -> None:
    """Four calls in flight together, each charged 300 ms after it arrived: only one answer glitches.
    Before: the glitch went to every call charged while the simulator's call count stood at the number, so
    here to all four (in the benchmark, to two of a sync's four: two agreeing answers, which the pacer
    believes by design, held the sync to one request a window for 6 windows)."""
    with SalesloftSimulator(rate_limit=600, latency_ms=(300, 300), glitch_remaining_at_call=4) as sim:
        remaining = remaining_of(sim, calls=4, at_once=4)
    assert remaining.count("59999") == 1, remaining


def test_the_glitch_is_the_answer_to_that_call() -> None:
    with SalesloftSimulator(rate_limit=600, glitch_remaining_at_call=3) as sim:
        remaining = remaining_of(sim, calls=5, at_once=1)
    assert remaining == ["599", "598", "59999", "596", "595"]
