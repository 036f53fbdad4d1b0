"""The Salesloft hook: one pooled session to the Salesloft REST API v2, with auth, retries and paging."""

from __future__ import annotations

import email.utils
import ipaddress
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
from airflow.providers.common.compat.sdk import BaseHook, mask_secret
from requests_toolbelt.adapters.socket_options import TCPKeepAliveAdapter
from urllib3.exceptions import NewConnectionError

from airflow_provider_salesloft import connection_form
from airflow_provider_salesloft.exceptions import (
    SalesloftAPIError,
    SalesloftConfigError,
    SalesloftError,
    SalesloftTransportError,
    SalesloftValidationError,
    api_error_class,
)
from airflow_provider_salesloft.hooks.auth import (
    ApiKeyTokenSource,
    OAuthTokenSource,
    TokenSource,
    VariableTokenStore,
)
from airflow_provider_salesloft.hooks.rate_limit import RateLimitPacer
from airflow_provider_salesloft.hooks.retry import RetryPolicy
from airflow_provider_salesloft.validation import coerce_id, coerce_optional_id

DEFAULT_BASE_URL = connection_form.DEFAULT_API_URL
DEFAULT_APP_URL = connection_form.DEFAULT_APP_URL
DEFAULT_TIMEOUT_S = 30.0
#: Connections kept alive per hook; the sync operator's worker pool never exceeds it.
DEFAULT_POOL_SIZE = 16
#: Largest page Salesloft serves.
MAX_PER_PAGE = 100
#: Pages past this one cost more than 1 (101-150 cost 3, ...): switch to an ``updated_at`` cursor instead.
CHEAP_PAGES = 100
#: Margin when judging from timestamps whether a membership was added by our call: with the server's clock
#: offset measured from its ``Date`` header (1 s resolution), and without it (clocks merely NTP-synced).
CLOCK_MARGIN_MEASURED = timedelta(seconds=2)
CLOCK_MARGIN_UNMEASURED = timedelta(seconds=120)


@dataclass(frozen=True)
class ConnectionSettings:
    """What the hook reads from its Airflow connection, once.

    :param base_url: API root, scheme included, no trailing slash.
    :param app_url: root of the Salesloft web app, for operator links.
    :param timeout: seconds to wait for a connection and for an answer.
    :param verify: TLS verification: a bool or a CA bundle path.
    :param proxies: requests-style proxies mapping.
    :param cert: client certificate path, if any.
    :param trust_env: whether requests reads proxy settings and ``.netrc`` from the environment.
    :param retry: the retry policy.
    """

    base_url: str
    app_url: str
    timeout: float
    verify: bool | str
    proxies: dict[str, str]
    cert: str | None
    trust_env: bool
    retry: RetryPolicy


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def parse_base_url(host: str | None, schema: str | None = None, port: int | None = None) -> str:
    """Turn a connection's host (scheme included or not), schema and port into the API base URL.

    Refuses plain ``http://`` to anything but loopback, so a key is never sent in clear text.
    """
    if not host:
        return DEFAULT_BASE_URL
    url = host if "://" in host else f"{schema or 'https'}://{host}"
    parts = urlsplit(url)
    if port and not parts.port:
        url = f"{parts.scheme}://{parts.netloc}:{port}{parts.path}"
        parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SalesloftConfigError(f"the connection's host must be an http(s) URL, got {host!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise SalesloftConfigError(
            f"refusing plain http to {parts.hostname!r}: the API key would travel in clear text; "
            "use https (plain http is allowed for loopback simulators only)"
        )
    return url.rstrip("/")


def _as_bool(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def query_params(filters: Mapping[str, Any]) -> dict[str, Any]:
    """Render filters the way Salesloft reads them: lists as ``name[]``, booleans as ``true``/``false``."""
    params: dict[str, Any] = {}
    for key, value in filters.items():
        if value is None:
            continue
        if isinstance(value, bool):
            params[key] = "true" if value else "false"
        elif isinstance(value, (list, tuple, set, frozenset)):
            params[key if key.endswith("[]") else f"{key}[]"] = list(value)
        else:
            params[key] = value
    return params


def parse_timestamp(value: Any) -> datetime | None:
    """Parse a Salesloft timestamp (``2024-01-01T00:00:00.000000+00:00``); None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        if parsed is None:
            return None
        return max(0.0, (parsed - datetime.now(timezone.utc)).total_seconds())


def _error_from_response(response: requests.Response, method: str, path: str) -> SalesloftAPIError:
    errors: dict[str, Any] = {}
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("errors"), dict):
        errors = body["errors"]
        message = "; ".join(
            f"{field} {', '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
            for field, msgs in errors.items()
        )
    elif isinstance(body, dict) and body.get("error"):
        message = str(body["error"])
    else:
        text = " ".join(response.text.split())
        kind = response.headers.get("Content-Type", "no content type")
        message = (
            f"{response.reason or 'error'} ({kind}): {text[:200]}" if text else response.reason or "error"
        )
    return api_error_class(response.status_code)(
        response.status_code,
        method,
        path,
        message,
        errors=errors,
        retry_after=_retry_after_seconds(response),
    )


class SalesloftHook(BaseHook):
    """Talk to the Salesloft REST API v2.

    The connection (type ``salesloft``) gives the API root in ``host`` (default
    ``https://api.salesloft.com``; ``http://`` only for loopback) and the API key in ``password``. Extras:
    ``timeout`` (s, default 30), ``verify``, ``proxies``, ``cert``, ``trust_env`` (as in the http
    provider), ``retry_max_attempts`` (6), ``retry_max_elapsed_s`` (300), ``retry_backoff_base_s`` (1),
    ``retry_backoff_max_s`` (30), ``rate_limit_window_s`` (60) and ``app_url`` (web app root, for links).
    Extras are never sent as HTTP headers.

    Unlike the http provider's ``HttpHook``, which builds a new session per call and copies extras into
    headers, this hook reads its connection once, keeps one ``requests.Session`` with a keep-alive pool
    (the same ``TCPKeepAliveAdapter`` the http provider mounts) sized for concurrent use, and paces, retries
    and pages in one place each.

    :param salesloft_conn_id: the Airflow connection to use.
    :param pool_size: connections kept alive, i.e. the most concurrent requests this hook serves well.
    :param rate_limit_share: share ``(0, 1]`` of the team's rate limit this hook may use; the rest is left
        for the team's other integrations.
    """

    conn_name_attr = "salesloft_conn_id"
    default_conn_name = "salesloft_default"
    conn_type = "salesloft"
    hook_name = "Salesloft"

    #: Extras that hold secrets: masked in logs as soon as the connection is read.
    SECRET_EXTRAS: ClassVar[tuple[str, ...]] = ("client_secret", "refresh_token", "access_token")

    def __init__(
        self,
        salesloft_conn_id: str = default_conn_name,
        *,
        pool_size: int = DEFAULT_POOL_SIZE,
        rate_limit_share: float = 1.0,
    ) -> None:
        super().__init__()
        if not 0 < rate_limit_share <= 1:
            raise SalesloftConfigError(f"rate_limit_share must be in (0, 1], got {rate_limit_share!r}")
        self.salesloft_conn_id = salesloft_conn_id
        self.pool_size = pool_size
        self.rate_limit_share = rate_limit_share
        self._server_clock_offset: timedelta | None = None  # Salesloft's clock minus ours (Date header)

    # -- connection, settings, session (each built once per hook) --------------------------------------
    @cached_property
    def connection(self) -> Any:
        """The Airflow connection, read once; its secrets are registered with the secrets masker."""
        conn = self.get_connection(self.salesloft_conn_id)
        if conn.password:
            mask_secret(conn.password)
        for key in self.SECRET_EXTRAS:  # as set in JSON, or by older connection forms
            for name in (key, f"extra__{self.conn_type}__{key}"):
                value = conn.extra_dejson.get(name)
                if value:
                    mask_secret(value)
        return conn

    @cached_property
    def settings(self) -> ConnectionSettings:
        """Settings parsed from the connection."""
        conn = self.connection
        extras = conn.extra_dejson
        return ConnectionSettings(
            base_url=parse_base_url(conn.host, conn.schema, conn.port),
            app_url=str(self.extra("app_url") or DEFAULT_APP_URL).rstrip("/"),
            timeout=float(self.extra("timeout") or DEFAULT_TIMEOUT_S),
            verify=extras["verify"]
            if isinstance(extras.get("verify"), str)
            else _as_bool(extras.get("verify", extras.get("verify_ssl")), True),
            proxies=dict(extras.get("proxies") or extras.get("proxy") or {}),
            cert=extras.get("cert"),
            trust_env=_as_bool(extras.get("trust_env"), True),
            retry=RetryPolicy.from_extras(extras),
        )

    def extra(self, name: str) -> Any:
        """A connection extra, set as ``name`` (JSON, new forms) or ``extra__salesloft__name`` (old forms)."""
        extras = self.connection.extra_dejson
        value = extras.get(name)
        return value if value not in (None, "") else extras.get(f"extra__{self.conn_type}__{name}")

    @cached_property
    def token_source(self) -> TokenSource:
        """Where bearer tokens come from, chosen from the connection.

        * ``client_id`` + ``client_secret`` + ``refresh_token`` extras: OAuth with rotating refresh tokens;
        * ``client_id`` + ``client_secret`` extras: OAuth client credentials;
        * else the ``password`` is the API key.
        """
        client_id, client_secret = self.extra("client_id"), self.extra("client_secret")
        refresh_token = self.extra("refresh_token")
        conn_id = self.salesloft_conn_id
        if client_id or client_secret or refresh_token:
            missing = [
                name
                for name, value in (("client_id", client_id), ("client_secret", client_secret))
                if not value
            ]
            if missing:
                raise SalesloftConfigError(
                    f"connection {conn_id!r} is set up for OAuth but its extras lack {' and '.join(missing)}"
                )
            return OAuthTokenSource(
                grant="refresh_token" if refresh_token else "client_credentials",
                client_id=str(client_id),
                client_secret=str(client_secret),
                refresh_token=str(refresh_token) if refresh_token else None,
                token_url=parse_base_url(str(self.extra("token_url") or connection_form.DEFAULT_TOKEN_URL)),
                store=VariableTokenStore(conn_id),
                session=lambda: self.session,
                timeout=self.settings.timeout,
                retry=self.settings.retry,
            )
        if not self.connection.password:
            raise SalesloftConfigError(
                f"connection {conn_id!r} has no credentials: put the API key in its password, or an OAuth "
                "app in its extras (client_id and client_secret, plus refresh_token for a user grant)"
            )
        return ApiKeyTokenSource(self.connection.password)

    @cached_property
    def pacer(self) -> RateLimitPacer:
        """Keeps this hook's calls within ``rate_limit_share`` of the team's limit."""
        return RateLimitPacer(share=self.rate_limit_share, window_s=self.settings.retry.rate_window_s)

    def get_conn(self) -> requests.Session:
        """Return the hook's one ``requests.Session`` (made on first use, then reused)."""
        return self.session

    @cached_property
    def session(self) -> requests.Session:
        """The pooled keep-alive session every request of this hook goes through."""
        settings = self.settings
        session = requests.Session()
        adapter = TCPKeepAliveAdapter(pool_connections=2, pool_maxsize=self.pool_size, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers.update({"Accept": "application/json", "User-Agent": "airflow-provider-salesloft"})
        session.verify = settings.verify
        session.proxies.update(settings.proxies)
        session.cert = settings.cert
        session.trust_env = settings.trust_env
        return session

    def membership_added_since(self, membership: Mapping[str, Any], since: datetime) -> bool:
        """True when ``membership`` is on its cadence and was (re)added at or after ``since`` (our clock).

        Compares Salesloft's ``added_at`` with ``since`` moved to Salesloft's clock; tells an add made by a
        call that began at ``since`` from an earlier one.
        """
        if not membership.get("currently_on_cadence"):
            return False
        added_at = parse_timestamp(membership.get("added_at"))
        if added_at is None:
            return True
        offset = self._server_clock_offset
        if offset is None:
            return added_at >= since - CLOCK_MARGIN_UNMEASURED
        return added_at >= since + offset - CLOCK_MARGIN_MEASURED

    def _measure_clock(self, response: requests.Response, received: datetime) -> None:
        if self._server_clock_offset is not None:
            return
        try:
            server_now = email.utils.parsedate_to_datetime(response.headers.get("Date", ""))
        except (TypeError, ValueError):
            return
        if server_now is not None and server_now.tzinfo is not None:
            # Date is truncated to the second: the server's time was within [Date, Date + 1 s).
            self._server_clock_offset = server_now + timedelta(seconds=0.5) - received

    def close(self) -> None:
        """Close the pooled connections."""
        if "session" in self.__dict__:
            self.session.close()
            del self.__dict__["session"]

    # -- transport -------------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        reconcile: Callable[[], Any | None] | None = None,
    ) -> Any:
        """Send one API request with pacing, auth and retries; return the decoded JSON body (None if empty).

        :param method: HTTP method.
        :param path: path under the base URL, e.g. ``/v2/me``.
        :param params: query parameters (see :func:`query_params`).
        :param body: JSON body.
        :param reconcile: for a request that is not idempotent: called before a retry that follows a failure
            which may have been carried out (lost response, read timeout, 5xx); if it returns a value, that
            value is returned as the request's result instead of sending the request again.
        """
        policy = self.settings.retry
        last_error: BaseException | None = None

        def attempt(number: int) -> Any:
            nonlocal last_error
            if number > 1 and reconcile is not None and last_error and policy.maybe_committed(last_error):
                found = reconcile()
                if found is not None:
                    self.log.warning(
                        "Salesloft %s %s: the failed attempt had been carried out; using its result",
                        method,
                        path,
                    )
                    return found
            try:
                return self._send(method, path, params, body)
            except SalesloftError as error:
                last_error = error
                raise

        return policy.call(
            attempt,
            describe=f"{method} {path}",
            log=self.log,
            rate_limit_wait=self.pacer.wait_after_rate_limit,
        )

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Mapping[str, Any] | None,
    ) -> Any:
        """One paced, authenticated HTTP exchange (plus one immediate retry if a refreshed token may help)."""
        url = f"{self.settings.base_url}{path}"
        for _ in range(2):
            token = self.token_source.token()
            sent_at = self.pacer.acquire()
            response: requests.Response | None = None
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=body,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=self.settings.timeout,
                    allow_redirects=False,
                )
            except requests.exceptions.ConnectTimeout as error:
                raise SalesloftTransportError(
                    f"{method} {path}: connect timeout ({error.__class__.__name__})", committed_maybe=False
                ) from None
            except requests.exceptions.ConnectionError as error:
                refused = _connection_refused(error)
                raise SalesloftTransportError(
                    f"{method} {path}: {'connection refused' if refused else 'connection lost'} "
                    f"({_root_cause(error)})",
                    committed_maybe=not refused,
                ) from None
            except requests.exceptions.RequestException as error:  # read timeout, broken chunked body, ...
                raise SalesloftTransportError(
                    f"{method} {path}: no complete answer ({error.__class__.__name__})", committed_maybe=True
                ) from None
            finally:
                self.pacer.release(
                    1,
                    sent_at,
                    response.status_code if response is not None else None,
                    response.headers if response is not None else None,
                )
            self._measure_clock(response, datetime.now(timezone.utc))
            if response.status_code == 401 and self.token_source.invalidate(token):
                continue
            if response.status_code >= 400:
                raise _error_from_response(response, method, path)
            if response.status_code == 204 or not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                raise SalesloftAPIError(response.status_code, method, path, "answer is not JSON") from None
        assert response is not None
        raise _error_from_response(response, method, path)

    def get_data(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``path`` and return its unwrapped ``data``."""
        return _unwrap(self.request("GET", path, params=params))

    def paginate(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        per_page: int = MAX_PER_PAGE,
        cursor_field: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield every record of a list endpoint, following ``metadata.paging.next_page``.

        :param cursor_field: a timestamp field the endpoint filters with ``field[gte]`` and sorts by
            (``updated_at``). When given, records are read oldest first, and before a page would cost more
            than 1 the listing restarts at page 1 from the last value seen, so a long listing never pays for
            deep pages. Records sharing that value are de-duplicated by ``id``.
        """
        base = dict(params or {})
        base["per_page"] = min(max(int(per_page), 1), MAX_PER_PAGE)
        if cursor_field:
            base.update(sort_by=cursor_field, sort_direction="ASC")
        seen_at_cursor: set[Any] = set()
        cursor: Any = None  # last cursor_field value yielded
        since: Any = None  # the listing's current lower bound, set when it restarts
        page: int | None = 1
        while page is not None:
            query = {**base, "page": page}
            if since is not None:
                query[f"{cursor_field}[gte]"] = since
            answer = self.request("GET", path, params=query) or {}
            records = _unwrap(answer) or []
            for record in records:
                if cursor_field:
                    value = record.get(cursor_field)
                    if value == cursor and record.get("id") in seen_at_cursor:
                        continue
                    if value != cursor:
                        cursor, seen_at_cursor = value, set()
                    seen_at_cursor.add(record.get("id"))
                yield record
            paging = (answer.get("metadata") or {}).get("paging") if isinstance(answer, dict) else None
            page = paging.get("next_page") if isinstance(paging, dict) else None
            if page is not None and cursor_field and int(page) > CHEAP_PAGES and cursor not in (None, since):
                # Restart from the cursor instead of paying for deep pages (unless a restart made no
                # progress: then more than 100 pages share one value, and only deep pages reach the rest).
                page, since = 1, cursor

    # -- API actions -----------------------------------------------------------------------------------
    def get_me(self) -> dict[str, Any]:
        """``GET /v2/me``: the user the token acts as."""
        return self.get_data("/v2/me")  # type: ignore[no-any-return]

    def create_cadence_membership(
        self,
        person_id: int,
        cadence_id: int,
        user_id: int | None = None,
        step_id: int | None = None,
        task_id: int | None = None,
    ) -> dict[str, Any]:
        """``POST /v2/cadence_memberships``: add a person to a cadence; return the membership.

        There is no idempotency key, so an attempt whose answer was lost (dropped connection, read timeout,
        5xx) is not blindly repeated: the person's membership is looked up first, and if the person went on
        the cadence since this call began, that membership is returned.

        :raises SalesloftValidationError: 422, e.g. when the person is already on the cadence.
        """
        person, cadence = coerce_id("person_id", person_id), coerce_id("cadence_id", cadence_id)
        ids = {
            "person_id": person,
            "cadence_id": cadence,
            "user_id": coerce_optional_id("user_id", user_id),
            "step_id": coerce_optional_id("step_id", step_id),
            "task_id": coerce_optional_id("task_id", task_id),
        }
        started = datetime.now(timezone.utc)

        def reconcile() -> dict[str, Any] | None:
            current = self.find_current_membership(person, cadence)
            return current if current is not None and self.membership_added_since(current, started) else None

        body = {key: value for key, value in ids.items() if value is not None}
        return _unwrap(  # type: ignore[no-any-return]
            self.request("POST", "/v2/cadence_memberships", body=body, reconcile=reconcile)
        )

    def ensure_cadence_membership(
        self,
        person_id: int,
        cadence_id: int,
        user_id: int | None = None,
        step_id: int | None = None,
        task_id: int | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Add a person to a cadence unless already on it; return ``(membership, added_now)``.

        Copes with both answers Salesloft may give for a person already on the cadence: a 422 (then the
        current membership is looked up) or a 200 with the existing membership (told apart by ``added_at``).

        :raises SalesloftValidationError: a 422 for any other reason (the person is not on the cadence).
        """
        started = datetime.now(timezone.utc)
        try:
            membership = self.create_cadence_membership(
                person_id, cadence_id, user_id=user_id, step_id=step_id, task_id=task_id
            )
        except SalesloftValidationError:
            existing = self.find_current_membership(person_id, cadence_id)
            if existing is None:
                raise
            return existing, False
        return membership, self.membership_added_since(membership, started)

    def get_cadence_membership(self, membership_id: int) -> dict[str, Any]:
        """``GET /v2/cadence_memberships/{id}``."""
        return self.get_data(  # type: ignore[no-any-return]
            f"/v2/cadence_memberships/{coerce_id('membership_id', membership_id)}"
        )

    def iter_cadence_memberships(
        self, *, per_page: int = MAX_PER_PAGE, **filters: Any
    ) -> Iterator[dict[str, Any]]:
        """``GET /v2/cadence_memberships``: yield memberships matching ``filters``, every page.

        Filters as Salesloft names them: ``person_id``, ``cadence_id``, ``currently_on_cadence`` (bool),
        ``ids`` (list), ``updated_at[gte]`` (pass via ``**{...}``), ``sort_by``, ``sort_direction``.
        Listings are read with an ``updated_at`` cursor, so they never pay for deep pages.
        """
        return self.paginate(
            "/v2/cadence_memberships", query_params(filters), per_page=per_page, cursor_field="updated_at"
        )

    def find_current_membership(self, person_id: int, cadence_id: int) -> dict[str, Any] | None:
        """Return the person's membership of the cadence if they are currently on it, else None."""
        for membership in self.iter_cadence_memberships(
            person_id=person_id, cadence_id=cadence_id, currently_on_cadence=True, per_page=1
        ):
            return membership
        return None

    def delete_cadence_membership(self, membership_id: int) -> None:
        """``DELETE /v2/cadence_memberships/{id}``: take the person off the cadence."""
        self.request("DELETE", f"/v2/cadence_memberships/{coerce_id('membership_id', membership_id)}")

    def find_people_by_email(self, emails: Iterable[str]) -> list[dict[str, Any]]:
        """``GET /v2/people?email_addresses[]=…``: the people with these emails, 100 emails a call."""
        unique = list(dict.fromkeys(e.strip() for e in emails if e and e.strip()))
        people: list[dict[str, Any]] = []
        for start in range(0, len(unique), MAX_PER_PAGE):
            chunk = unique[start : start + MAX_PER_PAGE]
            people.extend(self.paginate("/v2/people", query_params({"email_addresses": chunk})))
        return people

    def get_cadence(self, cadence_id: int) -> dict[str, Any]:
        """``GET /v2/cadences/{id}``."""
        return self.get_data(f"/v2/cadences/{coerce_id('cadence_id', cadence_id)}")  # type: ignore[no-any-return]

    def iter_cadences(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """``GET /v2/cadences``: filters ``name`` (list), ``people_addable``, ``team_cadence``."""
        return self.paginate("/v2/cadences", query_params(filters))

    # -- Airflow integration ---------------------------------------------------------------------------
    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Extra fields of the connection form (Airflow < 3.2; newer lines read provider info)."""
        return connection_form.wtforms_widgets()

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Hidden, relabeled and placeholder fields of the connection form (Airflow < 3.2)."""
        return connection_form.ui_field_behaviour()

    def test_connection(self) -> tuple[bool, str]:
        """Call ``GET /v2/me``: ``(True, "Connected as <name> (<email>)")`` or ``(False, <the reason>)``."""
        try:
            me = self.get_me()
        except SalesloftAPIError as error:
            return False, error.message
        except SalesloftError as error:
            return False, str(error)
        name = me.get("name") or " ".join(filter(None, (me.get("first_name"), me.get("last_name"))))
        return True, f"Connected as {name} ({me.get('email')})"


def _unwrap(answer: Any) -> Any:
    return answer.get("data") if isinstance(answer, dict) and "data" in answer else answer


def _root_cause(error: BaseException) -> str:
    while error.__cause__ is not None or (error.args and isinstance(error.args[0], BaseException)):
        error = error.__cause__ or error.args[0]
    return error.__class__.__name__


def _connection_refused(error: requests.exceptions.ConnectionError) -> bool:
    reason: Any = error.args[0] if error.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, (NewConnectionError, ConnectionRefusedError))
