"""Row results in the warehouse, and a DAG that runs when a cadence changed.

``example_salesloft_results_and_assets`` syncs the inbound leads of the ``salesloft_leads_db`` connection
(SQLite here; any common.sql warehouse) onto cadence 10 and writes one row per lead per run into
``salesloft_sync_results`` beside them. Cadence 10 is given literally, so the task declares the asset
``salesloft://api.salesloft.com/cadences/10``: ``example_salesloft_cadence_10_changed`` is scheduled on it
and reads the counts from the asset event. With the ``openlineage`` extra installed, the sync also
reports ``leads`` -> ``cadences/10`` to your lineage backend.

Connections: ``salesloft_default`` (Salesloft) and ``salesloft_leads_db`` (SQLite, ``host`` = file path).
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

from airflow.providers.common.compat.sdk import DAG, BaseHook, get_current_context, task

# [START imports]
from airflow_provider_salesloft.assets import cadence_asset
from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator

# [END imports]

LEADS_CSV = Path(__file__).parent / "data" / "leads.csv"
LEADS_CONN_ID = "salesloft_leads_db"

with DAG(
    dag_id="example_salesloft_results_and_assets",
    schedule="@daily",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["example", "salesloft"],
    doc_md=__doc__,
) as dag:

    @task
    def load_inbound_leads() -> None:
        """Stand-in for the warehouse: the sample's inbound leads in a ``leads`` table."""
        with LEADS_CSV.open() as handle:
            rows = [(r["email"], r["segment"]) for r in csv.DictReader(handle) if r["segment"] == "inbound"]
        connection = BaseHook.get_connection(LEADS_CONN_ID).get_hook().get_conn()
        with connection:
            connection.execute("DROP TABLE IF EXISTS leads")
            connection.execute("CREATE TABLE leads (email TEXT, segment TEXT)")
            connection.executemany("INSERT INTO leads VALUES (?, ?)", rows)
        connection.close()

    # [START howto_results_and_assets]
    sync = SyncCadenceMembershipsOperator(
        task_id="sync_inbound_leads",
        sql="SELECT email FROM leads WHERE segment = 'inbound'",
        sql_conn_id=LEADS_CONN_ID,
        # A literal: the task's outlet is salesloft://api.salesloft.com/cadences/10.
        cadence_id=10,
        max_failed_rows=5,
        # One row per lead per run; the table is created when missing.
        results_table="salesloft_sync_results",
    )
    # [END howto_results_and_assets]
    load_inbound_leads() >> sync

# [START howto_cadence_asset_schedule]
with DAG(
    dag_id="example_salesloft_cadence_10_changed",
    # Runs after each sync that wrote cadence 10's asset event.
    schedule=[cadence_asset(10)],
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["example", "salesloft"],
) as downstream_dag:

    @task
    def follow_up() -> Any:
        """Read what changed: each triggering event's extra has ``cadence_id``,
        ``rows_written`` and a count per outcome (``added``, ...)."""
        context: Any = get_current_context()
        events = (
            context.get("triggering_asset_events")  # Airflow 3
            or context.get("triggering_dataset_events")  # Airflow 2
            or {}
        )
        extras = [event.extra for changes in events.values() for event in changes]
        print("CADENCE 10 CHANGED", extras)
        return extras

    follow_up()
# [END howto_cadence_asset_schedule]
