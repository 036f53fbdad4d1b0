"""Cost-aware admission: what each route costs is learned from x-ratelimit-endpoint-cost (one odd answer is
not believed), and the pacer admits by cost, not by count."""

from __future__ import annotations

from airflow_provider_salesloft.hooks.rate_limit import COST_HEADER, REMAINING_HEADER, RateLimitPacer
from airflow_provider_salesloft.hooks.route_costs import RouteCosts, route_of


def test_routes_are_method_and_path_template() -> None:
    assert route_of("post", "/v2/cadence_memberships") == "POST /v2/cadence_memberships"
    assert route_of("DELETE", "/v2/cadence_memberships/123/") == "DELETE /v2/cadence_memberships/{id}"


def test_a_routes_cost_is_what_its_answers_repeat() -> None:
    costs = RouteCosts()
    assert costs.cost("POST /v2/people") == 1
    costs.learn("POST /v2/people", 3)
    assert costs.cost("POST /v2/people") == 3
    costs.learn("POST /v2/people", 1_000_000)  # one odd answer
    assert costs.cost("POST /v2/people") == 3
    assert costs.cost("POST /v2/people", limit=2) == 2  # never above the team's limit
    costs.learn("POST /v2/people", 5)
    costs.learn("POST /v2/people", 5)
    assert costs.cost("POST /v2/people") == 5  # a changed cost, once repeated
    assert costs.cost("GET /v2/me") == 1


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_pacer_admits_by_cost() -> None:
    """Limit 100, share 0.5: with writes costing 3 the pacer lets out a third as many as with cost 1."""
    clock = Clock()
    pacer = RateLimitPacer(share=0.5, window_s=60.0, clock=clock)
    route = "POST /v2/cadence_memberships"
    spent = 0
    in_flight: list[tuple[float, int]] = []
    for _ in range(200):
        cost = pacer.cost_of(route)
        admitted, _ = pacer.try_acquire(cost)
        if admitted:
            in_flight.append((clock(), cost))
        elif not in_flight:
            break
        if len(in_flight) >= 4 or not admitted:  # answers come back in rounds of four
            for sent_at, charged in in_flight:
                spent += 3
                headers = {REMAINING_HEADER: str(100 - spent), COST_HEADER: "3"}
                pacer.release(charged, sent_at, 200, headers, route)
            in_flight.clear()
    assert pacer.cost_of(route) == 3
    assert 48 <= spent <= 51 + 3, spent  # half of 100, by cost (counting calls, it would spend all 100)


def test_the_probe_reserve_holds_the_costliest_route() -> None:
    """At share 1.0 the 1 % kept for probes (1 of 100) cannot pay a probe costing 3: it keeps 3."""
    clock = Clock()
    pacer = RateLimitPacer(share=1.0, window_s=60.0, clock=clock)
    route = "POST /v2/cadence_memberships"
    for remaining in (99, 96):
        assert pacer.try_acquire(pacer.cost_of(route))[0]
        pacer.release(
            pacer.cost_of(route), clock(), 200, {REMAINING_HEADER: str(remaining), COST_HEADER: "3"}, route
        )
    assert pacer.cost_of(route) == 3
    assert pacer._reserve() == 3
