"""The connection form, described once: what Airflow 2 and Airflow 3.2+ each read of it."""

from __future__ import annotations

from airflow_provider_salesloft import connection_form
from airflow_provider_salesloft.get_provider_info import get_provider_info


def test_connection_form_fields_reach_airflow() -> None:
    """Airflow 3.2+ reads them from provider info, Airflow 2 from the hook: either way the UI gets them.

    (Airflow 3.0/3.1 read only the hook's WTForms fields, and ship without WTForms: there the form keeps its
    standard fields, as for every provider; the README says so. CI runs 2.11 and 3.3.)
    """
    from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS, AIRFLOW_V_3_2_PLUS
    from airflow.providers_manager import ProvidersManager

    assert AIRFLOW_V_3_2_PLUS or not AIRFLOW_V_3_0_PLUS, "connection form untested on Airflow 3.0/3.1"
    manager = ProvidersManager()
    widgets = manager.connection_form_widgets
    for name in ("client_id", "client_secret", "refresh_token", "oauth_url", "app_url", "timeout"):
        assert f"extra__salesloft__{name}" in widgets
    assert widgets["extra__salesloft__client_secret"].is_sensitive
    assert widgets["extra__salesloft__refresh_token"].is_sensitive
    behaviour = manager.field_behaviours["salesloft"]
    assert behaviour["relabeling"]["password"] == "API key"
    assert set(behaviour["hidden_fields"]) >= {"login", "port", "schema"}
    assert behaviour["placeholders"]["host"] == "https://api.salesloft.com"


def test_provider_info_carries_form_metadata_for_airflow_3() -> None:
    (conn,) = get_provider_info()["connection-types"]
    assert conn["conn-fields"]["client_secret"]["schema"]["format"] == "password"
    assert conn["ui-field-behaviour"]["relabeling"] == {"host": "API URL", "password": "API key"}


def test_both_renderings_come_from_one_description() -> None:
    import importlib.util

    names = {field.name for field in connection_form.EXTRA_FIELDS}
    widgets = connection_form.wtforms_widgets()
    # Airflow 2 has WTForms and gets every field; Airflow 3.2+ may ship without it and reads provider info.
    assert set(widgets) == (names if importlib.util.find_spec("wtforms") else set())
    assert set(connection_form.provider_conn_fields()) == names
    old, new = connection_form.ui_field_behaviour(), connection_form.provider_ui_field_behaviour()
    assert old["hidden_fields"] == new["hidden-fields"]
    assert old["relabeling"] == new["relabeling"]
    assert old["placeholders"] == new["placeholders"]


def test_every_default_is_in_a_description() -> None:
    """Airflow 3.3 shows no placeholders on extra fields: the defaults must be readable in the text."""
    descriptions = {field.name: field.description for field in connection_form.EXTRA_FIELDS}
    assert connection_form.DEFAULT_TOKEN_URL in descriptions["oauth_url"]
    assert connection_form.DEFAULT_APP_URL in descriptions["app_url"]
    assert "30" in descriptions["timeout"]


def test_the_token_url_field_is_not_hidden_by_airflow() -> None:
    try:
        from airflow.sdk.execution_time.secrets_masker import should_hide_value_for_key  # Airflow 3
    except ImportError:
        from airflow.utils.log.secrets_masker import should_hide_value_for_key  # type: ignore[no-redef]

    assert not should_hide_value_for_key("oauth_url")  # shown to the user when the form is re-opened
    assert should_hide_value_for_key("token_url")  # why the field was renamed (token_url is still read)
