"""A fixed corpus of random worlds (hypothesis, derandomized: the same worlds on every run), each run three
times against the simulator with every promise checked after each run (see ``harness``)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, note, settings

from .harness import check_world, regression_test
from .world import World, worlds

#: Worlds in the CI corpus (``SALESLOFT_SIMULATION_WORLDS`` overrides it).
CORPUS_WORLDS = int(os.environ.get("SALESLOFT_SIMULATION_WORLDS", "40"))


@settings(
    max_examples=CORPUS_WORLDS,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(world=worlds())
def test_every_world_keeps_every_promise(world: World) -> None:
    note("As a regression test:\n" + regression_test(world))
    check_world(world)
