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
