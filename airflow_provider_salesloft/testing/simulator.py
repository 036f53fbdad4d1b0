"""An offline Salesloft: a real HTTP server on loopback that behaves like the REST API v2 as documented.

It serves the envelope (``{"data": ...}``, ``metadata.paging``), the errors (401/403/404/422/429/5xx with
Salesloft's bodies), the per-team cost-based rate limit with its ``x-ratelimit-*`` headers and deep-page
costs, and accepts parameters as a query string, a JSON body or a form body (urlencoded or multipart), as
Salesloft does. Faults can be injected, deterministically from a seed: latency, 503s, dropped connections,
lost responses of committed POSTs, and either answer Salesloft may give for a person already on a cadence.

Admin endpoints (no auth, never rate limited) let a test or the demo steer a running server:
``GET /_sim/stats``, ``POST /_sim/faults`` (JSON body of :class:`Faults` fields), ``POST /_sim/reset``,
``POST /_sim/expire_tokens``.

The parts: :mod:`.state` (records and rules), :mod:`.routes` (the API's routes), :mod:`.server` (HTTP),
:mod:`.faults` (faults and stats), :mod:`.rate_limit`, :mod:`.oauth`, :mod:`.api` (conventions).
Nothing in the provider's production code imports this package.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from airflow_provider_salesloft.hooks.settings import is_loopback
from airflow_provider_salesloft.testing.api import DEEP_PAGE_COSTS, ApiError, paged
from airflow_provider_salesloft.testing.bulk_jobs import BulkJobs
from airflow_provider_salesloft.testing.faults import Dice, Faults, Stats
from airflow_provider_salesloft.testing.oauth import DEFAULT_API_KEY, OAuthServer
from airflow_provider_salesloft.testing.rate_limit import TeamRateLimit
from airflow_provider_salesloft.testing.routes import SCOPES
from airflow_provider_salesloft.testing.server import SimulatorServer
from airflow_provider_salesloft.testing.state import ALREADY_ON_CADENCE_MESSAGE, SalesloftState

__all__ = [
    "ALREADY_ON_CADENCE_MESSAGE",
    "DEEP_PAGE_COSTS",
    "DEFAULT_API_KEY",
    "ApiError",
    "Faults",
    "SalesloftSimulator",
    "SalesloftState",
    "Stats",
]


class SalesloftSimulator:
    """A Salesloft stand-in served over HTTP on loopback; use as a context manager.

    :param port: port to bind (0: any free port).
    :param people: how many people to seed (ids 1001..., emails ``person{n}@example.com``).
    :param api_keys: API keys accepted (default: :data:`DEFAULT_API_KEY`).
    :param seed: seed of the fault dice, for reproducible runs.
    :param oauth_clients: ``client_id -> client_secret`` of OAuth apps the token endpoint knows.
    :param host: address to bind (loopback by default).
    :param allow_non_loopback: allow ``host`` beyond loopback (the admin endpoints have no auth).
    :param scopes: API key -> the scopes it carries (keys not listed, and OAuth tokens, carry every scope);
        a read without its scope is answered 403.
    :param email_lookup: what ``GET /v2/people?email_addresses[]=`` matches: ``"primary"`` (the
        ``email_address`` only) or ``"all"`` (personal and secondary addresses too); Salesloft documents
        neither.
    :param intentional_duplicates: the team allows several people with one email (seeded people include
        two such).
    :param faults: keyword arguments for :class:`Faults`.

    >>> with SalesloftSimulator() as sim:
    ...     sim.url  # e.g. "http://127.0.0.1:54321"
    """

    def __init__(
        self,
        port: int = 0,
        *,
        people: int = 200,
        api_keys: tuple[str, ...] = (DEFAULT_API_KEY,),
        seed: int = 0,
        oauth_clients: dict[str, str] | None = None,
        host: str = "127.0.0.1",
        allow_non_loopback: bool = False,
        scopes: dict[str, tuple[str, ...]] | None = None,
        email_lookup: str = "primary",
        intentional_duplicates: bool = True,
        **faults: Any,
    ) -> None:
        if not allow_non_loopback and not is_loopback(host):
            raise ValueError(
                f"refusing to bind the simulator to {host!r}: its /_sim admin endpoints have no auth; bind "
                "loopback (127.0.0.1), or pass allow_non_loopback=True (--allow-non-loopback) to insist"
            )
        self.faults = Faults()
        self.faults.update(faults)
        if email_lookup not in ("primary", "all"):
            raise ValueError("email_lookup must be 'primary' or 'all'")
        self.state = SalesloftState(
            people=people, intentional_duplicates=intentional_duplicates, email_lookup=email_lookup
        )
        self.bulk_jobs = BulkJobs(
            self.state,
            lambda: self.faults.bulk_job_records_per_s,
            lambda: self.fault_happens("lost_result_share", "lost_results"),
        )
        self.scopes = {key: set(granted) for key, granted in (scopes or {}).items()}
        self.stats = Stats()
        self.oauth = OAuthServer(api_keys, dict(oauth_clients or {}), self.state.lock)
        self.dice = Dice(seed)
        self.rate_limit = TeamRateLimit(lock=self.state.lock)
        self._server = SimulatorServer((host, port), self)
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL of the API, e.g. ``http://127.0.0.1:54321``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def token_url(self) -> str:
        """OAuth token endpoint of this simulator."""
        return f"{self.url}/oauth/token"

    @property
    def authorize_url(self) -> str:
        """OAuth authorization endpoint of this simulator (approves at once)."""
        return f"{self.url}/oauth/authorize"

    def start(self) -> SalesloftSimulator:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, name="salesloft-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def serve_forever(self) -> None:
        """Serve in the calling thread (the command line)."""
        self._server.serve_forever()

    def __enter__(self) -> SalesloftSimulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- helpers for tests -----------------------------------------------------------------------------
    def connection_uri_json(self, api_key: str = DEFAULT_API_KEY, **extras: Any) -> str:
        """The JSON for ``AIRFLOW_CONN_<ID>`` that points a connection at this simulator."""
        return json.dumps(
            {
                "conn_type": "salesloft",
                "host": self.url,
                "password": api_key,
                "extra": {"rate_limit_window_s": self.faults.rate_window_s, **extras},
            }
        )

    def oauth_connection_json(
        self, client_id: str, client_secret: str, refresh_token: str | None = None, **extras: Any
    ) -> str:
        """The JSON for ``AIRFLOW_CONN_<ID>`` of an OAuth connection to this simulator (refresh-token grant
        when ``refresh_token`` is given, else client credentials)."""
        extra = {
            "client_id": client_id,
            "client_secret": client_secret,
            "oauth_url": self.token_url,
            "rate_limit_window_s": self.faults.rate_window_s,
            **extras,
        }
        if refresh_token:
            extra["refresh_token"] = refresh_token
        return json.dumps({"conn_type": "salesloft", "host": self.url, "extra": extra})

    def set_faults(self, **changes: Any) -> None:
        """Change faults of the running server."""
        with self.state.lock:
            self.faults.update(changes)

    def reset(self) -> None:
        """Forget every membership and zero the counters."""
        with self.state.lock:
            self.state.clear_memberships()
            self.stats = Stats()

    def memberships_on(self, cadence_id: int) -> dict[int, dict[str, Any]]:
        """person_id -> membership (rendered) for everyone currently on ``cadence_id``."""
        with self.state.lock:
            return {
                m["person_id"]: self.state.render_membership(m)
                for m in self.state.memberships.values()
                if m["cadence_id"] == cadence_id and m["currently_on_cadence"]
            }

    def age_memberships(self, seconds: float) -> None:
        """Move every membership's timestamps ``seconds`` into the past (as if added earlier)."""
        delta = timedelta(seconds=seconds)
        with self.state.lock:
            for membership in self.state.memberships.values():
                for key in ("added_at", "created_at", "updated_at"):
                    moved = datetime.fromisoformat(membership[key]) - delta
                    membership[key] = moved.isoformat(timespec="microseconds")

    # -- auth (see :class:`OAuthServer`) ----------------------------------------------------------------
    @property
    def api_keys(self) -> set[str]:
        """API keys accepted."""
        return self.oauth.api_keys

    @property
    def refresh_tokens(self) -> dict[str, str]:
        """Live refresh tokens -> their client id."""
        return self.oauth.refresh_tokens

    @property
    def issued_secrets(self) -> list[str]:
        """Every access and refresh token ever issued (for leak scans)."""
        return self.oauth.issued_secrets

    def authenticate(self, header: str | None) -> int:
        """Return the user id a bearer token acts as, or raise (and count) a 401."""
        try:
            return self.oauth.authenticate(header)
        except ApiError:
            with self.state.lock:
                self.stats.unauthorized += 1
            raise

    def check_scope(self, header: str | None, route: str) -> None:
        """Raise 403 when the API key in ``header`` lacks the scope ``route`` needs."""
        needed = SCOPES.get(route)
        token = (header or "").removeprefix("Bearer ").strip()
        if needed and token in self.scopes and needed not in self.scopes[token]:
            raise ApiError(403, {"error": "You do not have access to this resource"})

    def issue_token(self, params: dict[str, Any]) -> dict[str, Any]:
        """The OAuth token endpoint (``refresh_token`` and ``client_credentials`` grants)."""
        answer = self.oauth.issue_token(params, self.faults.token_lifetime_s)
        with self.state.lock:
            self.stats.tokens_issued += 1
        return answer

    def grant_refresh_token(self, client_id: str) -> str:
        """Create a live refresh token for ``client_id`` (what the OAuth consent flow would give)."""
        return self.oauth.grant_refresh_token(client_id)

    def expire_tokens(self) -> None:
        """Expire every OAuth access token now (refresh tokens stay valid)."""
        self.oauth.expire_tokens()

    # -- what the server's steps ask ---------------------------------------------------------------------
    def count_call(self, route: str) -> int:
        """Count an API call (before anything may go wrong with it); its number, from 1."""
        with self.state.lock:
            self.stats.calls += 1
            self.stats.calls_by_route[route] += 1
            return self.stats.calls

    def count_answer(self) -> None:
        """Count a successful answer; revoke tokens every ``expire_tokens_every_calls`` answers."""
        with self.state.lock:
            self.stats.answered += 1
            every = self.faults.expire_tokens_every_calls
            if every and self.stats.answered % every == 0:
                self.oauth.expire_tokens()

    def fault_happens(self, share_fault: str, counter: str) -> bool:
        """Roll the dice for the fault named ``share_fault``; count it in ``stats.<counter>`` if it hits."""
        if not self.dice.roll(getattr(self.faults, share_fault), stream=share_fault):
            return False
        with self.state.lock:
            setattr(self.stats, counter, getattr(self.stats, counter) + 1)
        return True

    def page(self, items: list[Any], params: dict[str, Any]) -> dict[str, Any]:
        """One page of a list answer, with or without ``metadata.paging`` as the faults say."""
        return paged(
            items, params, with_paging=not self.faults.omit_paging, page_size_cap=self.faults.page_size_cap
        )

    def roll(self, share: float) -> bool:
        """Deterministic dice: True with probability ``share``."""
        return self.dice.roll(share)

    def rate_window_origin(self) -> float:
        """When the rate limit's window 0 began (epoch seconds)."""
        return self.rate_limit.origin(self.faults.rate_window_s, self.faults.rate_window_aligned)

    def charge(self, cost: int, call: int = 0) -> tuple[bool, dict[str, str]]:
        """Charge ``cost`` to the team's window: ``(allowed, rate-limit headers for the answer)``; ``call``
        is the call's number (:meth:`count_call`)."""
        faults = self.faults
        allowed, remaining = self.rate_limit.charge(
            cost,
            limit=faults.rate_limit,
            window_s=faults.rate_window_s,
            cost_by_window=self.stats.cost_by_window,
            aligned=faults.rate_window_aligned,
        )
        headers: dict[str, str] = {}
        if faults.rate_limit_headers:
            headers = {"x-ratelimit-endpoint-cost": str(cost), "x-ratelimit-remaining-minute": str(remaining)}
            if faults.glitch_remaining_at_call and call == faults.glitch_remaining_at_call:
                headers["x-ratelimit-remaining-minute"] = "59999"
        if not allowed:
            with self.state.lock:
                self.stats.rate_limited += 1
            if faults.retry_after:
                headers["Retry-After"] = str(max(1, round(faults.rate_window_s)))
        return allowed, headers
