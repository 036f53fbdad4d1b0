"""UpsertPeopleOperator's arguments and row mapping, the bulk-or-not choice, and the trigger's round trip
through ``serialize()`` (the e2e tests run them against the simulator)."""

from __future__ import annotations

import importlib

import pytest

from airflow_provider_salesloft.exceptions import SalesloftInvalidArgumentError
from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator, UpsertPeopleOperator
from airflow_provider_salesloft.operators.person_upserts import bulk_cost, upsert_key_value, use_bulk
from airflow_provider_salesloft.person_fields import person_fields
from airflow_provider_salesloft.triggers.bulk_job import SalesloftBulkJobTrigger


@pytest.mark.parametrize(
    ("field_map", "message"),
    [
        ({"company": "company_name"}, "'company' -> 'company_name'"),
        ({"segment": "custom_fields."}, "no Salesloft person field"),
        ({"": "title"}, "non-empty text"),
        (["email"], "must map column names"),
    ],
)
def test_a_bad_field_map_is_refused_when_the_dag_is_parsed(field_map: object, message: str) -> None:
    with pytest.raises(SalesloftInvalidArgumentError, match="field_map") as error:
        UpsertPeopleOperator(task_id="upsert", rows=[], field_map=field_map)  # type: ignore[arg-type]
    assert message in str(error.value)
    with pytest.raises(SalesloftInvalidArgumentError, match="field_map"):
        SyncCadenceMembershipsOperator(
            task_id="sync",
            rows=[],
            create_missing_people=True,
            field_map=field_map,  # type: ignore[arg-type]
        )


@pytest.mark.parametrize(
    ("argument", "value"),
    [("upsert_key", "name"), ("bulk_threshold", 0), ("poll_interval_s", 0), ("timeout_s", "1h")],
)
def test_bad_arguments_name_themselves(argument: str, value: object) -> None:
    with pytest.raises(SalesloftInvalidArgumentError, match=argument):
        UpsertPeopleOperator(task_id="upsert", rows=[], **{argument: value})


def test_rows_map_to_person_fields() -> None:
    row = {
        "email": " Ada@Example.com ",
        "first_name": "Ada",
        "company": "Acme",
        "segment": "SMB",
        "title": "",
        "cadence_id": 10,
        "unrelated": "x",
    }
    fields = person_fields(row, {"company": "person_company_name", "segment": "custom_fields.Segment"})

    assert fields == {
        "email_address": "Ada@Example.com",
        "first_name": "Ada",
        "person_company_name": "Acme",
        "custom_fields": {"Segment": "SMB"},
    }
    assert upsert_key_value(fields, "email_address") == ("ada@example.com", None)
    assert upsert_key_value({"id": "12"}, "id") == ("12", None)
    assert upsert_key_value({}, "crm_id") == (None, "no crm_id to match on")
    assert upsert_key_value({"email_address": "_is_null"}, "email_address")[0] is None


def test_a_bulk_job_is_used_where_it_costs_fewer_calls() -> None:
    assert bulk_cost(20_000) == 2 + 4 + 4 + 200  # create + start, uploads, polls, result pages
    assert not use_bulk(5, None) and use_bulk(50, None)
    assert use_bulk(3, 2) and not use_bulk(1, 2)
    assert not use_bulk(0, None)


def test_the_trigger_survives_serialization() -> None:
    trigger = SalesloftBulkJobTrigger("salesloft_default", 701, 5.0, 1.9e9, carry={"tally": {"rows": 3}})
    path, kwargs = trigger.serialize()
    module, _, name = path.rpartition(".")
    again = getattr(importlib.import_module(module), name)(**kwargs)

    assert again.serialize() == (path, kwargs)
    assert kwargs["job_id"] == 701 and kwargs["carry"] == {"tally": {"rows": 3}}
