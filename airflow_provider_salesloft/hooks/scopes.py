"""The scopes the provider's calls need, as Salesloft names them: to name the probable one behind a 403,
and to check a connection. Reads need a scope; writes carry none (they follow the user's permissions)."""

from __future__ import annotations

#: Route (numeric path segments as ``:id``) -> the scope a GET of it needs.
READ_SCOPES = {
    "/v2/people": "people:read",
    "/v2/people/:id": "people:read",
    "/v2/cadences": "cadences:read",
    "/v2/cadences/:id": "cadences:read",
    "/v2/steps": "cadences:read",
    "/v2/cadence_memberships": "cadences:read",
    "/v2/cadence_memberships/:id": "cadences:read",
}
#: The cheapest read of each scope the provider's operators use (the connection test makes each once).
SCOPE_CHECKS = {"people:read": "/v2/people", "cadences:read": "/v2/cadences"}


def route_of(path: str) -> str:
    """``/v2/cadences/10`` -> ``/v2/cadences/:id``."""
    return "/".join(":id" if part.isdigit() else part for part in path.split("?")[0].rstrip("/").split("/"))


def probable_scope(method: str, path: str) -> str | None:
    """The scope a 403 to ``method path`` most likely means is missing (None for writes and unknowns)."""
    return READ_SCOPES.get(route_of(path)) if method == "GET" else None
