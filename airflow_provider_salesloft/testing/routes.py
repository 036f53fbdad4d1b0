"""The simulated API's routes: a table from ``METHOD /path`` (ids as ``:id``) to a small handler each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_salesloft.testing import people
from airflow_provider_salesloft.testing.api import not_found
from airflow_provider_salesloft.testing.seeds import render_cadence

if TYPE_CHECKING:
    from airflow_provider_salesloft.testing.simulator import SalesloftSimulator


@dataclass(frozen=True)
class ApiRequest:
    """One authenticated API request, as the handlers see it."""

    method: str
    path: str
    params: dict[str, Any]
    user_id: int  # who the token acts as
    ident: int | None  # the ``:id`` of the path, if any


Answer = tuple[int, Any]
#: The scope each call needs (as Salesloft names them); membership writes need only the user's permissions.
SCOPES = {
    "GET /v2/people": "people:read",
    "GET /v2/people/:id": "people:read",
    "GET /v2/cadences": "cadences:read",
    "GET /v2/cadences/:id": "cadences:read",
    "GET /v2/steps": "cadences:read",
    "GET /v2/cadence_memberships": "cadences:read",
    "GET /v2/cadence_memberships/:id": "cadences:read",
    "POST /v2/people": "people:write",
    "PUT /v2/people/:id": "people:write",
    "POST /v2/person_upserts": "people:write",
    "POST /v2/bulk_jobs": "people:write",
    "POST /v2/bulk_jobs/:id/job_data": "people:write",
    "PUT /v2/bulk_jobs/:id": "people:write",
    "GET /v2/custom_fields": "people:read",
}
Handler = Callable[["SalesloftSimulator", ApiRequest], Answer]
ROUTES: dict[str, Handler] = {}


def route_of(path: str) -> str:
    """A path's route: numeric segments become ``:id`` (``/v2/cadences/10`` -> ``/v2/cadences/:id``)."""
    return "/".join(":id" if part.isdigit() else part for part in path.rstrip("/").split("/"))


def ident_of(path: str) -> int | None:
    """The last numeric segment of a path, if any."""
    digits = [part for part in path.split("/") if part.isdigit()]
    return int(digits[-1]) if digits else None


def route(key: str) -> Callable[[Handler], Handler]:
    """Register a handler for ``key`` (``"GET /v2/people/:id"``)."""

    def register(handler: Handler) -> Handler:
        ROUTES[key] = handler
        return handler

    return register


def dispatch(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    """Run the request's handler under the state lock; 404 for unknown routes."""
    handler = ROUTES.get(f"{request.method} {route_of(request.path)}")
    if handler is None:
        raise not_found()
    with sim.state.lock:
        return handler(sim, request)


def _ident(request: ApiRequest) -> int:
    assert request.ident is not None
    return request.ident


@route("GET /v2/me")
def get_me(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    return 200, {"data": sim.state.users[request.user_id]}


@route("POST /v2/cadence_memberships")
def create_membership(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    membership, changed = sim.state.add_to_cadence(
        request.user_id,
        request.params,
        sim.faults.already_on_cadence,
        sim.faults.add_state,
        sim.faults.processing_s,
    )
    if changed:
        sim.stats.adds += 1
        if membership["created_at"] == membership["added_at"]:
            sim.stats.memberships_created += 1
    else:
        sim.stats.already_on_answers += 1
    return 200, {"data": membership}


@route("GET /v2/cadence_memberships")
def list_memberships(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    return 200, sim.page(sim.state.list_memberships(request.params), request.params)


@route("GET /v2/cadence_memberships/:id")
def get_membership(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    return 200, {"data": sim.state.record("cadence_memberships", _ident(request))}


@route("DELETE /v2/cadence_memberships/:id")
def delete_membership(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    sim.state.remove_membership(
        _ident(request), sim.faults.processing_refuses_removal, sim.faults.processing_refusals
    )
    return 204, None


@route("GET /v2/people")
def list_people(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    return 200, sim.page(sim.state.find_people(request.params), request.params)


@route("GET /v2/people/:id")
def get_person(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    return 200, {"data": sim.state.record("people", _ident(request))}


@route("GET /v2/cadences")
def list_cadences(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    cadences = [render_cadence(cadence) for cadence in sim.state.list_cadences(request.params)]
    return 200, sim.page(cadences, request.params)


@route("GET /v2/cadences/:id")
def get_cadence(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    return 200, {"data": sim.state.record("cadences", _ident(request))}


@route("GET /v2/steps")
def list_steps(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    return 200, sim.page(sim.state.list_steps(request.params), request.params)


@route("GET /v2/custom_fields")
def list_custom_fields(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    return 200, sim.page(sim.state.list_custom_fields(request.params), request.params)


@route("GET /v2/users")
def list_users(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    return 200, sim.page(list(sim.state.users.values()), request.params)


@route("POST /v2/people")
def create_person(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    sim.stats.people_created += 1
    return 200, {"data": people.create_person(sim.state, dict(request.params))}


@route("PUT /v2/people/:id")
def update_person(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    return 200, {"data": people.update_person(sim.state, _ident(request), dict(request.params))}


@route("POST /v2/person_upserts")
def upsert_person(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    upserted = people.upsert_person(sim.state, dict(request.params))
    sim.stats.people_created += upserted["upsert_type"] == "create"
    return 200, {"data": upserted}


@route("POST /v2/bulk_jobs")
def create_bulk_job(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    return 200, {"data": sim.bulk_jobs.create(request.params)}


@route("GET /v2/bulk_jobs")
def list_bulk_jobs(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    return 200, {"data": sim.bulk_jobs.list_jobs(request.params)}


@route("GET /v2/bulk_jobs/:id")
def get_bulk_job(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    return 200, {"data": sim.bulk_jobs.job(_ident(request)).render()}


@route("PUT /v2/bulk_jobs/:id")
def update_bulk_job(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    return 200, {"data": sim.bulk_jobs.update(_ident(request), request.params)}


@route("POST /v2/bulk_jobs/:id/job_data")
def add_bulk_job_data(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    return 200, {"data": sim.bulk_jobs.add_data(_ident(request), request.params)}


@route("GET /v2/bulk_jobs/:id/job_data")
def list_bulk_job_data(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    return 200, {"data": sim.bulk_jobs.job_data(_ident(request), request.params)}


@route("GET /v2/bulk_jobs/:id/results")
def bulk_job_results(sim: SalesloftSimulator, request: ApiRequest) -> Answer:
    results = sim.bulk_jobs.results(_ident(request), request.params)
    return 200, {"data": results}
