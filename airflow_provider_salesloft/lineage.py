"""OpenLineage for the Salesloft operators (with the optional ``openlineage`` extra).

Imported only by the operators' ``get_openlineage_facets_on_complete`` / ``_on_failure``, which only the
OpenLineage provider's listener calls: without the provider nothing here is imported, at DAG parse or ever.

- Inputs: the tables ``sql`` reads on ``sql_conn_id``, through common.sql's OpenLineage support (the
  hook's database info and dialect, :func:`get_openlineage_facets_with_sql`); for a hook without that
  support (SQLite) the same SQL parser names the tables, in a ``<conn type>://<host>`` namespace.
- Outputs, in the ``salesloft://<API host>`` namespace: ``cadences/<id>`` for each cadence written, and
  ``people`` for person writes; each with the output statistics facet (rows written).
- A run facet ``salesloft_outcomes``: the outcome counts, per cadence and of people. The listener itself
  adds the error message on failure.

Nothing from a connection but its type, host and port reaches an event: no login, password or extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from attrs import define, field
from openlineage.client.event_v2 import InputDataset, OutputDataset
from openlineage.client.facet_v2 import RunFacet, output_statistics_output_dataset

from airflow_provider_salesloft.outcomes import RunOutcomes

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage

#: The scheme of Salesloft datasets: ``salesloft://api.salesloft.com``.
SCHEME = "salesloft"


@define
class SalesloftOutcomesRunFacet(RunFacet):
    """How many rows ended in each outcome: per cadence (``cadences``: id -> outcome -> rows), of person
    writes (``people``), and in all (``totals``); for a ``dry_run``, what would have happened."""

    operator: str
    totals: dict[str, int] = field(factory=dict)
    cadences: dict[str, dict[str, int]] = field(factory=dict)
    people: dict[str, int] = field(factory=dict)
    dry_run: bool = False


def salesloft_namespace(base_url: str) -> str:
    """``salesloft://<host[:port]>`` of the API the connection calls."""
    return f"{SCHEME}://{urlsplit(base_url).netloc}"


def operator_lineage(
    operator: Any,
    outcomes: RunOutcomes,
    cadence_ids: list[int],
    writes_people: bool,
    sql: str | None = None,
    sql_conn_id: str | None = None,
) -> OperatorLineage:
    """The lineage of one task run of a Salesloft operator.

    :param operator: the operator (its hook gives the API host).
    :param outcomes: what the run did (empty when it failed before doing anything).
    :param cadence_ids: the cadences the task targets (declared ones, and those its rows named).
    :param writes_people: the task creates or updates people.
    :param sql: the query the rows came from, with ``sql_conn_id``.
    """
    from airflow.providers.openlineage.extractors import OperatorLineage

    namespace = salesloft_namespace(operator.hook.settings.base_url)
    outputs = [
        _output(namespace, f"cadences/{cadence_id}", outcomes.cadence_written(cadence_id))
        for cadence_id in sorted(set(cadence_ids) | set(outcomes.cadences))
    ]
    if writes_people:
        outputs.append(_output(namespace, "people", outcomes.people_written()))
    facet = SalesloftOutcomesRunFacet(
        operator=type(operator).__name__,
        totals=outcomes.totals(),
        cadences={str(ident): dict(counts) for ident, counts in sorted(outcomes.cadences.items())},
        people=dict(outcomes.people),
        dry_run=outcomes.dry_run,
    )
    inputs = sql_inputs(sql, sql_conn_id) if sql and sql_conn_id else []
    return OperatorLineage(inputs=inputs, outputs=outputs, run_facets={"salesloft_outcomes": facet})


def _output(namespace: str, name: str, rows: int) -> OutputDataset:
    statistics = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(rowCount=rows)
    return OutputDataset(namespace=namespace, name=name, outputFacets={"outputStatistics": statistics})


def sql_inputs(sql: str, conn_id: str) -> list[InputDataset]:
    """The tables ``sql`` reads, as OpenLineage input datasets."""
    from airflow.providers.common.compat.sdk import BaseHook
    from airflow.providers.openlineage.sqlparser import SQLParser

    connection = BaseHook.get_connection(conn_id)
    hook = connection.get_hook()
    try:
        from airflow.providers.openlineage.sqlparser import get_openlineage_facets_with_sql
    except ImportError:  # an older openlineage provider: the parser below
        lineage = None
    else:
        lineage = get_openlineage_facets_with_sql(
            hook=hook, sql=sql, conn_id=conn_id, database=None, use_connection=False
        )
    if lineage is not None:
        return [InputDataset(namespace=d.namespace, name=d.name, facets=d.facets) for d in lineage.inputs]
    meta = SQLParser(dialect="generic").parse(sql)
    if meta is None:
        return []
    location = (connection.host or "").rsplit("@", 1)[-1]  # never user info, should a host hold any
    if connection.port:
        location = f"{location}:{connection.port}"
    namespace = f"{connection.conn_type}://{location}"
    return [InputDataset(namespace=namespace, name=table.qualified_name) for table in meta.in_tables]
