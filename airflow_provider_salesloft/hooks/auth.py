"""Where the hook's bearer token comes from: an API key, or OAuth 2 with a token store shared by workers.

A token source hands out the current access token and is told when Salesloft refused one (401), so that a
source able to get a fresh token (OAuth) does so once, and a source that cannot (an API key) lets the 401
surface at once.

Salesloft rotates refresh tokens: each refresh returns a new one and revokes the old. The newest refresh
token, with the live access token and its expiry, is therefore kept in a :class:`TokenStore` that every task
on every worker reads before the connection's own ``refresh_token``: by default an Airflow Variable named
``salesloft_oauth_token__<conn_id>``, which holds them sealed under a key derived from the connection's
client secret ("token" in its name makes Airflow mask its value in the UI on every line). Delete that
Variable to start again from the connection's refresh token.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import requests

from airflow_provider_salesloft.exceptions import (
    SalesloftConfigError,
    SalesloftOAuthError,
    SalesloftRateLimitError,
    SalesloftServerError,
    SalesloftTransportError,
)
from airflow_provider_salesloft.hooks.answers import redact, retry_after_seconds
from airflow_provider_salesloft.hooks.redaction import mask_every_form
from airflow_provider_salesloft.hooks.retry import RetryPolicy
from airflow_provider_salesloft.hooks.token_answer import post_token_form, read_token_answer
from airflow_provider_salesloft.hooks.token_store import (
    DEFAULT_LIFETIME_S,
    REFRESH_MARGIN_S,
    StoredToken,
    TokenStore,
    VariableTokenStore,
)

__all__ = [
    "REFRESH_MARGIN_S",
    "ApiKeyTokenSource",
    "OAuthTokenSource",
    "StoredToken",
    "TokenSource",
    "TokenStore",
    "VariableTokenStore",
]

#: How long to wait for a parallel task's rotation to land in the store after an ``invalid_grant``.
ROTATION_WAIT_S = (0.5, 1.0, 2.0, 4.0)
#: Pauses between attempts to save rotated tokens (the old refresh token is already revoked).
SAVE_RETRY_WAIT_S = (0.5, 1.0, 2.0)
#: How often a task holding tokens the store refused tries to save them again (seconds).
UNSAVED_RETRY_EVERY_S = 10.0

log = logging.getLogger(__name__)


class TokenSource(Protocol):
    """Hands out bearer tokens for the ``Authorization`` header."""

    def token(self) -> str:
        """Return a token believed valid now."""
        ...

    def invalidate(self, token: str) -> bool:
        """Salesloft refused ``token`` with 401: return True if a different token may now be had."""
        ...

    def secrets(self) -> list[str]:
        """Every secret this source knows (to redact from texts taken from answers)."""
        ...


class ApiKeyTokenSource:
    """A Salesloft API key: one token that lives until revoked, so a 401 is final."""

    def __init__(self, api_key: str) -> None:
        api_key = api_key.strip()
        if not api_key:
            raise SalesloftConfigError("the Salesloft API key (the connection's password) is empty")
        bad = next((i for i, char in enumerate(api_key) if not " " < char <= "~"), None)
        if bad is not None:
            raise SalesloftConfigError(
                "the Salesloft API key (the connection's password) holds a character that cannot be sent in "
                f"an HTTP header (position {bad + 1} of {len(api_key)}: a space, a control character or a "
                "non-ASCII letter); copy the key again"
            )
        self._api_key = api_key
        mask_every_form(api_key)

    def token(self) -> str:
        """Return the API key."""
        return self._api_key

    def invalidate(self, token: str) -> bool:
        """An API key cannot be refreshed: the 401 is final."""
        return False

    def secrets(self) -> list[str]:
        """The key."""
        return [self._api_key]


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
        self._seen: set[str] = {secret for secret in (client_secret, refresh_token) if secret}
        for secret in self._seen:
            mask_every_form(secret)
        self._unsaved: StoredToken | None = None  # rotated tokens the store refused to keep (yet)
        self._last_save_try = 0.0

    def token(self) -> str:
        """A live access token: ours, else the store's, else a fresh one from the token endpoint."""
        with self._lock:
            if self._unsaved is not None and time.monotonic() - self._last_save_try > UNSAVED_RETRY_EVERY_S:
                self._save(self._unsaved, attempts=1)
            if self._current is None or not self._current.live():
                stored = self._unsaved or self.store.load()
                if stored is not None:
                    self._seen.update(s for s in (stored.access_token, stored.refresh_token) if s)
                if stored is not None and stored.live() and stored.access_token not in self._refused:
                    if self._current is not None:
                        log.info("Using the Salesloft access token another task stored")
                    self._current = stored
                else:
                    self._current = self._fetch(stored)
            assert self._current.access_token is not None
            return self._current.access_token

    def secrets(self) -> list[str]:
        """The client secret and every token seen (to redact from texts taken from answers)."""
        return list(self._seen)

    def invalidate(self, token: str) -> bool:
        """Drop ``token`` (Salesloft said 401) so the next :meth:`token` gets a new one."""
        with self._lock:
            self._refused.add(token)
            if self._current is not None and self._current.access_token == token:
                self._current = StoredToken(refresh_token=self._current.refresh_token)
        return True

    # -- token endpoint ----------------------------------------------------------------------------------
    def _fetch(self, stored: StoredToken | None) -> StoredToken:
        log.info("Getting a new Salesloft access token (%s grant)", self.grant.replace("_", " "))
        if self.grant == "client_credentials":
            tokens = self._request({"grant_type": "client_credentials"}, None)
            self._save(tokens)
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
                    log.info("Another task rotated the Salesloft refresh token first; using its tokens")
                    if newer.live() and newer.access_token not in self._refused:
                        return newer
                    return self._fetch(newer)
                time.sleep(pause)
            raise SalesloftOAuthError(
                "Salesloft refused the refresh token (invalid_grant): it was revoked or already used. "
                "Authorize again (python -m airflow_provider_salesloft.oauth authorize --conn-id <id> "
                "--store puts a new refresh token in the connection and deletes the token store "
                f"{getattr(self.store, 'key', '')!r})",
                error="invalid_grant",
            ) from None
        self._save(tokens)
        return tokens

    def _save(self, tokens: StoredToken, attempts: int = len(SAVE_RETRY_WAIT_S) + 1) -> None:
        """Keep rotated tokens in the store; if it keeps failing, keep them in this task and try later.

        The refresh token used is revoked by now: losing the new one would leave no valid one anywhere.
        """
        self._last_save_try = time.monotonic()
        for attempt in range(attempts):
            try:
                self.store.save(tokens)
            except Exception as error:
                if attempt + 1 < attempts:
                    log.warning(
                        "Saving rotated Salesloft tokens failed (%s); trying again", type(error).__name__
                    )
                    time.sleep(SAVE_RETRY_WAIT_S[attempt])
                    continue
                if self._unsaved is None:
                    log.error(
                        "Could not save the rotated Salesloft refresh token to %s (%s). This task keeps "
                        "using it and tries to save it again; if the task ends before that succeeds, "
                        "re-authorize the app, put the new refresh token in the connection and delete that "
                        "Variable.",
                        getattr(self.store, "key", "the token store"),
                        type(error).__name__,
                    )
                self._unsaved = tokens
                return
            if self._unsaved is not None:
                log.info("Saved the rotated Salesloft tokens after earlier failures")
            self._unsaved = None
            return

    def _request(self, form: dict[str, str], used_refresh_token: str | None) -> StoredToken:
        body = {**form, "client_id": self._client_id, "client_secret": self._client_secret}

        def attempt(_: int) -> StoredToken:
            try:  # the whole answer within the timeout, status line and headers too
                response = post_token_form(self._session(), self.token_url, body, self._timeout)
            except requests.exceptions.RequestException as error:
                raise SalesloftTransportError(
                    f"POST token endpoint: {error.__class__.__name__}", committed_maybe=True
                ) from None
            status, reason = response.status_code, self._clean(response.reason or "error")
            if status == 429:
                raise SalesloftRateLimitError(
                    status,
                    "POST",
                    "token endpoint",
                    reason,
                    retry_after=retry_after_seconds(response.headers),
                )
            if status >= 500:
                raise SalesloftServerError(status, "POST", "token endpoint", reason)
            if 300 <= status < 400:
                raise SalesloftOAuthError(
                    f"Salesloft's token endpoint answered a redirect ({status}); token requests never follow "
                    "redirects, since they carry the client secret: check the connection's token_url"
                )
            answer = read_token_answer(response, requires="access_token", secrets=self.secrets())
            return self._tokens_from(answer, used_refresh_token)

        try:
            tokens = self._retry.call(attempt, describe="POST token endpoint", log=log)
        except (SalesloftTransportError, SalesloftServerError, SalesloftRateLimitError) as error:
            raise SalesloftOAuthError(f"Salesloft's token endpoint did not answer: {error}") from None
        return tokens

    def _clean(self, text: str) -> str:
        return redact(text, self.secrets())

    def _tokens_from(self, answer: dict[str, Any], used_refresh_token: str | None) -> StoredToken:
        access_token = str(answer["access_token"])
        new_refresh = answer.get("refresh_token")
        refresh_token = new_refresh if isinstance(new_refresh, str) and new_refresh else used_refresh_token
        for secret in (access_token, refresh_token):
            if secret:
                mask_every_form(secret)
                self._seen.add(secret)
        log.info(
            "Got a new Salesloft access token%s",
            " and a rotated refresh token" if isinstance(new_refresh, str) and new_refresh else "",
        )
        try:
            expires_in = float(answer.get("expires_in") or DEFAULT_LIFETIME_S)
            if not 0 < expires_in < 10 * 365 * 86400:
                raise ValueError(expires_in)
        except (TypeError, ValueError):
            # Keep the tokens (the refresh token has rotated already); a 401 will refresh early if needed.
            log.warning(
                "Salesloft's token answer has no usable expires_in; assuming %.0f s", DEFAULT_LIFETIME_S
            )
            expires_in = DEFAULT_LIFETIME_S
        return StoredToken(access_token, time.time() + expires_in, refresh_token, expires_in)
