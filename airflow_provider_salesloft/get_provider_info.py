"""Provider metadata Airflow's provider manager reads through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any

from airflow_provider_salesloft import __version__
from airflow_provider_salesloft.connection_form import provider_conn_fields, provider_ui_field_behaviour


def get_provider_info() -> dict[str, Any]:
    """Describe the package: connection type, hooks, operators, links."""
    return {
        "package-name": "airflow-provider-salesloft",
        "name": "Salesloft",
        "description": "`Salesloft <https://www.salesloft.com/>`__ sales-engagement platform: cadences, "
        "people and memberships.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "Salesloft",
                "external-doc-url": "https://developers.salesloft.com/docs/api/",
                "tags": ["service"],
            }
        ],
        "hooks": [
            {
                "integration-name": "Salesloft",
                "python-modules": ["airflow_provider_salesloft.hooks.salesloft"],
            }
        ],
        "operators": [
            {
                "integration-name": "Salesloft",
                "python-modules": [
                    "airflow_provider_salesloft.operators.cadence_membership",
                    "airflow_provider_salesloft.operators.remove_membership",
                    "airflow_provider_salesloft.operators.sync",
                    "airflow_provider_salesloft.operators.upsert_people",
                ],
            }
        ],
        "triggers": [
            {
                "integration-name": "Salesloft",
                "python-modules": ["airflow_provider_salesloft.triggers.bulk_job"],
            }
        ],
        "connection-types": [
            {
                "connection-type": "salesloft",
                "hook-class-name": "airflow_provider_salesloft.hooks.salesloft.SalesloftHook",
                "hook-name": "Salesloft",
                "conn-fields": provider_conn_fields(),
                "ui-field-behaviour": provider_ui_field_behaviour(),
            }
        ],
        "extra-links": ["airflow_provider_salesloft.links.SalesloftCadenceLink"],
    }
