"""Token sources as policies: an in-memory store and a scripted token endpoint, no network, no sleeping."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest

from airflow_provider_salesloft.exceptions import SalesloftConfigError, SalesloftOAuthError
from airflow_provider_salesloft.hooks import auth
from airflow_provider_salesloft.hooks.auth import ApiKeyTokenSource, OAuthTokenSource, StoredToken
from airflow_provider_salesloft.hooks.retry import RetryPolicy


class MemoryStore:
    def __init__(self, tokens: StoredToken | None = None) -> None:
        self.tokens = tokens
        self.saves = 0
        self.key = "salesloft_oauth_token__test"

    def load(self) -> StoredToken | None:
        return self.tokens

    def save(self, tokens: StoredToken) -> None:
        self.saves += 1
        self.tokens = tokens


class Answer:
    def __init__(self, status: int, body: Any) -> None:
        self.status_code, self._body, self.reason, self.headers = status, body, "reason", {}
        self.raw = io.BytesIO(json.dumps(body).encode())  # read whole within the timeout by the source

    def close(self) -> None:
        pass

    def json(self) -> Any:
        return self._body


class TokenEndpoint:
    """Issues ``at-N``/``rt-N``; rotates refresh tokens; answers ``invalid_grant`` to a used one."""

    def __init__(self) -> None:
        self.live_refresh = {"rt-0"}
        self.forms: list[dict[str, str]] = []
        self.issued = 0

    def post(
        self, url: str, data: dict[str, str], timeout: float, allow_redirects: bool, stream: bool
    ) -> Answer:
        assert allow_redirects is False and stream is True
        self.forms.append(data)
        if data["grant_type"] == "refresh_token":
            if data["refresh_token"] not in self.live_refresh:
                return Answer(400, {"error": "invalid_grant", "error_description": "revoked"})
            self.live_refresh.discard(data["refresh_token"])
        self.issued += 1
        self.live_refresh.add(f"rt-{self.issued}")
        return Answer(
            200,
            {"access_token": f"at-{self.issued}", "refresh_token": f"rt-{self.issued}", "expires_in": 7200},
        )


def source(store: MemoryStore, endpoint: TokenEndpoint, grant: str = "refresh_token") -> OAuthTokenSource:
    return OAuthTokenSource(
        grant=grant,
        client_id="id",
        client_secret="secret",
        refresh_token="rt-0" if grant == "refresh_token" else None,
        token_url="https://accounts.example/oauth/token",
        store=store,
        session=lambda: endpoint,  # type: ignore[arg-type,return-value]
        timeout=5,
        retry=RetryPolicy(sleep=lambda _: None),
    )


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth.time, "sleep", lambda _: None)


def test_first_token_refreshes_and_saves_the_rotated_refresh_token() -> None:
    store, endpoint = MemoryStore(), TokenEndpoint()
    assert source(store, endpoint).token() == "at-1"
    assert store.tokens is not None and store.tokens.refresh_token == "rt-1"
    assert endpoint.forms[0]["refresh_token"] == "rt-0"


def test_a_live_stored_token_is_used_without_refreshing() -> None:
    store = MemoryStore(StoredToken("at-shared", time.time() + 3600, "rt-0", 7200))
    endpoint = TokenEndpoint()
    assert source(store, endpoint).token() == "at-shared"
    assert endpoint.forms == []


def test_a_token_about_to_expire_is_refreshed_first() -> None:
    store = MemoryStore(StoredToken("at-old", time.time() + 60, "rt-0", 7200))  # inside the 5-minute margin
    assert source(store, TokenEndpoint()).token() == "at-1"


def test_401_invalidates_and_the_next_token_is_new() -> None:
    store, endpoint = MemoryStore(), TokenEndpoint()
    tokens = source(store, endpoint)
    first = tokens.token()
    assert tokens.invalidate(first)
    assert tokens.token() == "at-2"
    assert store.tokens is not None and store.tokens.refresh_token == "rt-2"


def test_losing_a_refresh_race_uses_the_winners_tokens() -> None:
    class StaleOnce(MemoryStore):
        """The loser's first read happens before the winner saved."""

        reads = 0

        def load(self) -> StoredToken | None:
            self.reads += 1
            return None if self.reads == 1 else super().load()

    store, endpoint = StaleOnce(), TokenEndpoint()
    loser = source(store, endpoint)
    winner = source(MemoryStore(), endpoint)
    winner.store = store
    store.reads = 1  # the winner reads the real store
    winner.token()  # rotates rt-0 -> rt-1 and saves it
    store.reads = 0  # the loser's first read is stale: it refreshes with rt-0 and gets invalid_grant

    assert loser.token() == "at-1"  # ... then re-reads the store and carries on with the winner's token
    assert endpoint.issued == 1  # no second rotation


def test_invalid_grant_with_no_newer_token_says_what_to_do() -> None:
    endpoint = TokenEndpoint()
    endpoint.live_refresh.clear()  # the connection's refresh token was revoked
    with pytest.raises(SalesloftOAuthError, match="invalid_grant") as info:
        source(MemoryStore(), endpoint).token()
    assert "new refresh token" in str(info.value)
    assert "rt-0" not in str(info.value)


def test_client_credentials_need_no_refresh_token() -> None:
    store, endpoint = MemoryStore(), TokenEndpoint()
    assert source(store, endpoint, grant="client_credentials").token() == "at-1"
    assert endpoint.forms[0]["grant_type"] == "client_credentials"
    assert "refresh_token" not in endpoint.forms[0]


def test_api_key_is_final() -> None:
    key = ApiKeyTokenSource("k-123")
    assert key.token() == "k-123"
    assert key.invalidate("k-123") is False
    with pytest.raises(SalesloftConfigError):
        ApiKeyTokenSource("")


class FlakyStore(MemoryStore):
    """Refuses the first ``failures`` saves (a database hiccup)."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def save(self, tokens: StoredToken) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("database is locked")
        super().save(tokens)


def test_a_failed_save_is_retried_and_the_new_token_never_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    store, endpoint = FlakyStore(failures=2), TokenEndpoint()
    assert source(store, endpoint).token() == "at-1"
    assert store.tokens is not None and store.tokens.refresh_token == "rt-1"  # saved on the third try


def test_a_store_that_keeps_failing_keeps_the_token_in_the_task(monkeypatch: pytest.MonkeyPatch) -> None:
    store, endpoint = FlakyStore(failures=100), TokenEndpoint()
    tokens = source(store, endpoint)
    assert tokens.token() == "at-1"  # the task goes on with the rotated token
    assert tokens.invalidate("at-1")
    assert tokens.token() == "at-2"  # and refreshes with the unsaved rt-1, not the revoked rt-0
    assert endpoint.forms[1]["refresh_token"] == "rt-1"
    store.failures = 0
    monkeypatch.setattr(auth, "UNSAVED_RETRY_EVERY_S", 0.0)
    tokens.token()
    assert store.tokens is not None and store.tokens.refresh_token == "rt-2"  # saved once the store is back
