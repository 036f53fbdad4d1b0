"""Salesloft hooks: ``from airflow_provider_salesloft.hooks import SalesloftHook``.

The hook is imported on first use, so that importing this package stays light at DAG-parse time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_salesloft.hooks.salesloft import SalesloftHook

__all__ = ["SalesloftHook"]


def __getattr__(name: str) -> Any:
    if name == "SalesloftHook":
        from airflow_provider_salesloft.hooks.salesloft import SalesloftHook

        return SalesloftHook
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
