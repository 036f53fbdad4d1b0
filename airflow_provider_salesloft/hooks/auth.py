"""Where the hook's bearer token comes from: an API key, or OAuth 2 with a token store shared by workers.

A token source hands out the current access token and is told when Salesloft refused one (401), so that a
source able to get a fresh token (OAuth) does so once, and a source that cannot (an API key) lets the 401
surface at once.

Salesloft rotates refresh tokens: each refresh returns a new one and revokes the old. The newest refresh
token, with the live access token and its expiry, is therefore kept in a :class:`TokenStore` that every task
on every worker reads before the connection's own ``refresh_token``: by default an Airflow Variable named
``salesloft_oauth__<conn_id>`` (encrypted at rest with Airflow's Fernet key). Delete that Variable to start
again from the connection's refresh token.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import requests
from airflow.providers.common.compat.sdk import mask_secret

from airflow_provider_salesloft.exceptions import (
    SalesloftConfigError,
    SalesloftOAuthError,
    SalesloftServerError,
    SalesloftTransportError,
)
from airflow_provider_salesloft.hooks.retry import RetryPolicy

#: Refresh this long before the access token expires, so no request goes out with a token about to die.
REFRESH_MARGIN_S = 300.0
#: How long to wait for a parallel task's rotation to land in the store after an ``invalid_grant``.
ROTATION_WAIT_S = (0.5, 1.0, 2.0, 4.0)

log = logging.getLogger(__name__)


class TokenSource(Protocol):
    """Hands out bearer tokens for the ``Authorization`` header."""

    def token(self) -> str:
        """Return a token believed valid now."""
        ...

    def invalidate(self, token: str) -> bool:
        """Salesloft refused ``token`` with 401: return True if a different token may now be had."""
        ...


class ApiKeyTokenSource:
    """A Salesloft API key: one token that lives until revoked, so a 401 is final."""

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


@dataclass
class StoredToken:
    """What the token store keeps for one connection."""

    access_token: str | None = None
    expires_at: float = 0.0  # epoch seconds
    refresh_token: str | None = None
    lifetime: float = 7200.0  # seconds the access token was issued for

    def live(self) -> bool:
        """True while the access token is not about to expire (5 min, or a tenth of its life, ahead)."""
        margin = min(REFRESH_MARGIN_S, self.lifetime / 10)
        return bool(self.access_token) and self.expires_at - margin > time.time()


class TokenStore(Protocol):
    """Keeps the newest tokens of a connection where every worker reads them."""

    def load(self) -> StoredToken | None:
        """The stored tokens, or None when nothing is stored."""
        ...

    def save(self, tokens: StoredToken) -> None:
        """Store ``tokens`` (replacing what was there)."""
        ...


class VariableTokenStore:
    """Tokens in an Airflow Variable (``salesloft_oauth__<conn_id>``), encrypted at rest by Fernet.

    Works on Airflow 2 and 3, inside tasks (through the Task SDK) and in server processes (through the
    metadata database).
    """

    def __init__(self, conn_id: str) -> None:
        self.key = f"salesloft_oauth__{conn_id}"

    def load(self) -> StoredToken | None:
        """Read the Variable; None if absent or unreadable."""
        raw = self._read()
        if not raw:
            return None
        try:
            data = json.loads(raw)
            tokens = StoredToken(
                access_token=data.get("access_token"),
                expires_at=float(data.get("expires_at") or 0.0),
                refresh_token=data.get("refresh_token"),
                lifetime=float(data.get("lifetime") or 7200.0),
            )
        except (ValueError, TypeError):
            log.warning("Ignoring unreadable Salesloft token store %s", self.key)
            return None
        for secret in (tokens.access_token, tokens.refresh_token):
            if secret:
                mask_secret(secret)
        return tokens

    def _read(self) -> str | None:
        """The Variable through the Task SDK, or (outside a task on Airflow 3) the metadata database."""
        from airflow.providers.common.compat.sdk import Variable

        value = Variable.get(self.key, None)
        if value:
            return str(value)
        try:
            from airflow.models.variable import Variable as CoreVariable

            core_value = CoreVariable.get(self.key, None)
        except Exception:  # a worker without database access: the SDK's answer stands
            return None
        return str(core_value) if core_value else None

    def save(self, tokens: StoredToken) -> None:
        """Write the Variable through the Task SDK, or the metadata database outside a task."""
        from airflow.providers.common.compat.sdk import Variable

        value = json.dumps(asdict(tokens))
        try:
            Variable.set(self.key, value)
            return
        except Exception as sdk_error:  # outside a task on Airflow 3 the SDK has no channel to the server
            try:
                from airflow.models.variable import Variable as CoreVariable

                CoreVariable.set(self.key, value)
                return
            except Exception:
                raise SalesloftOAuthError(
                    f"cannot save the rotated Salesloft refresh token to Variable {self.key!r}: "
                    f"{sdk_error.__class__.__name__}"
                ) from None


class OAuthTokenSource:
    """OAuth 2 access tokens from Salesloft's token endpoint, refreshed before expiry and after a 401.

    :param grant: ``"refresh_token"`` or ``"client_credentials"``.
    :param client_id: the OAuth app's client id.
    :param client_secret: the OAuth app's client secret.
    :param refresh_token: the connection's refresh token (used until the store holds a newer one).
    :param token_url: the token endpoint.
    :param store: where the newest tokens are kept for every worker.
    :param session: the HTTP session to use.
    :param timeout: request timeout in seconds.
    :param retry: retry policy for 5xx and transport errors of the token endpoint.
    """

    def __init__(
        self,
        *,
        grant: str,
        client_id: str,
        client_secret: str,
        refresh_token: str | None,
        token_url: str,
        store: TokenStore,
        session: Callable[[], requests.Session],
        timeout: float,
        retry: RetryPolicy,
    ) -> None:
        self.grant = grant
        self._client_id = client_id
        self._client_secret = client_secret
        self._connection_refresh_token = refresh_token
        self.token_url = token_url
        self.store = store
        self._session = session
        self._timeout = timeout
        self._retry = retry
        self._lock = threading.Lock()
        self._current: StoredToken | None = None
        self._refused: set[str] = set()  # access tokens Salesloft answered 401 to

    def token(self) -> str:
        """A live access token: ours, else the store's, else a fresh one from the token endpoint."""
        with self._lock:
            if self._current is None or not self._current.live():
                stored = self.store.load()
                if stored is not None and stored.live() and stored.access_token not in self._refused:
                    self._current = stored
                else:
                    self._current = self._fetch(stored)
            assert self._current.access_token is not None
            return self._current.access_token

    def invalidate(self, token: str) -> bool:
        """Drop ``token`` (Salesloft said 401) so the next :meth:`token` gets a new one."""
        with self._lock:
            self._refused.add(token)
            if self._current is not None and self._current.access_token == token:
                self._current = StoredToken(refresh_token=self._current.refresh_token)
        return True

    # -- token endpoint ----------------------------------------------------------------------------------
    def _fetch(self, stored: StoredToken | None) -> StoredToken:
        if self.grant == "client_credentials":
            tokens = self._request({"grant_type": "client_credentials"}, None)
            self.store.save(tokens)
            return tokens
        refresh_token = (stored.refresh_token if stored else None) or self._connection_refresh_token
        assert refresh_token is not None
        try:
            tokens = self._request(
                {"grant_type": "refresh_token", "refresh_token": refresh_token}, refresh_token
            )
        except SalesloftOAuthError as error:
            if error.error != "invalid_grant":
                raise
            # Another task may have rotated it: wait for its new tokens to land in the store.
            for pause in ROTATION_WAIT_S:
                newer = self.store.load()
                if newer is not None and newer.refresh_token and newer.refresh_token != refresh_token:
                    if newer.live() and newer.access_token not in self._refused:
                        return newer
                    return self._fetch(newer)
                time.sleep(pause)
            raise SalesloftOAuthError(
                "Salesloft refused the refresh token (invalid_grant): it was revoked or already used. Put a "
                "new refresh token in the connection and delete the token store "
                f"{getattr(self.store, 'key', '')!r}",
                error="invalid_grant",
            ) from None
        self.store.save(tokens)
        return tokens

    def _request(self, form: dict[str, str], used_refresh_token: str | None) -> StoredToken:
        body = {**form, "client_id": self._client_id, "client_secret": self._client_secret}

        def attempt(_: int) -> StoredToken:
            try:
                response = self._session().post(self.token_url, data=body, timeout=self._timeout)
            except requests.exceptions.RequestException as error:
                raise SalesloftTransportError(
                    f"POST token endpoint: {error.__class__.__name__}", committed_maybe=True
                ) from None
            if response.status_code >= 500:
                raise SalesloftServerError(
                    response.status_code, "POST", "/oauth/token", response.reason or "error"
                )
            try:
                answer: dict[str, Any] = response.json()
            except ValueError:
                answer = {}
            if response.status_code >= 400 or not answer.get("access_token"):
                raise SalesloftOAuthError(
                    f"Salesloft's token endpoint answered {response.status_code}: "
                    f"{answer.get('error', 'error')}: {answer.get('error_description', response.reason)}",
                    error=str(answer.get("error") or ""),
                )
            return self._tokens_from(answer, used_refresh_token)

        try:
            tokens = self._retry.call(attempt, describe="POST token endpoint", log=log)
        except (SalesloftTransportError, SalesloftServerError) as error:  # retried here; not again by callers
            raise SalesloftOAuthError(f"Salesloft's token endpoint did not answer: {error}") from None
        return tokens

    def _tokens_from(self, answer: dict[str, Any], used_refresh_token: str | None) -> StoredToken:
        access_token = str(answer["access_token"])
        refresh_token = answer.get("refresh_token") or used_refresh_token
        for secret in (access_token, refresh_token):
            if secret:
                mask_secret(secret)
        expires_in = float(answer.get("expires_in") or 7200)
        return StoredToken(access_token, time.time() + expires_in, refresh_token, expires_in)
