"""Salesloft operators."""

from airflow_provider_salesloft.operators.cadence_membership import CreateCadenceMembershipOperator

__all__ = ["CreateCadenceMembershipOperator"]
