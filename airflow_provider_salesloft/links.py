"""Operator extra links to the Salesloft web app."""

from __future__ import annotations

from typing import Any

from airflow.providers.common.compat.sdk import BaseOperatorLink, XCom

#: XCom key under which operators store the URL of the cadence they worked on.
CADENCE_URL_XCOM_KEY = "salesloft_cadence_url"
#: Attribute the operators set during ``execute()`` (``""`` until the URL is known).
CADENCE_URL_ATTRIBUTE = "salesloft_cadence_url"


def cadence_url(app_url: str, cadence_id: int) -> str:
    """URL of a cadence in the Salesloft web app."""
    return f"{app_url.rstrip('/')}/app/cadence/{cadence_id}"


def publish_cadence_url(operator: Any, context: Any, app_url: str, cadence_id: int) -> None:
    """Make the cadence's URL available to :class:`SalesloftCadenceLink` (XCom and the running operator)."""
    url = cadence_url(app_url, cadence_id)
    setattr(operator, CADENCE_URL_ATTRIBUTE, url)
    context["ti"].xcom_push(key=CADENCE_URL_XCOM_KEY, value=url)


class SalesloftCadenceLink(BaseOperatorLink):
    """The "Salesloft cadence" button: opens the cadence the task added people to."""

    name = "Salesloft cadence"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        """The cadence URL of the task, or ``""`` when it has none.

        Airflow 3 asks the running operator right after ``execute()``; Airflow 2's web server asks later with
        a deserialized operator, so the URL also lives in the task's XCom.
        """
        url = getattr(operator, CADENCE_URL_ATTRIBUTE, None)
        if url is not None:
            return str(url)
        return XCom.get_value(key=CADENCE_URL_XCOM_KEY, ti_key=ti_key) or ""
