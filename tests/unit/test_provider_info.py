"""Airflow discovers the package as a provider: connection type, hook, links."""

from __future__ import annotations

from importlib.metadata import entry_points

from airflow_provider_salesloft.get_provider_info import get_provider_info


def test_entry_point_points_at_provider_info() -> None:
    found = [
        ep
        for ep in entry_points(group="apache_airflow_provider")
        if ep.value.startswith("airflow_provider_salesloft")
    ]
    assert len(found) == 1
    assert found[0].load() is get_provider_info


def test_provider_info_fields() -> None:
    info = get_provider_info()
    assert info["package-name"] == "airflow-provider-salesloft"
    assert info["versions"]
    (conn,) = info["connection-types"]
    assert conn["connection-type"] == "salesloft"
    assert conn["hook-class-name"] == "airflow_provider_salesloft.hooks.salesloft.SalesloftHook"


def test_provider_manager_registers_hook_and_link_without_warnings(caplog) -> None:  # type: ignore[no-untyped-def]
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    assert "airflow-provider-salesloft" in manager.providers
    hook = manager.hooks["salesloft"]
    assert hook is not None
    assert hook.hook_class_name == "airflow_provider_salesloft.hooks.salesloft.SalesloftHook"
    assert "airflow_provider_salesloft.links.SalesloftCadenceLink" in manager.extra_links_class_names
    assert not [
        r for r in caplog.records if "salesloft" in r.getMessage().lower() and r.levelname == "WARNING"
    ]


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
    for name in ("client_id", "client_secret", "refresh_token", "token_url", "app_url", "timeout"):
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
