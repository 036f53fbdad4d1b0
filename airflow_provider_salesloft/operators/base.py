"""What every Salesloft operator shares: the connection, the hook, the colour and the cadence link."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_salesloft.assets import (
    DEFAULT_ASSET_HOST,
    cadence_outlets,
    check_asset_host,
    emit_cadence_events,
)
from airflow_provider_salesloft.connection_form import DEFAULT_CONN_ID
from airflow_provider_salesloft.links import CADENCE_URL_ATTRIBUTE, SalesloftCadenceLink, publish_cadence_url
from airflow_provider_salesloft.outcomes import RunOutcomes
from airflow_provider_salesloft.validation import check_rate_limit_share

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_salesloft.hooks.salesloft import SalesloftHook


#: Summary keys left out of log lines (lists that may be long; they are in the XCom).
LONG_SUMMARY_KEYS = ("failures", "samples", "person_ids")


class SalesloftBaseOperator(BaseOperator):
    """Base of the Salesloft operators: a templated ``salesloft_conn_id``, the hook, the cadence link.

    Subclasses add their own ``template_fields`` to :attr:`template_fields` and build the hook with
    :meth:`hook_kwargs` when they need more than the connection id.

    Lineage and assets: ``execute`` counts what it did in :attr:`outcomes`; the OpenLineage provider's
    listener (when installed) reads it through :meth:`get_openlineage_facets_on_complete`, and a cadence
    given literally is an outlet (:mod:`~airflow_provider_salesloft.assets`) whose event carries the counts.

    :param salesloft_conn_id: the Salesloft connection (templated).
    :param asset_host: the host of the cadence assets' URIs, ``salesloft://<asset_host>/cadences/<id>``.
    :param rate_limit_share: share ``[0.01, 1]`` of the team's rate limit this task may use; the rest stays
        free for the team's other integrations. Default: the connection's extra ``rate_limit_share`` (0.9
        when unset). Give every task of a team the same share.
    """

    template_fields: Sequence[str] = ("salesloft_conn_id",)
    #: Written by this operator: people (person creates or updates), besides cadences.
    writes_people = False
    operator_extra_links = (SalesloftCadenceLink(),)
    ui_color = "#e8f0fe"

    def __init__(
        self,
        *,
        salesloft_conn_id: str = DEFAULT_CONN_ID,
        asset_host: str = DEFAULT_ASSET_HOST,
        rate_limit_share: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.salesloft_conn_id = salesloft_conn_id
        self.asset_host = check_asset_host(asset_host)
        if rate_limit_share is not None:
            check_rate_limit_share(rate_limit_share)
        self.rate_limit_share = rate_limit_share
        self.outcomes = RunOutcomes()
        self._cadence_outlets: list[Any] = []
        # Read by the link on Airflow 3 right after execute(); "" until the task knows its cadence, so a
        # failed task shows no link instead of an XCom lookup error.
        setattr(self, CADENCE_URL_ATTRIBUTE, "")

    def hook_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the hook beyond the connection id (none by default)."""
        return {}

    @cached_property
    def hook(self) -> SalesloftHook:
        """The Salesloft hook of this task (built on first use, after templates are rendered; imported then,
        so that DAG files importing the operators stay light to parse)."""
        from airflow_provider_salesloft.hooks.salesloft import SalesloftHook

        hook = SalesloftHook(
            salesloft_conn_id=self.salesloft_conn_id,
            **{"rate_limit_share": self.rate_limit_share, **self.hook_kwargs()},
        )
        if self.stopping is not None:
            hook.pacer.stop(self.stopping)
        return hook

    def push_partial_summary(self, context: Context, what: str, summary: dict[str, Any]) -> None:
        """Log and push (XCom ``return_value``) the summary of work that was interrupted: ``summary`` holds
        ``stopped`` (why) and ``rows_not_done``; ``what`` names the work in the log line."""
        shown = {
            key: value for key, value in summary.items() if key not in ("failures", "samples", "person_ids")
        }
        self.log.warning(
            "Salesloft %s stopped (%s); partial summary: %s", what, summary["stopped"], json.dumps(shown)
        )
        try:
            context["ti"].xcom_push(key="return_value", value=summary)
        except Exception as error:  # the log line above still says it
            self.log.warning("Could not push the partial summary: %s", error)

    #: Why Airflow is stopping the task (set by :meth:`on_kill`), or None.
    stopping: str | None = None

    def on_kill(self) -> None:
        """Airflow is stopping the task (SIGTERM, the task marked failed, ``execution_timeout``): from now on
        no request goes out and no retry or poll wait is sat out; requests on the wire finish within their
        ``timeout``. The operator's ``execute`` then records what was done and what was not, and ends."""
        self.stopping = "Airflow stopped the task"
        self.log.warning("Salesloft: %s; sending no more requests", self.stopping)
        if "hook" in self.__dict__:  # the cached hook exists: stop its pacer
            self.hook.pacer.stop(self.stopping)

    def publish_cadence_url(self, context: Context, cadence_id: int) -> None:
        """Show ``cadence_id`` behind the task's "Salesloft cadence" link."""
        publish_cadence_url(self, context, self.hook.settings.app_url, cadence_id)

    # -- assets and lineage --------------------------------------------------------------------------------
    def declare_cadence_outlet(self, cadence_id: Any) -> None:
        """Add the cadence's asset to the task's outlets when ``cadence_id`` is literal (once: an outlet
        already given is not added again, which would emit two events per run on Airflow 2)."""
        self._cadence_outlets = cadence_outlets(cadence_id, self.asset_host)
        outlets: list[Any] = list(getattr(self, "outlets", None) or [])
        given = [str(getattr(outlet, "uri", "")) for outlet in outlets]
        new = [outlet for outlet in self._cadence_outlets if outlet.uri not in given]
        if new:
            self.outlets = [*outlets, *new]

    def emit_cadence_events(self, context: Context) -> None:
        """Attach the run's counts to the declared cadences' asset events."""
        emit_cadence_events(context, self._cadence_outlets, self.outcomes)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """OpenLineage inputs (the tables ``sql`` reads), outputs (the cadences, people) and outcome counts;
        called by the OpenLineage provider's listener, when it is installed."""
        from airflow_provider_salesloft.lineage import operator_lineage

        declared = [int(str(outlet.uri).rsplit("/", 1)[1]) for outlet in self._cadence_outlets]
        return operator_lineage(
            self,
            self.outcomes,
            declared,
            self.writes_people,
            sql=getattr(self, "sql", None),
            sql_conn_id=getattr(self, "sql_conn_id", None),
        )

    def get_openlineage_facets_on_failure(self, task_instance: Any) -> Any:
        """The same lineage for a failed run (what it did before failing); the listener adds the error."""
        return self.get_openlineage_facets_on_complete(task_instance)
