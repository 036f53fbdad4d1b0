"""The simulator is public API (users test their DAGs against it): it must speak Salesloft's API as
documented. Plain HTTP with ``requests``, no provider code in between."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from airflow_provider_salesloft.testing import DEFAULT_API_KEY, SalesloftSimulator
from airflow_provider_salesloft.testing.routes import ROUTES, route_of

AUTH = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
pytestmark = pytest.mark.salesloft_simulator(rate_limit=50, rate_window_s=60, oauth_clients={"app": "s3cret"})


def call(sim: SalesloftSimulator, method: str, path: str, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("headers", AUTH)
    return requests.request(method, f"{sim.url}{path}", timeout=5, **kwargs)


def test_envelope_and_paging(salesloft_simulator: SalesloftSimulator) -> None:
    answer = call(salesloft_simulator, "GET", "/v2/people", params={"per_page": 2, "page": 2}).json()
    assert [p["id"] for p in answer["data"]] == [1003, 1004]
    assert answer["metadata"]["paging"] == {"per_page": 2, "current_page": 2, "next_page": 3, "prev_page": 1}


def test_parameters_as_query_json_or_form(salesloft_simulator: SalesloftSimulator) -> None:
    path = "/v2/cadence_memberships"
    assert call(salesloft_simulator, "POST", path, params={"person_id": 1001, "cadence_id": 10}).ok
    assert call(salesloft_simulator, "POST", path, json={"person_id": 1002, "cadence_id": 10}).ok
    assert call(salesloft_simulator, "POST", path, data={"person_id": 1003, "cadence_id": 10}).ok
    assert sorted(salesloft_simulator.memberships_on(10)) == [1001, 1002, 1003]


def test_errors_have_salesloft_bodies(salesloft_simulator: SalesloftSimulator) -> None:
    assert (
        call(salesloft_simulator, "GET", "/v2/me", headers={}).json()["error"].startswith("No Bearer Token")
    )
    assert call(salesloft_simulator, "GET", "/v2/cadences/999").json() == {"error": "Not Found"}
    already = call(salesloft_simulator, "POST", "/v2/cadence_memberships", json={"person_id": 1001})
    assert already.status_code == 422
    assert already.json() == {"errors": {"cadence_id": ["can't be blank"]}}


def test_rate_limit_headers_and_429(salesloft_simulator: SalesloftSimulator) -> None:
    first = call(salesloft_simulator, "GET", "/v2/me")
    assert first.headers["x-ratelimit-remaining-minute"] == "49"
    assert first.headers["x-ratelimit-endpoint-cost"] == "1"
    deep = call(salesloft_simulator, "GET", "/v2/people", params={"page": 101})
    assert deep.headers["x-ratelimit-endpoint-cost"] == "3"  # deep pages cost more
    for _ in range(46):
        call(salesloft_simulator, "GET", "/v2/me")
    limited = call(salesloft_simulator, "GET", "/v2/me")
    assert (limited.status_code, limited.json()) == (429, {"error": "API rate limit exceeded"})
    assert salesloft_simulator.stats.rate_limited == 1


def test_oauth_refresh_tokens_rotate(salesloft_simulator: SalesloftSimulator) -> None:
    first = salesloft_simulator.grant_refresh_token("app")
    form = {
        "grant_type": "refresh_token",
        "client_id": "app",
        "client_secret": "s3cret",
        "refresh_token": first,
    }
    issued = requests.post(salesloft_simulator.token_url, data=form, timeout=5).json()
    assert call(
        salesloft_simulator, "GET", "/v2/me", headers={"Authorization": f"Bearer {issued['access_token']}"}
    ).ok
    reused = requests.post(salesloft_simulator.token_url, data=form, timeout=5)
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")  # the old one was revoked
    salesloft_simulator.expire_tokens()
    expired = call(
        salesloft_simulator, "GET", "/v2/me", headers={"Authorization": f"Bearer {issued['access_token']}"}
    )
    assert expired.status_code == 401


def test_admin_endpoints_steer_a_running_server(salesloft_simulator: SalesloftSimulator) -> None:
    changed = requests.post(
        f"{salesloft_simulator.url}/_sim/faults", json={"error_503_share": 1.0}, timeout=5
    )
    assert changed.json()["error_503_share"] == 1.0
    assert call(salesloft_simulator, "GET", "/v2/me").status_code == 503
    unknown = requests.post(f"{salesloft_simulator.url}/_sim/faults", json={"nope": 1}, timeout=5)
    assert unknown.status_code == 400
    stats = requests.get(f"{salesloft_simulator.url}/_sim/stats", timeout=5).json()
    assert stats["errors_503"] == 1
    assert requests.post(f"{salesloft_simulator.url}/_sim/reset", timeout=5).json() == {"ok": True}
    assert salesloft_simulator.stats.calls == 0


def test_route_table() -> None:
    assert route_of("/v2/cadence_memberships/50001") == "/v2/cadence_memberships/:id"
    assert "DELETE /v2/cadence_memberships/:id" in ROUTES
    assert "POST /v2/cadences" not in ROUTES


def test_faults_are_reproducible_from_the_seed() -> None:
    def pattern(seed: int) -> list[int]:
        with SalesloftSimulator(seed=seed, error_503_share=0.5, rate_limit=1000) as sim:
            return [call(sim, "GET", "/v2/me").status_code for _ in range(20)]

    assert pattern(5) == pattern(5)
    assert pattern(5) != pattern(6)


def test_dripped_answers_arrive_whole_piece_by_piece_on_their_routes_only(
    salesloft_simulator: SalesloftSimulator,
) -> None:
    sim = salesloft_simulator
    sim.set_faults(drip_share=1.0, drip_bytes=64, drip_interval_s=0.01, drip_routes=["GET /v2/me"])
    with requests.get(f"{sim.url}/v2/me", headers=AUTH, timeout=5, stream=True) as answer:
        pieces = [piece for piece in answer.raw.stream(1024) if piece]
        assert answer.status_code == 200
    assert b'"data"' in b"".join(pieces)
    assert call(sim, "GET", "/v2/cadences/11").ok  # not a dripping route
    assert sim.stats.dripped == 1
    with pytest.raises(ValueError, match="drip_bytes"):
        sim.set_faults(drip_bytes=0)


def test_an_endpoint_outage_answers_its_status_and_does_nothing(
    salesloft_simulator: SalesloftSimulator,
) -> None:
    sim = salesloft_simulator
    sim.set_faults(error_routes={"POST /v2/cadence_memberships": 500})
    path = "/v2/cadence_memberships"
    assert call(sim, "POST", path, json={"person_id": 1001, "cadence_id": 10}).status_code == 500
    assert call(sim, "GET", "/v2/me").ok
    assert sim.memberships_on(10) == {}
