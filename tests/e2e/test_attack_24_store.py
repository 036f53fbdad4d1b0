"""Attack on ``authorize --store`` (review of #24, a24): a connection defined in the metadata database and
also in an environment variable, which tasks read first."""

from __future__ import annotations

import json

import pytest

from airflow_provider_salesloft.testing import SalesloftSimulator
from e2e.test_oauth_authorize import CLIENT_ID, CLIENT_SECRET, run_command

pytestmark = [pytest.mark.e2e, pytest.mark.salesloft_simulator(oauth_clients={CLIENT_ID: CLIENT_SECRET})]


def test_store_refuses_a_database_row_an_environment_connection_shadows(
    salesloft_simulator: SalesloftSimulator,
) -> None:
    """``--store`` wrote the database row and said "Stored" while every task kept reading the environment
    variable's (older) refresh token, the token store deleted: the next task failed with invalid_grant. Now
    it stops before the flow, naming the variable and the fix; nothing is granted or written."""
    from airflow.models import Connection
    from airflow.utils.session import create_session

    conn_id = "sl_shadowed"
    extra = json.loads(salesloft_simulator.oauth_connection_json(CLIENT_ID, CLIENT_SECRET))["extra"]
    extra["refresh_token"] = "rt-old-in-db"
    with create_session() as session:
        session.query(Connection).filter(Connection.conn_id == conn_id).delete()
        session.add(
            Connection(conn_id=conn_id, conn_type="salesloft", host=salesloft_simulator.url, extra=extra)
        )
    env_conn = salesloft_simulator.oauth_connection_json(CLIENT_ID, CLIENT_SECRET, "rt-old-in-env")
    result = run_command(
        salesloft_simulator,
        "--conn-id",
        conn_id,
        "--store",
        env={f"AIRFLOW_CONN_{conn_id.upper()}": env_conn},
    )

    assert result.returncode == 1, result.stderr
    assert "AIRFLOW_CONN_SL_SHADOWED" in result.stderr and "--print" in result.stderr
    assert "Waiting for Salesloft" not in result.stderr  # refused before the flow: no grant made and lost
    assert "Traceback" not in result.stderr
    assert not salesloft_simulator.refresh_tokens
    with create_session() as session:
        row = session.query(Connection).filter(Connection.conn_id == conn_id).one()
        assert row.extra_dejson["refresh_token"] == "rt-old-in-db"
