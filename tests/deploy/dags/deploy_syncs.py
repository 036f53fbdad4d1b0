"""Four syncs of one Salesloft team side by side, sharing half of the team's rate limit.

``dag_run.conf["rows"]``: a list of four row lists, one per sync task.
"""

from __future__ import annotations

from datetime import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator

SYNCS = 4
SHARE = 0.5

with DAG(dag_id="deploy_syncs", schedule=None, start_date=datetime(2025, 1, 1), catchup=False) as dag:
    for number in range(SYNCS):
        SyncCadenceMembershipsOperator(
            task_id=f"sync_{number}",
            retries=0,
            rows=f"{{{{ dag_run.conf['rows'][{number}] | tojson }}}}",
            cadence_id=10,
            rate_limit_share=SHARE,
            max_concurrency=4,
        )
