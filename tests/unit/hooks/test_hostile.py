"""Hostile and broken servers (issue #10): what the user sees when the answer is not what Salesloft sends.

Each test runs the real hook over loopback HTTP against :class:`hostile.HostileServer` and asserts the
outcome, the error text, that no secret shows in it, and (for hangs) the request counts and budgets.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from hostile import HostileServer, Reply, Seen

from airflow_provider_salesloft.exceptions import (
    SalesloftAPIError,
    SalesloftConfigError,
    SalesloftOAuthError,
    SalesloftRateLimitError,
    SalesloftTransportError,
    SalesloftUnexpectedAnswerError,
)
from airflow_provider_salesloft.hooks.answers import retry_after_seconds
from airflow_provider_salesloft.hooks.auth import StoredToken
from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.hooks.settings import ConnectionSettings

API_KEY = "sk-hostile-SECRET-0a1b2c3d4e5f"
FAST = {"retry_backoff_base_s": 0.01, "retry_backoff_max_s": 0.02}
EMPTY_LIST = {"data": [], "metadata": {"paging": {"per_page": 1, "current_page": 1, "next_page": None}}}


@pytest.fixture
def hook_on(monkeypatch: pytest.MonkeyPatch) -> Callable[..., SalesloftHook]:
    """A hook whose connection points at ``server`` with ``extras``."""

    def make(server: HostileServer, password: str | None = API_KEY, **extras: Any) -> SalesloftHook:
        conn = {
            "conn_type": "salesloft",
            "host": server.url,
            "password": password,
            "extra": {**FAST, **extras},
        }
        monkeypatch.setenv("AIRFLOW_CONN_SL_HOSTILE", json.dumps(conn))
        return SalesloftHook(salesloft_conn_id="sl_hostile")

    return make


# -- 1. a success answer that is not a membership ----------------------------------------------------------
@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, {"data": {}}),
        Reply(200, {}),
        Reply(200, {"status": "ok"}),
        Reply(200, {"error": "something went wrong"}),
        Reply(200, {"data": None}),
        Reply(200, []),
        Reply(200, b""),
        Reply(204),
        Reply(200, b"<html>ok</html>", {"Content-Type": "text/html"}),
        Reply(302, b"", {"Location": "/elsewhere"}),
        Reply(200, {"data": {"id": 7, "person": {"id": 9999}, "cadence": {"id": 10}}}),  # someone else's
    ],
    ids=lambda reply: f"{reply.status}-{str(reply.body)[:20]}",
)
def test_malformed_add_answer_is_never_a_success(hook_on: Any, reply: Reply) -> None:
    """Not carried out (the listing shows nobody): the add fails, naming person and cadence."""

    def script(seen: Seen) -> Reply:
        return reply if seen.method == "POST" else Reply(200, EMPTY_LIST)

    with HostileServer(script) as server:
        hook = hook_on(server)
        with pytest.raises(SalesloftUnexpectedAnswerError) as info:
            hook.ensure_cadence_membership(1001, 10)
    assert "person 1001 did not go on cadence 10" in str(info.value)
    assert len(server.requests("POST")) == 1  # not blindly re-sent


def test_malformed_add_answer_that_was_carried_out_returns_the_membership(hook_on: Any) -> None:
    membership = {
        "id": 50001,
        "person": {"id": 1001},
        "cadence": {"id": 10},
        "currently_on_cadence": True,
        "added_at": "2999-01-01T00:00:00.000000+00:00",  # after the call began, on any clock
        "updated_at": "2999-01-01T00:00:00.000000+00:00",
    }

    def script(seen: Seen) -> Reply:
        if seen.method == "POST":
            return Reply(200, {"data": {}})
        return Reply(200, {**EMPTY_LIST, "data": [membership]})

    with HostileServer(script) as server:
        found, added_now = hook_on(server).ensure_cadence_membership(1001, 10)
    assert (found["id"], added_now) == (50001, True)


# -- 4. token requests never follow redirects; the token URL obeys the https rule --------------------------
def test_token_endpoint_redirect_is_not_followed(hook_on: Any) -> None:
    with HostileServer(lambda seen: Reply(200, {})) as elsewhere:
        redirect = Reply(307, b"", {"Location": f"{elsewhere.url}/steal"})
        with HostileServer(lambda seen: redirect) as server:
            hook = hook_on(
                server,
                password=None,
                client_id="app",
                client_secret="app-secret-XYZ123",
                refresh_token="rt-first-ABC987",
                token_url=f"{server.url}/oauth/token",
            )
            with pytest.raises(SalesloftOAuthError, match="redirect") as info:
                hook.get_me()
    assert elsewhere.seen == []  # the client secret went nowhere else
    assert "app-secret-XYZ123" not in str(info.value)


def test_token_url_must_be_https_beyond_loopback(hook_on: Any) -> None:
    with HostileServer(lambda seen: Reply(200, {})) as server:
        hook = hook_on(
            server, password=None, client_id="a", client_secret="b", token_url="http://accounts.example/token"
        )
        with pytest.raises(SalesloftConfigError, match="clear text"):
            hook.get_me()
    assert server.seen == []


# -- 5. ambiguous hosts are refused before anything is sent ------------------------------------------------
@pytest.mark.parametrize(
    "host",
    [
        "http://evil.example\\@127.0.0.1:1",
        "http://user:pw@127.0.0.1:1",
        "http://evil.example@127.0.0.1",
        "http://127.0.0.1 .evil.example",
        "http://127.0.0.1\x00.evil.example",
        "https://api.salesloft.com/?x=1",
    ],
)
def test_ambiguous_hosts_are_refused(host: str) -> None:
    from airflow_provider_salesloft.hooks.settings import parse_base_url

    with pytest.raises(SalesloftConfigError) as info:
        parse_base_url(host)
    assert "pw" not in str(info.value)


# -- 6. texts from answers are redacted and capped ---------------------------------------------------------
@pytest.mark.parametrize("status", [400, 422, 500])
def test_echoed_authorization_never_reaches_the_error(hook_on: Any, status: int) -> None:
    def echo(seen: Seen) -> Reply:
        header = seen.headers.get("Authorization", "")
        if status == 422:
            return Reply(status, {"errors": {"person_id": [f"bad: {header}"], "raw": [API_KEY]}})
        if status == 500:
            return Reply(
                status, f"<html>{header} {'x' * 5000}</html>".encode(), {"Content-Type": "text/html"}
            )
        return Reply(status, {"error": f"you sent {header} and key={API_KEY}"})

    with HostileServer(echo) as server, pytest.raises(SalesloftAPIError) as info:
        hook_on(server, retry_max_attempts=1).get_me()
    text = f"{info.value} {info.value.errors}"
    assert API_KEY not in text
    assert "***" in text
    assert len(info.value.message) <= 300


# -- 7. no secret in reprs ---------------------------------------------------------------------------------
def test_reprs_hold_no_secret() -> None:
    tokens = StoredToken("at-SECRET-1", 1.0, "rt-SECRET-2")
    assert "SECRET" not in repr(tokens)
    settings = ConnectionSettings(base_url="https://x", proxies={"https": "http://user:proxy-pw@proxy:3128"})
    assert "proxy-pw" not in repr(settings)


# -- 9. Retry-After: 0 is no storm; every wait counts against the budget -----------------------------------
def test_429_with_retry_after_zero_is_bounded(hook_on: Any) -> None:
    storm = Reply(429, {"error": "API rate limit exceeded"}, {"Retry-After": "0"})
    with HostileServer(lambda seen: storm) as server, pytest.raises(SalesloftRateLimitError):
        hook_on(server, retry_max_elapsed_s=2).get_me()
    assert len(server.seen) <= 3  # at least 1 s between tries, 2 s in all


def test_429s_are_capped_in_number() -> None:
    from airflow_provider_salesloft.exceptions import api_error_class
    from airflow_provider_salesloft.hooks.retry import RetryPolicy

    calls = 0

    def attempt(_: int) -> None:
        nonlocal calls
        calls += 1
        raise api_error_class(429)(429, "GET", "/v2/me", "limit", retry_after=0)

    policy = RetryPolicy(max_elapsed_s=10**9, max_rate_limited=50, sleep=lambda _: None)
    with pytest.raises(SalesloftRateLimitError):
        policy.call(attempt, describe="GET /v2/me", log=type("L", (), {"warning": lambda *a: None})())
    assert calls == 50


# -- 10. paging that never advances ------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["stuck", "empty_forever", "same_page"])
def test_paging_without_progress_stops_with_an_error(hook_on: Any, mode: str) -> None:
    def pages(seen: Seen) -> Reply:
        page = int(seen.query.get("page", ["1"])[0])
        data = [] if mode == "empty_forever" and page > 1 else [{"id": 1, "updated_at": "2024-01-01"}]
        next_page = 1 if mode == "stuck" else page + 1
        return Reply(200, {"data": data, "metadata": {"paging": {"next_page": next_page}}})

    with HostileServer(pages) as server, pytest.raises(SalesloftUnexpectedAnswerError, match="no progress"):
        list(hook_on(server).paginate("/v2/people", per_page=1))
    assert len(server.seen) <= 3


def test_listing_without_paging_metadata_reads_until_a_short_page(hook_on: Any) -> None:
    def pages(seen: Seen) -> Reply:
        page = int(seen.query.get("page", ["1"])[0])
        return Reply(200, {"data": [{"id": page * 10 + n} for n in range(2 if page < 3 else 1)]})

    with HostileServer(pages) as server:
        ids = [record["id"] for record in hook_on(server).paginate("/v2/people", per_page=2)]
    assert ids == [10, 11, 20, 21, 30]


# -- 11. a slow-drip answer is bounded by the timeout ------------------------------------------------------
def test_slow_drip_answer_is_bounded_by_the_timeout(hook_on: Any) -> None:
    drip = Reply(200, {"data": {"id": 1, "name": "x" * 40}}, drip_s=0.1)
    with (
        HostileServer(lambda seen: drip) as server,
        pytest.raises(SalesloftTransportError, match="within the 1 s timeout") as info,
    ):
        hook_on(server, timeout=1, retry_max_attempts=1).get_me()
    assert info.value.committed_maybe


# -- 12. an outage: the lookups share the add's budget; the error names the add ----------------------------
def test_outage_shares_one_budget_and_names_the_add(hook_on: Any) -> None:
    down = Reply(503, b"<html>down</html>", {"Content-Type": "text/html"})
    with HostileServer(lambda seen: down) as server, pytest.raises(SalesloftTransportError) as info:
        hook_on(server, retry_max_attempts=6).create_cadence_membership(1001, 10)
    assert "POST /v2/cadence_memberships failed" in str(info.value)
    assert len(server.requests("POST")) == 1  # never blindly re-sent
    assert len(server.requests("GET")) <= 5  # one lookup per outer attempt, not 6 x 6


# -- 14. malformed token answers ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (Reply(200, [1, 2]), "no JSON object"),
        (Reply(200, "a string"), "no JSON object"),
        (Reply(200, {"token_type": "bearer"}), "no access token"),
        (Reply(400, {"error": "invalid_client", "error_description": "bad secret app-secret-XYZ123"}), "***"),
        # a20: a header is text from the server too (the Content-Type is quoted in the error)
        (Reply(400, b"no", {"Content-Type": "text/plain; echo=client_secret=app-secret-XYZ123"}), "***"),
    ],
)
def test_malformed_token_answers_are_typed_errors(hook_on: Any, answer: Reply, expected: str) -> None:
    with HostileServer(lambda seen: answer) as server:
        hook = hook_on(
            server, password=None, client_id="a", client_secret="app-secret-XYZ123", token_url=server.url
        )
        with pytest.raises(SalesloftOAuthError, match=expected.replace("*", r"\*")) as info:
            hook.get_me()
    assert "app-secret-XYZ123" not in str(info.value)


def test_token_endpoint_429_is_retried_and_odd_expires_in_kept(hook_on: Any) -> None:
    answers = iter(
        [
            Reply(429, {"error": "slow down"}, {"Retry-After": "1"}),
            Reply(200, {"access_token": "at-1", "refresh_token": "rt-2", "expires_in": "soon"}),
        ]
    )

    def script(seen: Seen) -> Reply:
        if seen.path == "/oauth/token":
            return next(answers)
        return Reply(200, {"data": {"name": "Ada", "email": "ada@example.com"}})

    with HostileServer(script) as server:
        hook = hook_on(
            server, password=None, client_id="a", client_secret="b", token_url=f"{server.url}/oauth/token"
        )
        hook.token_source.store = _MemoryStore()  # type: ignore[attr-defined]
        assert hook.get_me()["name"] == "Ada"
    assert len(server.requests("POST", "/oauth/token")) == 2


class _MemoryStore:
    tokens: StoredToken | None = None
    key = "memory"

    def load(self) -> StoredToken | None:
        return self.tokens

    def save(self, tokens: StoredToken) -> None:
        self.tokens = tokens


# -- 15. unreadable Retry-After headers are ignored --------------------------------------------------------
@pytest.mark.parametrize(
    "value", ["soon", "Wed, 21 Oct 2015 07:28:00 -0000", "nan", "inf", "", "Thu, 99 Foo"]
)
def test_unreadable_retry_after_never_raises(value: str) -> None:
    seconds = retry_after_seconds({"Retry-After": value})
    assert seconds is None or seconds >= 0


def test_503_with_odd_retry_after_is_still_retried(hook_on: Any) -> None:
    answers = iter([Reply(503, b"down", {"Retry-After": "soon"}), Reply(200, {"data": {"name": "Ada"}})])
    with HostileServer(lambda seen: next(answers)) as server:
        assert hook_on(server).get_me()["name"] == "Ada"
    assert len(server.seen) == 2


# -- 16. the connection test on odd answers ----------------------------------------------------------------
@pytest.mark.parametrize("reply", [Reply(200, {}), Reply(200, b"not json"), Reply(200, [])])
def test_connection_test_on_odd_answers(hook_on: Any, reply: Reply) -> None:
    with HostileServer(lambda seen: reply) as server:
        ok, message = hook_on(server).test_connection()
    assert not ok
    assert message


# -- 17. API keys with surrounding white space or impossible characters ------------------------------------
def test_api_key_white_space_is_stripped(hook_on: Any) -> None:
    def check(seen: Seen) -> Reply:
        ok = seen.headers.get("Authorization") == f"Bearer {API_KEY}"
        return Reply(200, {"data": {"name": "Ada"}}) if ok else Reply(401, {"error": "bad"})

    with HostileServer(check) as server:
        assert hook_on(server, password=f"  {API_KEY}\n").get_me()["name"] == "Ada"


def test_api_key_with_impossible_characters_is_refused_without_echo(hook_on: Any) -> None:
    with (
        HostileServer(lambda seen: Reply(200, {})) as server,
        pytest.raises(SalesloftConfigError, match="position 3") as info,
    ):
        hook_on(server, password="skéy-123456").get_me()
    assert "skéy" not in str(info.value)
    assert server.seen == []


# -- 3. a Date header behind Salesloft's clock is corrected by Salesloft's own timestamps -------------
@pytest.mark.salesloft_simulator(
    rate_limit=100_000, rate_window_s=5.0, date_offset_s=-300, already_on_cadence="200"
)
def test_date_behind_is_corrected_by_record_timestamps(salesloft_simulator: Any, make_hook: Any) -> None:
    salesloft_simulator.state.add_to_cadence(1, {"person_id": 1042, "cadence_id": 10}, "422")
    salesloft_simulator.age_memberships(120)  # added two minutes ago: inside the five minutes the Date is off
    hook = make_hook(salesloft_simulator)
    assert hook.ensure_cadence_membership(1043, 10)[1] is True  # fresh timestamps correct the offset ...
    assert hook.clock.corroborated
    membership, added_now = hook.ensure_cadence_membership(1042, 10)  # ... so the old add is told apart
    assert added_now is False
    assert membership["person"]["id"] == 1042


def test_a_transient_token_endpoint_error_inside_a_call_is_retried(hook_on: Any) -> None:
    """Only the lost-answer lookups of an add take one attempt each; a token fetch keeps its retries."""
    answers = iter([Reply(503, b"busy"), Reply(200, {"access_token": "at-1", "expires_in": 7200})])

    def script(seen: Seen) -> Reply:
        if seen.path == "/oauth/token":
            return next(answers)
        return Reply(200, {"data": {"name": "Ada", "email": "ada@example.com"}})

    with HostileServer(script) as server:
        token_url = f"{server.url}/oauth/token"
        hook = hook_on(server, password=None, client_id="a", client_secret="b", oauth_url=token_url)
        hook.token_source.store = _MemoryStore()  # type: ignore[attr-defined]
        assert hook.get_me()["name"] == "Ada"
    assert len(server.requests("POST", "/oauth/token")) == 2


# -- a20: compressed answers (the hook asks for gzip, deflate; the answer is read raw within the deadline) --
ME = {"data": {"id": 7, "name": "Me", "email": "me@example.com"}}


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),  # zlib-wrapped, as the standard says
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send it
        ("GZIP", gzip.compress),
        ("gzip, gzip", lambda data: gzip.compress(gzip.compress(data))),
        ("identity", lambda data: data),
    ],
)
def test_a_compressed_answer_is_decoded(
    hook_on: Callable[..., SalesloftHook], encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    body = compress(json.dumps(ME).encode())
    with HostileServer(lambda seen: Reply(body=body, headers={"Content-Encoding": encoding})) as server:
        assert hook_on(server).get_me() == ME["data"]
    assert "gzip" in server.seen[0].headers.get("Accept-Encoding", "")


def test_a_compressed_bomb_is_refused_by_its_size_not_read_whole(
    hook_on: Callable[..., SalesloftHook],
) -> None:
    from airflow_provider_salesloft.hooks.answers import MAX_BODY_BYTES

    bomb = gzip.compress(b"0" * (MAX_BODY_BYTES + 1024))
    assert len(bomb) < 100_000
    server = HostileServer(lambda seen: Reply(body=bomb, headers={"Content-Encoding": "gzip"}))
    with server, pytest.raises(SalesloftTransportError, match="no complete answer") as raised:
        hook_on(server, retry_max_attempts=1).get_me()
    assert API_KEY not in str(raised.value)


def test_an_unknown_content_encoding_is_a_clear_error(hook_on: Callable[..., SalesloftHook]) -> None:
    server = HostileServer(lambda seen: Reply(body=b"\x00\x01", headers={"Content-Encoding": "br"}))
    with server, pytest.raises(SalesloftUnexpectedAnswerError, match="br"):
        hook_on(server, retry_max_attempts=1).get_me()
