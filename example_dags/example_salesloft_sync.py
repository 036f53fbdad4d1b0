"""Nightly warehouse-to-cadence sync: leads from a SQLite table go on their Salesloft cadences.

``load_sample_leads`` stands in for the warehouse: it (re)creates a ``leads`` table from the shipped
``data/leads.csv`` in the SQLite database of the ``salesloft_leads_db`` connection. The sync reads it with
SQL, in chunks, and pushes a summary that ``report`` reads.

Connections: ``salesloft_default`` (Salesloft) and ``salesloft_leads_db`` (SQLite, ``host`` = file path).
Needs ``apache-airflow-providers-sqlite`` for the SQLite connection type.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

from airflow.providers.common.compat.sdk import DAG, BaseHook, task

# [START imports]
from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator

# [END imports]
from airflow_provider_salesloft.operators.sync import OUTCOMES

LEADS_CSV = Path(__file__).parent / "data" / "leads.csv"
# [START leads_conn]
# The warehouse: any connection with a common.sql hook.
LEADS_CONN_ID = "salesloft_leads_db"
# [END leads_conn]

with DAG(
    dag_id="example_salesloft_sync",
    schedule="@daily",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["example", "salesloft"],
    doc_md=__doc__,
) as dag:

    @task
    def load_sample_leads() -> int:
        """Stand-in for the warehouse: load the sample leads into SQLite."""
        connection = BaseHook.get_connection(LEADS_CONN_ID).get_hook().get_conn()
        with LEADS_CSV.open() as handle:
            rows = [(r["email"], r["cadence_id"], r["segment"]) for r in csv.DictReader(handle)]
        with connection:
            connection.execute("DROP TABLE IF EXISTS leads")
            connection.execute("CREATE TABLE leads (email TEXT, cadence_id TEXT, segment TEXT)")
            connection.executemany("INSERT INTO leads VALUES (?, ?, ?)", rows)
        connection.close()
        return len(rows)

    # [START howto_operator_sync]
    sync = SyncCadenceMembershipsOperator(
        task_id="sync_leads_to_cadences",
        sql="""
            SELECT email, cadence_id FROM leads
            WHERE segment IN ('inbound', 'outbound')
        """,
        # Any common.sql / DB-API connection: Snowflake, Postgres, SQLite, ...
        sql_conn_id=LEADS_CONN_ID,
        cadence_id=10,  # default for rows without cadence_id (also user_id, step_id)
        max_failed_rows=5,  # a few malformed warehouse rows should not stop the night
        rate_limit_share=0.9,  # leave 10 % of the team's budget to other integrations
        # One Airflow pool per Salesloft team: parallel syncs share one budget.
        pool="salesloft_api",
    )
    # [END howto_operator_sync]

    @task
    def report(summary: dict[str, Any]) -> None:
        """What the downstream task receives."""
        counts = {key: summary[key] for key in ("rows", *OUTCOMES)}
        print(f"SYNC SUMMARY {counts} api_calls={summary['api_calls']} elapsed_s={summary['elapsed_s']}")

    load_sample_leads() >> sync
    report(sync.output)  # type: ignore[arg-type]
