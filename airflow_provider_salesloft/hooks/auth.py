"""Where the hook's bearer token comes from.

A token source hands out the current access token and is told when Salesloft refused one (401), so that a
source able to get a fresh token (OAuth) can do so once, and a source that cannot (an API key) lets the
401 surface at once.
"""

from __future__ import annotations

from typing import Protocol

from airflow_provider_salesloft.exceptions import SalesloftConfigError


class TokenSource(Protocol):
    """Hands out bearer tokens for the ``Authorization`` header."""

    #: How the token was obtained, for messages: ``"api_key"``, ``"oauth_refresh_token"``, ...
    mode: str

    def token(self) -> str:
        """Return a token believed valid now."""
        ...

    def invalidate(self, token: str) -> bool:
        """Salesloft refused ``token`` with 401: return True if a different token may now be had."""
        ...


class ApiKeyTokenSource:
    """A Salesloft API key: one token that lives until revoked, so a 401 is final."""

    mode = "api_key"

    def __init__(self, api_key: str) -> None:
        if not api_key:
            raise SalesloftConfigError("the Salesloft API key (the connection's password) is empty")
        self._api_key = api_key

    def token(self) -> str:
        """Return the API key."""
        return self._api_key

    def invalidate(self, token: str) -> bool:
        """An API key cannot be refreshed: the 401 is final."""
        return False
