"""What every Salesloft operator shares: the connection, the hook, the colour and the cadence link."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_salesloft.connection_form import DEFAULT_CONN_ID
from airflow_provider_salesloft.links import CADENCE_URL_ATTRIBUTE, SalesloftCadenceLink, publish_cadence_url
from airflow_provider_salesloft.validation import check_rate_limit_share

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_salesloft.hooks.salesloft import SalesloftHook


class SalesloftBaseOperator(BaseOperator):
    """Base of the Salesloft operators: a templated ``salesloft_conn_id``, the hook, the cadence link.

    Subclasses add their own ``template_fields`` to :attr:`template_fields` and build the hook with
    :meth:`hook_kwargs` when they need more than the connection id.

    :param salesloft_conn_id: the Salesloft connection (templated).
    :param rate_limit_share: share ``(0, 1]`` of the team's rate limit this task may use; the rest stays
        free for the team's other integrations. Default: the connection's extra ``rate_limit_share`` (0.9
        when unset). Give every task of a team the same share.
    """

    template_fields: Sequence[str] = ("salesloft_conn_id",)
    operator_extra_links = (SalesloftCadenceLink(),)
    ui_color = "#e8f0fe"

    def __init__(
        self,
        *,
        salesloft_conn_id: str = DEFAULT_CONN_ID,
        rate_limit_share: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.salesloft_conn_id = salesloft_conn_id
        if rate_limit_share is not None:
            check_rate_limit_share(rate_limit_share)
        self.rate_limit_share = rate_limit_share
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

        return SalesloftHook(
            salesloft_conn_id=self.salesloft_conn_id,
            **{"rate_limit_share": self.rate_limit_share, **self.hook_kwargs()},
        )

    def publish_cadence_url(self, context: Context, cadence_id: int) -> None:
        """Show ``cadence_id`` behind the task's "Salesloft cadence" link."""
        publish_cadence_url(self, context, self.hook.settings.app_url, cadence_id)
