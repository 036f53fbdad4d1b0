"""Operator extra links to the Salesloft web app."""

from __future__ import annotations

from typing import Any

from airflow.providers.common.compat.sdk import BaseOperatorLink, XCom

#: XCom key under which operators store the URL of the cadence they worked on.
CADENCE_URL_XCOM_KEY = "salesloft_cadence_url"


def cadence_url(app_url: str, cadence_id: int) -> str:
    """URL of a cadence in the Salesloft web app."""
    return f"{app_url.rstrip('/')}/app/cadence/{cadence_id}"


class SalesloftCadenceLink(BaseOperatorLink):
    """ "Salesloft cadence": opens the cadence the task added people to (read from the task's XCom)."""

    name = "Salesloft cadence"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        """Return the cadence URL the task pushed, or ``""`` before the task has run."""
        return XCom.get_value(key=CADENCE_URL_XCOM_KEY, ti_key=ti_key) or ""
