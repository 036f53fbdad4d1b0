"""A task's first request (a deferred upsert's first poll in the triggerer, a sync's or an add's first call)
goes out at once, whatever the team's window holds: the record tells the limit and when windows start, never
what is left, so a pacer that joins the team has nothing to wait for until its first answer tells it.

(Issue #22: the triggerer's first poll came 9-17 s after the trigger started on a real deployment. Not the
pacer, as these tests pin: counted in-process, the hook sends 7 Task SDK messages before that poll with an
OAuth connection (5 ``mask_secret``, the token store's Variable, the team's window Variable), each a round
trip through the triggerer's supervisor loop.)
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_salesloft.hooks.rate_limit import RateLimitPacer
from airflow_provider_salesloft.hooks.team_window import TeamWindow
from unit.hooks.test_rate_limit_shared import Clock, MemoryStore

NOW = 1_800_000_000.0
ago = st.floats(min_value=0.0, max_value=600.0)


@st.composite
def team_windows(draw: st.DrawFn) -> TeamWindow | None:
    """Any valid record of the team's window, as another task of the team may have left it just now."""
    if draw(st.booleans()):
        return None
    starts = None
    if draw(st.booleans()):
        hi = NOW - draw(ago)
        starts = (hi - draw(st.floats(min_value=0.0, max_value=10.0)), hi)
    return TeamWindow(
        limit=draw(st.integers(min_value=1, max_value=100_000)),
        starts=starts,
        saved_at=NOW - draw(ago),
        probed_at=draw(st.none() | ago.map(lambda seconds: NOW - seconds)),
    )


@settings(max_examples=60, deadline=None)
@given(
    window=team_windows(),
    share=st.floats(min_value=0.05, max_value=1.0),
    aligned=st.booleans(),
    cost=st.integers(min_value=1, max_value=30),
)
def test_a_fresh_pacer_lets_its_first_request_out_at_once(
    window: TeamWindow | None, share: float, aligned: bool, cost: int
) -> None:
    """Invariant: the first ``try_acquire`` of a pacer joining the team lets the request out, after one read
    of the team's window and no write."""
    clock, store = Clock(), MemoryStore()
    clock.now = 5.0
    store.window = window
    pacer = RateLimitPacer(
        share=share,
        window_s=10.0,
        clock=clock,
        store=store,
        wall_clock=lambda: NOW + clock.now - 5.0,
        minute_aligned=aligned,
    )
    loads = []
    load = store.load
    store.load = lambda: loads.append(1) or load()  # type: ignore[method-assign]
    assert pacer.try_acquire(cost) == (True, 0.0)
    assert (len(loads), store.saves) == (1, 0)
