"""``make fuzz``: random worlds for ``FUZZ_MINUTES`` (default 20); a failing world is shrunk and printed as
a ready-to-paste regression test. Run through pytest (the Airflow home of the test session):
``SALESLOFT_FUZZ_MINUTES=5 python -m pytest tests/simulation/fuzz.py -s``."""

from __future__ import annotations

import os
import time

from hypothesis import HealthCheck, given, settings

from .harness import check_world, regression_test
from .world import World, worlds

#: Worlds per hypothesis search (each search has its own random seed, printed when it fails).
WORLDS_PER_ROUND = 50


def test_fuzz() -> None:
    """Search worlds until the time is up; on a failure print the minimal world as a regression test."""
    minutes = float(os.environ.get("SALESLOFT_FUZZ_MINUTES", "20"))
    deadline = time.monotonic() + minutes * 60
    ran = {"worlds": 0}
    last: dict[str, World] = {}

    @settings(
        max_examples=WORLDS_PER_ROUND,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(world=worlds())
    def search(world: World) -> None:
        ran["worlds"] += 1
        last["world"] = world
        check_world(world)

    rounds = 0
    try:
        while time.monotonic() < deadline:
            search()
            rounds += 1
            print(f"fuzz: {ran['worlds']} worlds in {rounds} rounds, nothing found", flush=True)
    except BaseException:
        print("fuzz: a world broke a promise; paste this into tests/simulation/test_regressions.py:\n")
        print(regression_test(last["world"]))
        raise
    print(f"fuzz: done: {ran['worlds']} worlds in {minutes:g} minutes, nothing found")
