"""The team's shared rate-limit window in the session's metadata db: what one task learns, the next reads;
a window of another host, another window length, too old, or unreadable is ignored."""

from __future__ import annotations

import time

import pytest
from support import delete_variable

from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.hooks.team_window import MAX_AGE_S, TeamWindow, VariableTeamWindowStore
from airflow_provider_salesloft.hooks.variables import write_variable
from airflow_provider_salesloft.testing import SalesloftSimulator

pytestmark = pytest.mark.e2e

HOST = "http://127.0.0.1:8080"


@pytest.fixture
def store() -> VariableTeamWindowStore:
    store = VariableTeamWindowStore("sl_team_window", HOST, 60.0)
    delete_variable(store.key)
    return store


def test_what_one_task_saves_the_next_reads(store: VariableTeamWindowStore) -> None:
    assert store.load() is None
    window = TeamWindow(limit=600, starts=(1000.0, 1000.5), saved_at=time.time(), probed_at=999.0)
    store.save(window)
    assert VariableTeamWindowStore("sl_team_window", HOST, 60.0).load() == window


@pytest.mark.parametrize(
    ("host", "window_s", "age_s"),
    [("http://127.0.0.1:9999", 60.0, 0.0), (HOST, 10.0, 0.0), (HOST, 60.0, MAX_AGE_S + 1)],
    ids=["other host", "other window length", "too old"],
)
def test_a_window_learned_elsewhere_or_long_ago_is_ignored(
    store: VariableTeamWindowStore, host: str, window_s: float, age_s: float
) -> None:
    VariableTeamWindowStore("sl_team_window", host, window_s).save(
        TeamWindow(limit=600, starts=None, saved_at=time.time() - age_s)
    )
    assert store.load() is None


def test_an_unreadable_window_is_ignored(store: VariableTeamWindowStore) -> None:
    write_variable(store.key, "not json")
    assert store.load() is None
    write_variable(store.key, '{"limit": "many"}')
    assert store.load() is None


def test_a_hook_shares_what_its_pacer_learned(
    salesloft_simulator: SalesloftSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a few calls, the connection's Variable holds the team's limit, for the next task to start."""
    monkeypatch.setenv("AIRFLOW_CONN_SL_SHARE", salesloft_simulator.connection_uri_json())
    hook = SalesloftHook(salesloft_conn_id="sl_share")
    store = VariableTeamWindowStore("sl_share", hook.settings.base_url, hook.settings.rate_window_s)
    delete_variable(store.key)
    for _ in range(3):
        hook.get_me()
    loaded = store.load()
    assert loaded is not None and loaded.limit == salesloft_simulator.faults.rate_limit
