"""The simulator's authentication: API keys; an OAuth 2 authorization endpoint that approves at once (no user
to ask); a token endpoint for the authorization-code, refresh-token and client-credentials grants, with
rotating refresh tokens."""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from airflow_provider_salesloft.testing.api import ApiError, single

DEFAULT_API_KEY = "sim-api-key-0123456789abcdef"
#: The user every accepted key or token acts as.
TOKEN_USER_ID = 1
#: How long an authorization code may wait to be traded for tokens (Salesloft's is short-lived too).
CODE_LIFETIME_S = 600
NO_TOKEN_MESSAGE = (
    "No Bearer Token attached to request, please see https://developers.salesloft.com for authentication help"
)


class OAuthServer:
    """Accepted API keys, OAuth apps, and the tokens issued to them.

    Refresh tokens rotate as Salesloft's do: each refresh issues a new one and revokes the one used.

    :param api_keys: API keys accepted.
    :param oauth_clients: ``client_id -> client_secret`` of the OAuth apps the token endpoint knows.
    :param lock: the simulator's state lock.
    """

    def __init__(
        self, api_keys: tuple[str, ...], oauth_clients: dict[str, str], lock: threading.RLock
    ) -> None:
        self.api_keys = set(api_keys)
        self.oauth_clients = dict(oauth_clients)
        self.access_tokens: dict[str, float] = {}  # token -> expiry (time.time)
        self.refresh_tokens: dict[str, str] = {}  # live refresh token -> client_id
        self.codes: dict[str, tuple[str, str, float]] = {}  # code -> (client_id, redirect_uri, expiry)
        self.issued_secrets: list[str] = []  # every access and refresh token ever issued (for leak scans)
        self._lock = lock

    def authenticate(self, header: str | None) -> int:
        """Return the user id a bearer token acts as, or raise 401."""
        token = (header or "").removeprefix("Bearer ").strip() if header else ""
        if not header or not header.startswith("Bearer ") or not token:
            raise ApiError(401, {"error": NO_TOKEN_MESSAGE})
        if token in self.api_keys:
            return TOKEN_USER_ID
        with self._lock:
            expiry = self.access_tokens.get(token)
        if expiry is not None and expiry > time.time():
            return TOKEN_USER_ID
        raise ApiError(401, {"error": "Invalid or expired token"})

    def authorize(self, params: dict[str, Any]) -> str:
        """``GET /oauth/authorize``: approve at once (as a user clicking "Authorize" would) and return where
        to redirect: ``redirect_uri`` with a one-time ``code``, ``scope`` and the caller's ``state``."""
        client_id, redirect_uri = single(params, "client_id"), single(params, "redirect_uri")
        if single(params, "response_type") != "code":
            raise ApiError(400, {"error": "unsupported_response_type"})
        if str(client_id) not in self.oauth_clients:
            raise ApiError(400, {"error": "invalid_client", "error_description": "Unknown application"})
        if not redirect_uri or urlsplit(str(redirect_uri)).scheme not in ("http", "https"):
            raise ApiError(400, {"error": "invalid_request", "error_description": "redirect_uri is invalid"})
        code = secrets.token_hex(16)
        with self._lock:
            self.codes[code] = (str(client_id), str(redirect_uri), time.time() + CODE_LIFETIME_S)
        answer = {"code": code, "scope": "default"}
        state = single(params, "state")
        if state is not None:
            answer["state"] = str(state)
        separator = "&" if urlsplit(str(redirect_uri)).query else "?"
        return f"{redirect_uri}{separator}{urlencode(answer)}"

    def issue_token(self, params: dict[str, Any], lifetime_s: float) -> dict[str, Any]:
        """The token endpoint (grants ``authorization_code``, ``refresh_token``, ``client_credentials``)."""
        grant = single(params, "grant_type")
        client_id = single(params, "client_id")
        client_secret = single(params, "client_secret")
        if self.oauth_clients.get(str(client_id)) != client_secret or client_secret is None:
            raise ApiError(
                401, {"error": "invalid_client", "error_description": "Client authentication failed"}
            )
        with self._lock:
            answer: dict[str, Any] = {
                "token_type": "bearer",
                "created_at": int(time.time()),
                "expires_in": int(lifetime_s),
                "scope": "default",
            }
            if grant == "refresh_token":
                old = single(params, "refresh_token")
                if self.refresh_tokens.pop(str(old), None) != client_id:
                    raise ApiError(
                        400,
                        {
                            "error": "invalid_grant",
                            "error_description": "The refresh token is invalid or revoked",
                        },
                    )
                answer["refresh_token"] = self._new_refresh_token(str(client_id))
            elif grant == "authorization_code":
                granted = self.codes.pop(str(single(params, "code")), None)
                redirect_uri = str(single(params, "redirect_uri"))
                if granted is None or granted[2] < time.time() or granted[:2] != (client_id, redirect_uri):
                    raise ApiError(
                        400,
                        {
                            "error": "invalid_grant",
                            "error_description": "The authorization code is invalid, expired or used",
                        },
                    )
                answer["refresh_token"] = self._new_refresh_token(str(client_id))
            elif grant != "client_credentials":
                raise ApiError(400, {"error": "unsupported_grant_type"})
            answer["access_token"] = f"at-{secrets.token_hex(16)}"
            self.issued_secrets.append(answer["access_token"])
            self.access_tokens[answer["access_token"]] = time.time() + lifetime_s
        return answer

    def grant_refresh_token(self, client_id: str) -> str:
        """Create a live refresh token for ``client_id`` (what the OAuth consent flow would give)."""
        with self._lock:
            return self._new_refresh_token(client_id)

    def _new_refresh_token(self, client_id: str) -> str:
        token = f"rt-{secrets.token_hex(16)}"
        self.refresh_tokens[token] = client_id
        self.issued_secrets.append(token)
        return token

    def expire_tokens(self) -> None:
        """Expire every access token now (refresh tokens stay valid)."""
        with self._lock:
            for token in self.access_tokens:
                self.access_tokens[token] = 0.0
