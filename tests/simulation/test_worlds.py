"""A fixed corpus of random worlds (hypothesis, derandomized: the same worlds on every run), each run three
times against the simulator with every promise checked after each run (see ``harness``)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, note, settings

from .harness import check_world, regression_test
from .world import World, worlds

#: Worlds in the CI corpus (``SALESLOFT_SIMULATION_WORLDS`` overrides it).
CORPUS_WORLDS = int(os.environ.get("SALESLOFT_SIMULATION_WORLDS", "40"))
#: Worlds of the corpus whose server sends no rate-limit headers (beside the few the random draw makes), each
#: with a limit even a small run reaches: the pacer learns the limit and the window's phase from 429s alone.
HEADERLESS_WORLDS = max(1, CORPUS_WORLDS // 5)
CORPUS = settings(derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))


@settings(CORPUS, max_examples=CORPUS_WORLDS)
@given(world=worlds())
def test_every_world_keeps_every_promise(world: World) -> None:
    note("As a regression test:\n" + regression_test(world))
    check_world(world)


@settings(CORPUS, max_examples=HEADERLESS_WORLDS)
@given(world=worlds(headerless=True))
def test_every_world_without_rate_limit_headers_keeps_every_promise(world: World) -> None:
    note("As a regression test:\n" + regression_test(world))
    check_world(world)
