"""The team's window as stored: every field is checked before use; an invalid value is ignored, logged once,
and replaced by the next good save (no Airflow database: the Variable is a dict here)."""

from __future__ import annotations

import json
import logging
import math
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_salesloft.hooks import team_window
from airflow_provider_salesloft.hooks.rate_limit import COST_HEADER, REMAINING_HEADER, RateLimitPacer
from airflow_provider_salesloft.hooks.team_window import TeamWindow, VariableTeamWindowStore, window_problem

HOST = "http://127.0.0.1:8080"
NOW = 1_800_000_000.0


@pytest.fixture
def variables(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    stored: dict[str, str] = {}
    monkeypatch.setattr(team_window, "read_variable", stored.get)
    monkeypatch.setattr(team_window, "write_variable", stored.__setitem__)
    monkeypatch.setattr(team_window.time, "time", lambda: NOW)
    return stored


def stored(**fields: object) -> str:
    data = {"limit": 600, "starts": [NOW - 30.5, NOW - 30.0], "saved_at": NOW - 1, "probed_at": None}
    data.update(fields)
    return json.dumps({**data, "host": HOST, "window_s": 60.0})


@pytest.mark.parametrize(
    "fields",
    [
        {"starts": [math.nan, math.nan]},
        {"starts": [math.inf, math.inf]},
        {"starts": [NOW, NOW - 5]},
        {"starts": [NOW - 300, NOW]},
        {"starts": "soon"},
        {"starts": [1, 2, 3]},
        {"limit": math.nan},
        {"limit": math.inf},
        {"limit": -5},
        {"limit": 0},
        {"limit": 10**12},
        {"limit": "600"},
        {"limit": True},
        {"limit": 600.5},
        {"saved_at": math.nan},
        {"saved_at": -math.inf},
        {"saved_at": NOW + 86400},
        {"saved_at": "now"},
        {"probed_at": math.nan},
        {"probed_at": [1]},
        {"limit": None},
    ],
)
def test_an_invalid_field_is_ignored_logged_once_and_replaced_by_the_next_save(
    variables: dict[str, str], caplog: pytest.LogCaptureFixture, fields: dict[str, object]
) -> None:
    store = VariableTeamWindowStore("sl", HOST, 60.0)
    variables[store.key] = stored(**fields)
    with caplog.at_level(logging.WARNING, logger=team_window.__name__):
        assert store.load() is None
        assert store.load() is None
    assert len([r for r in caplog.records if "Ignoring Variable" in r.getMessage()]) == 1
    good = TeamWindow(limit=600, starts=(NOW - 0.5, NOW), saved_at=NOW)
    store.save(good)
    assert store.load() == good


def test_a_valid_window_is_read() -> None:
    window = TeamWindow(limit=600, starts=(NOW - 0.5, NOW), saved_at=NOW - 1, probed_at=NOW - 2)
    assert window_problem(window, 60.0, NOW) is None


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=NOW - 7200, max_value=NOW)
anything = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=3),
    st.integers(-(10**13), 10**13),
    st.floats(),
    finite,
    st.lists(st.one_of(st.floats(), finite), max_size=3),
)


@given(limit=anything, starts=anything, saved_at=anything, probed_at=anything)
def test_whatever_the_variable_holds_a_hook_paces_without_error(
    limit: object, starts: object, saved_at: object, probed_at: object
) -> None:
    """Invariant: whatever JSON the Variable holds, loading it and pacing on it raise nothing, and a window
    the pacer adopts has only finite fields in range."""
    raw = {"limit": limit, "starts": starts, "saved_at": saved_at, "probed_at": probed_at}
    memory = {"salesloft_rate_window__sl": json.dumps({**raw, "host": HOST, "window_s": 60.0})}
    store = VariableTeamWindowStore("sl", HOST, 60.0)
    with (
        mock.patch.object(team_window, "read_variable", memory.get),
        mock.patch.object(team_window, "write_variable", memory.__setitem__),
        mock.patch.object(team_window.time, "time", return_value=NOW),
    ):
        loaded = store.load()
        if loaded is not None:
            assert window_problem(loaded, 60.0, NOW) is None
        clock = [100.0]
        pacer = RateLimitPacer(
            share=0.9,
            window_s=60.0,
            clock=lambda: clock[0],
            store=store,
            wall_clock=lambda: NOW + clock[0] - 100.0,
        )
        for remaining in (500, 499, 498):
            sent_at = pacer.acquire()
            pacer.release(1, sent_at, 200, {REMAINING_HEADER: str(remaining), COST_HEADER: "1"})
            clock[0] += 0.5


class BadStore:
    """Any store handing out a window with NaN starts (the pacer checks what every store gives)."""

    def __init__(self) -> None:
        self.window: TeamWindow | None = TeamWindow(limit=100, starts=(math.nan, math.nan), saved_at=0.0)
        self.saved: list[TeamWindow] = []

    def load(self) -> TeamWindow | None:
        return self.window

    def save(self, window: TeamWindow) -> None:
        self.saved.append(window)
        self.window = window


def test_a_pacer_ignores_an_invalid_window_and_its_next_save_replaces_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = [10.0]
    store = BadStore()
    pacer = RateLimitPacer(window_s=10.0, clock=lambda: clock[0], store=store, wall_clock=lambda: clock[0])
    with caplog.at_level(logging.WARNING):
        for remaining in (99, 98, 97):
            sent_at = pacer.acquire()
            pacer.release(1, sent_at, 200, {REMAINING_HEADER: str(remaining), COST_HEADER: "1"})
    assert store.saved and window_problem(store.saved[-1], 10.0, clock[0]) is None
    assert len([r for r in caplog.records if "Ignoring the team" in r.getMessage()]) == 1
