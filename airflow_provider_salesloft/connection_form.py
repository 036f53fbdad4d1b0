"""The ``salesloft`` connection form, described once and rendered for every Airflow line.

Airflow 3.2+ reads ``conn-fields`` and ``ui-field-behaviour`` from provider info (no hook import); older
lines call the hook's ``get_connection_form_widgets`` and ``get_ui_field_behaviour``. Both come from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The connection the hook and operators use unless told otherwise.
DEFAULT_CONN_ID = "salesloft_default"
DEFAULT_API_URL = "https://api.salesloft.com"
DEFAULT_TOKEN_URL = "https://accounts.salesloft.com/oauth/token"
DEFAULT_APP_URL = "https://app.salesloft.com"


@dataclass(frozen=True)
class FormField:
    """One extra field of the connection form (stored in the connection's extras under ``name``)."""

    name: str
    label: str
    description: str
    secret: bool = False
    number: bool = False


EXTRA_FIELDS = (
    FormField("client_id", "OAuth client ID", "OAuth only: the client ID of your Salesloft OAuth app."),
    FormField("client_secret", "OAuth client secret", "OAuth only: the app's client secret.", secret=True),
    FormField(
        "refresh_token",
        "OAuth refresh token",
        "OAuth with a user's authorization: the first refresh token. Rotated tokens are kept in the Variable "
        "salesloft_oauth_token__<conn_id>. Leave empty for the client-credentials grant.",
        secret=True,
    ),
    # Not "token_url": Airflow hides every extra whose name holds "token", and this URL is no secret.
    FormField("oauth_url", "OAuth token URL", f"Default {DEFAULT_TOKEN_URL}. (Also read as token_url.)"),
    FormField("app_url", "Salesloft web app URL", f"For links from tasks. Default {DEFAULT_APP_URL}."),
    FormField("timeout", "Request timeout (seconds)", "Default 30.", number=True),
    FormField(
        "rate_limit_share",
        "Rate-limit share",
        "Share [0.01, 1] of the team's Salesloft rate limit this connection's tasks may use; the rest stays "
        "free for the team's other integrations. Default 0.9. An operator's rate_limit_share overrides it.",
        number=True,
    ),
)

HIDDEN_FIELDS = ["schema", "port", "login"]
RELABELING = {"host": "API URL", "password": "API key"}
PLACEHOLDERS = {
    "host": DEFAULT_API_URL,
    "password": "Salesloft API key (leave empty when using OAuth)",
    "oauth_url": DEFAULT_TOKEN_URL,
    "app_url": DEFAULT_APP_URL,
    "timeout": "30",
    "rate_limit_share": "0.9",
}


def provider_conn_fields() -> dict[str, Any]:
    """``conn-fields`` for provider info (Airflow 3.2+)."""
    fields: dict[str, Any] = {}
    for field in EXTRA_FIELDS:
        schema: dict[str, Any] = {"type": ["number" if field.number else "string", "null"]}
        if field.secret:
            schema["format"] = "password"
        fields[field.name] = {"label": field.label, "description": field.description, "schema": schema}
    return fields


def provider_ui_field_behaviour() -> dict[str, Any]:
    """``ui-field-behaviour`` for provider info (Airflow 3.2+)."""
    return {"hidden-fields": HIDDEN_FIELDS, "relabeling": RELABELING, "placeholders": PLACEHOLDERS}


def wtforms_widgets() -> dict[str, Any]:
    """The extra fields as WTForms fields (the connection form of Airflow 2, 3.0 and 3.1).

    Airflow 2 renders them with Flask-AppBuilder's Bootstrap widgets; Airflow 3.0/3.1 have no
    Flask-AppBuilder and read only the fields' labels and descriptions, so plain fields serve there; 3.2+
    reads :func:`provider_conn_fields` and may not have WTForms at all.
    """
    try:
        from wtforms import PasswordField, StringField
    except ImportError:
        return {}

    try:
        from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
        from flask_babel import lazy_gettext
    except ImportError:
        return {
            field.name: (PasswordField if field.secret else StringField)(
                field.label, description=field.description
            )
            for field in EXTRA_FIELDS
        }
    return {
        field.name: (PasswordField if field.secret else StringField)(
            lazy_gettext(field.label),
            widget=BS3PasswordFieldWidget() if field.secret else BS3TextFieldWidget(),
            description=field.description,
        )
        for field in EXTRA_FIELDS
    }


def ui_field_behaviour() -> dict[str, Any]:
    """Hidden, relabeled and placeholder fields (Airflow 2's connection form)."""
    return {"hidden_fields": HIDDEN_FIELDS, "relabeling": RELABELING, "placeholders": PLACEHOLDERS}
