"""Salesloft operators."""

from airflow_provider_salesloft.operators.cadence_membership import CreateCadenceMembershipOperator
from airflow_provider_salesloft.operators.remove_membership import RemoveCadenceMembershipOperator
from airflow_provider_salesloft.operators.sync import SyncCadenceMembershipsOperator
from airflow_provider_salesloft.operators.upsert_people import UpsertPeopleOperator

__all__ = [
    "CreateCadenceMembershipOperator",
    "RemoveCadenceMembershipOperator",
    "SyncCadenceMembershipsOperator",
    "UpsertPeopleOperator",
]
