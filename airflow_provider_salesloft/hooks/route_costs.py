"""What each route costs against the team's rate limit, learned from ``x-ratelimit-endpoint-cost``.

Salesloft charges every call a cost (deep pages 3-30, and it "is able to change the cost for an existing
endpoint at any time") and reports it with the answer. The pacer admits requests by what they will cost, so
the cost of a route (method and path template, ids as ``{id}``) is learned from its answers: the median of
its last :data:`SPAN` reported costs, so that one odd answer (``endpoint-cost: 1000000``) is not believed,
and a changed cost is adopted at its second answer.
"""

from __future__ import annotations

from collections import deque

#: Reported costs remembered per route.
SPAN = 3


def route_of(method: str, path: str) -> str:
    """``GET /v2/cadences/10`` -> ``GET /v2/cadences/{id}`` (the query string is not part of a route)."""
    template = "/".join(
        "{id}" if part.isdigit() else part for part in path.split("?")[0].rstrip("/").split("/")
    )
    return f"{method.upper()} {template}"


class RouteCosts:
    """The cost of each route, as learned so far (1 until its first answer tells)."""

    def __init__(self) -> None:
        self._seen: dict[str, deque[int]] = {}

    def cost(self, route: str | None, limit: int | None = None) -> int:
        """What a request of ``route`` is expected to cost (never above ``limit``, the team's limit)."""
        seen = self._seen.get(route) if route is not None else None
        if not seen:
            return 1
        ordered = sorted(seen)
        cost = ordered[(len(ordered) - 1) // 2]  # the median, the lower one of two
        return max(1, min(cost, limit)) if limit else max(1, cost)

    def largest(self) -> int:
        """The largest cost of any route seen (1 before any)."""
        return max((self.cost(route) for route in self._seen), default=1)

    def learn(self, route: str | None, charged: int) -> None:
        """Record what an answer of ``route`` reported it cost."""
        if route is not None and charged > 0:
            self._seen.setdefault(route, deque(maxlen=SPAN)).append(charged)
