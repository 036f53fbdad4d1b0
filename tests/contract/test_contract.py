"""The contract test: every request the provider sends, across the whole test session, is one Salesloft's
API definition documents (its method, path, and query and body parameter names), and every answer of the
simulator is shaped as the definition's response (fields and types).

The definition's parts this project uses are kept in ``salesloft-api-v2.json`` (trimmed from Salesloft's
published ``v2_api_def.json`` by ``extract_definition.py``). Undocumented parameters the project sends on
purpose are listed, with the reason, in :data:`.definition.ALLOWED_UNDOCUMENTED`.
"""

from __future__ import annotations

import json

import pytest
import requests

from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.hooks.transport import USER_AGENT
from airflow_provider_salesloft.testing import SalesloftSimulator
from airflow_provider_salesloft.testing.oauth import DEFAULT_API_KEY
from airflow_provider_salesloft.testing.observe import OBSERVERS
from contract.definition import answer_problems, operations, request_problems
from contract.plugin import RECORDER, ContractRecorder


def test_an_undocumented_parameter_is_found() -> None:
    assert request_problems("GET", "/v2/people", {"email_addresses[]": ["a@x.io"], "per_page": "1"}, {}) == []
    assert request_problems("GET", "/v2/people", {"email[]": ["a@x.io"]}, {}) == [
        "GET /v2/people: parameter 'email[]' is not in the definition"
    ]
    # "Only supports greater than (gt) comparison (i.e. id[gt]=123)"
    assert request_problems("GET", "/v2/bulk_jobs/5/results", {"id[gt]": "1"}, {}) == []
    assert request_problems("GET", "/v2/bulk_jobs/5/results", {"id[lt]": "9"}, {}) != []
    assert request_problems("GET", "/v2/bulk_jobs", {"page": "2"}, {}) != []  # "Pagination is not supported"
    assert request_problems("PATCH", "/v2/people/5", {}, {}) == [
        "PATCH /v2/people/5: no such operation in the definition"
    ]


def test_a_bulk_record_is_checked_against_person_upserts() -> None:
    record = {"email_address": "a@x.io", "upsert_key": "email_address"}
    assert request_problems("POST", "/v2/bulk_jobs/7/job_data", {}, {"data": [record]}) == []
    problems = request_problems("POST", "/v2/bulk_jobs/7/job_data", {}, {"data": [{**record, "emial": 1}]})
    assert problems == [
        "POST /v2/bulk_jobs/{id}/job_data: record field 'emial' is no POST /v2/person_upserts parameter"
    ]


def test_answers_are_checked_for_fields_and_types() -> None:
    assert (
        answer_problems("GET", "/v2/cadences/10", 200, {"data": {"id": 10, "draft": False, "name": None}})
        == []
    )
    assert answer_problems("GET", "/v2/cadences/10", 200, {"data": {"id": "10", "archived": True}}) == [
        "GET /v2/cadences/{id}: answer field 'id' is str, the definition says integer",
        "GET /v2/cadences/{id}: answer field 'archived' is not in the definition",
    ]
    assert answer_problems("GET", "/v2/cadences", 200, {"data": {"id": 10}}) != []  # a list is documented
    assert answer_problems("DELETE", "/v2/cadence_memberships/5", 204, None) == []


def test_the_recorder_sees_the_providers_requests_only(salesloft_simulator: SalesloftSimulator) -> None:
    recorder = ContractRecorder()
    OBSERVERS[:] = [recorder]  # the session's recorder is left out: these requests are deliberately wrong
    try:
        headers = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
        requests.get(
            f"{salesloft_simulator.url}/v2/people", params={"nickname": "x"}, headers=headers, timeout=10
        )
        headers["User-Agent"] = USER_AGENT
        requests.get(
            f"{salesloft_simulator.url}/v2/people", params={"nickname": "x"}, headers=headers, timeout=10
        )
    finally:
        OBSERVERS[:] = [RECORDER]
    assert recorder.requests == 1
    assert list(recorder.problems) == ["GET /v2/people: parameter 'nickname' is not in the definition"]


def exercise_every_action(hook: SalesloftHook) -> None:
    """Call each of the hook's API actions once (so the final check means something even when the contract
    test runs alone)."""
    hook.get_me()
    hook.test_connection()
    person = hook.find_people_by_email(["person1@example.com"])[0]
    hook.get_people([person["id"]])
    hook.get_person(person["id"])
    created = hook.create_person({"email_address": "contract-new@example.com", "first_name": "New"})
    hook.update_person(created["id"], {"title": "CTO"})
    hook.upsert_person({"email_address": "contract-upsert@example.com"}, upsert_key="email_address")
    membership, _ = hook.ensure_cadence_membership(person["id"], 10, step_id=100)
    hook.get_cadence_membership(membership["id"])
    list(hook.iter_cadence_memberships(cadence_id=10, currently_on_cadence=True))
    hook.delete_cadence_membership(membership["id"])
    hook.get_cadence(10)
    list(hook.iter_cadences(name=["Inbound Leads"]))
    list(hook.iter_users())
    list(hook.iter_steps(10))
    list(hook.iter_custom_fields())
    job = hook.create_bulk_job("contract job")
    hook.add_bulk_job_data(
        job["id"], [{"email_address": "bulk@example.com", "upsert_key": "email_address"}], 0
    )
    hook.start_bulk_job(job["id"])
    done = hook.wait_for_bulk_job(job["id"], poll_interval_s=0.1, timeout_s=30)
    list(hook.iter_bulk_job_results(job["id"], expected=done.get("processed")))
    list(hook.iter_bulk_jobs(state=["open"]))
    list(hook.iter_bulk_job_data(job["id"], status=["success"]))


@pytest.mark.contract_final
def test_every_request_of_the_session_is_documented(
    salesloft_simulator: SalesloftSimulator, contract_recorder: ContractRecorder
) -> None:
    """Runs after every other test: what the whole session sent and received, against the definition."""
    exercise_every_action(SalesloftHook())
    assert contract_recorder.requests > 0
    problems = {problem: test for problem, test in sorted(contract_recorder.problems.items())}
    assert not problems, (
        "requests or answers the definition does not document (first test met):\n"
        + json.dumps(problems, indent=1)
    )
    unused = sorted(set(operations()) - contract_recorder.operations)
    assert not unused, (
        f"operations kept from the definition but never sent (drop them from the copy): {unused}"
    )
