"""What an error answer probably means for the connection, and its fix: a 401 or 403 (the key, the app's
scopes, the user's permissions) and a 404 on one record (not found, or not visible to the connection's
user). Appended to the error's message."""

from __future__ import annotations

from airflow_provider_salesloft.hooks.auth import ApiKeyTokenSource, TokenSource
from airflow_provider_salesloft.hooks.scopes import probable_scope


def error_hint(status: int, method: str, path: str, connection: str, token_source: TokenSource) -> str:
    """The hint for an error answer with ``status`` to ``method path`` (``""`` when there is none)."""
    if status in (401, 403):
        return access_hint(status, method, path, connection, token_source)
    if status == 404 and (record := _record_named(path)):
        return f": {record} not found or not visible to the connection's user"
    return ""


def access_hint(status: int, method: str, path: str, connection: str, token_source: TokenSource) -> str:
    """What a 401 or 403 means for ``connection``, and its fix."""
    if status == 403:
        if scope := probable_scope(method, path):
            return f" ({connection}: its key or app probably lacks the scope {scope}; grant it in Salesloft)"
        return (
            f" ({connection}: its user lacks the permission, e.g. to add for a teammate on a personal "
            "cadence; use the key of a user who has it)"
        )
    if isinstance(token_source, ApiKeyTokenSource):
        return f" ({connection}: its API key was refused; put a current key in the connection's password)"
    return (
        f" ({connection}: its OAuth access was refused; authorize again with "
        "`python -m airflow_provider_salesloft.oauth authorize` to store a new refresh token)"
    )


_RECORD_NAMES = {
    "people": "person",
    "cadences": "cadence",
    "cadence_memberships": "membership",
    "users": "user",
}


def _record_named(path: str) -> str | None:
    """``/v2/cadences/99`` -> ``cadence 99``; None for paths that name no single record."""
    parts = path.strip("/").split("/")
    if len(parts) == 3 and parts[2].isdigit() and parts[1] in _RECORD_NAMES:
        return f"{_RECORD_NAMES[parts[1]]} {parts[2]}"
    return None
