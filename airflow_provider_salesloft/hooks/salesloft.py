"""The Salesloft hook: the public face of the provider's access to the Salesloft REST API v2.

One method per API action, each returning plain dicts as Salesloft sends them. Transport (pacing, auth,
retries, paging, error decoding) lives in :mod:`~airflow_provider_salesloft.hooks.transport`, connection
settings in :mod:`~airflow_provider_salesloft.hooks.settings`, tokens in
:mod:`~airflow_provider_salesloft.hooks.auth`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from functools import cached_property
from typing import Any, ClassVar

import requests
from airflow.providers.common.compat.sdk import BaseHook, mask_secret

from airflow_provider_salesloft import connection_form
from airflow_provider_salesloft.exceptions import (
    SalesloftAPIError,
    SalesloftConfigError,
    SalesloftDoNotContactError,
    SalesloftError,
    SalesloftNotFoundError,
    SalesloftPermissionError,
    SalesloftUnexpectedAnswerError,
    SalesloftValidationError,
)
from airflow_provider_salesloft.hooks.auth import (
    ApiKeyTokenSource,
    OAuthTokenSource,
    TokenSource,
    VariableTokenStore,
)
from airflow_provider_salesloft.hooks.bulk_jobs import BulkJobActions
from airflow_provider_salesloft.hooks.clock import ServerClock
from airflow_provider_salesloft.hooks.paging import MAX_PER_PAGE, paginate, unwrap
from airflow_provider_salesloft.hooks.people import PeopleActions
from airflow_provider_salesloft.hooks.rate_limit import RateLimitPacer
from airflow_provider_salesloft.hooks.scopes import SCOPE_CHECKS
from airflow_provider_salesloft.hooks.settings import (
    DEFAULT_APP_URL,
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT_S,
    DEFAULT_TOKEN_URL,
    ConnectionExtras,
    ConnectionSettings,
    parse_base_url,
)
from airflow_provider_salesloft.hooks.team_window import VariableTeamWindowStore
from airflow_provider_salesloft.hooks.transport import SalesloftTransport, make_session, query_params
from airflow_provider_salesloft.validation import check_rate_limit_share, coerce_id, coerce_optional_id

__all__ = [
    "DEFAULT_APP_URL",
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT_S",
    "MAX_PER_PAGE",
    "ConnectionSettings",
    "SalesloftHook",
    "parse_base_url",
    "query_params",
]

#: Where a successful connection test says who it connected as (shown by ``airflow connections test``).
CONNECTION_TEST_LOG = logging.getLogger("airflow_provider_salesloft.connection_test")
#: Connections kept alive per hook; the sync operator's worker pool never exceeds it.
DEFAULT_POOL_SIZE = 16
#: Longest wait (s) for a ``processing`` membership to accept its removal.
PROCESSING_WAIT_S = 60.0


class SalesloftHook(PeopleActions, BulkJobActions, BaseHook):
    """Talk to the Salesloft REST API v2.

    The connection (type ``salesloft``) gives the API root in ``host`` (default
    ``https://api.salesloft.com``; ``http://`` only for loopback) and the API key in ``password``. Extras:
    ``timeout`` (s, default 30), ``verify``, ``proxies``, ``cert``, ``trust_env`` (as in the http
    provider), ``retry_max_attempts`` (6), ``retry_max_elapsed_s`` (300), ``retry_backoff_base_s`` (1),
    ``retry_backoff_max_s`` (30), ``rate_limit_window_s`` (60), ``rate_limit_share`` (0.9: the share of the
    team's rate limit the connection's tasks use) and ``app_url`` (web app root, for links).
    Extras are never sent as HTTP headers.

    Unlike the http provider's ``HttpHook``, which builds a new session per call and copies extras into
    headers, this hook reads its connection once, keeps one ``requests.Session`` with a keep-alive pool
    (the same ``TCPKeepAliveAdapter`` the http provider mounts) sized for concurrent use, and paces, retries
    and pages in one place each.

    :param salesloft_conn_id: the Airflow connection to use.
    :param pool_size: connections kept alive, i.e. the most concurrent requests this hook serves well.
    :param rate_limit_share: share ``[0.01, 1]`` of the team's rate limit this hook may use; the rest is left
        for the team's other integrations. Default: the connection's extra ``rate_limit_share`` (0.9).
    """

    conn_name_attr = "salesloft_conn_id"
    default_conn_name = connection_form.DEFAULT_CONN_ID
    conn_type = "salesloft"
    hook_name = "Salesloft"

    #: Extras that hold secrets: masked in logs as soon as the connection is read.
    SECRET_EXTRAS: ClassVar[tuple[str, ...]] = ("client_secret", "refresh_token", "access_token")

    def __init__(
        self,
        salesloft_conn_id: str = default_conn_name,
        *,
        pool_size: int = DEFAULT_POOL_SIZE,
        rate_limit_share: float | None = None,
    ) -> None:
        super().__init__()
        self.salesloft_conn_id = salesloft_conn_id
        self.pool_size = pool_size
        self._rate_limit_share = (
            None if rate_limit_share is None else check_rate_limit_share(rate_limit_share)
        )
        self.clock = ServerClock()
        self._testing = False

    # -- connection, settings, session (each built once per hook) --------------------------------------
    @cached_property
    def connection(self) -> Any:
        """The Airflow connection, read once; its secrets are registered with the secrets masker."""
        conn = self.get_connection(self.salesloft_conn_id)
        if conn.password:
            mask_secret(conn.password)
        extras = ConnectionExtras(conn.extra_dejson)
        for key in self.SECRET_EXTRAS:
            value = extras.get(key)
            if value:
                mask_secret(value)
        return conn

    @cached_property
    def extras(self) -> ConnectionExtras:
        """The connection's extras (set as ``name`` or ``extra__salesloft__name``)."""
        return ConnectionExtras(self.connection.extra_dejson)

    @cached_property
    def settings(self) -> ConnectionSettings:
        """Settings parsed from the connection."""
        return ConnectionSettings.from_connection(self.connection)

    def extra(self, name: str) -> Any:
        """A connection extra, set as ``name`` (JSON, new forms) or ``extra__salesloft__name`` (old forms)."""
        return self.extras.get(name)

    @cached_property
    def token_source(self) -> TokenSource:
        """Where bearer tokens come from, chosen from the connection.

        * ``client_id`` + ``client_secret`` + ``refresh_token`` extras: OAuth with rotating refresh tokens;
        * ``client_id`` + ``client_secret`` extras: OAuth client credentials;
        * else the ``password`` is the API key.
        """
        extras, conn_id = self.extras, self._label()
        client_id, client_secret = extras.text("client_id"), extras.text("client_secret")
        refresh_token = extras.text("refresh_token")
        if client_id or client_secret or refresh_token:
            missing = [
                name
                for name, value in (("client_id", client_id), ("client_secret", client_secret))
                if not value
            ]
            if missing or client_id is None or client_secret is None:
                raise SalesloftConfigError(
                    f"{conn_id} is set up for OAuth but its extras lack {' and '.join(missing)}"
                )
            return OAuthTokenSource(
                grant="refresh_token" if refresh_token else "client_credentials",
                client_id=client_id,
                client_secret=client_secret,
                refresh_token=refresh_token,
                token_url=parse_base_url(
                    extras.text("oauth_url") or extras.text("token_url") or DEFAULT_TOKEN_URL
                ),
                store=VariableTokenStore(self.salesloft_conn_id, client_secret),
                session=lambda: self.session,
                timeout=self.settings.timeout,
                retry=self.settings.retry,
            )
        if not self.connection.password:
            raise SalesloftConfigError(
                f"{conn_id} has no credentials: put the API key in its password, or an OAuth "
                "app in its extras (client_id and client_secret, plus refresh_token for a user grant)"
            )
        return ApiKeyTokenSource(self.connection.password)

    @property
    def rate_limit_share(self) -> float:
        """The share of the team's rate limit this hook uses: the argument, else the connection's extra."""
        if self._rate_limit_share is not None:
            return self._rate_limit_share
        return self.settings.rate_limit_share

    @cached_property
    def pacer(self) -> RateLimitPacer:
        """Keeps this hook's calls within ``rate_limit_share`` of the team's limit."""
        return RateLimitPacer(
            share=self.rate_limit_share,
            window_s=self.settings.rate_window_s,
            store=None  # a connection test's id is Airflow's temporary one: nothing to share
            if self._testing
            else VariableTeamWindowStore(
                self.salesloft_conn_id, self.settings.base_url, self.settings.rate_window_s
            ),
            minute_aligned=True,  # Salesloft's windows as public clients compute them, until refuted
        )

    @cached_property
    def session(self) -> requests.Session:
        """The pooled keep-alive session every request of this hook goes through."""
        return make_session(self.settings, self.pool_size)

    @cached_property
    def transport(self) -> SalesloftTransport:
        """Sends this hook's requests (pacing, auth, retries, decoding)."""
        return SalesloftTransport(
            settings=self.settings,
            session=self.session,
            token_source=self.token_source,
            pacer=self.pacer,
            clock=self.clock,
            log=self.log,
            connection_label=self._label,
        )

    def _label(self) -> str:
        """How messages name the connection ("this connection" in a connection test, whose id is Airflow's
        temporary one, not the user's)."""
        return "this connection" if self._testing else f"connection {self.salesloft_conn_id!r}"

    def get_conn(self) -> requests.Session:
        """Return the hook's one ``requests.Session`` (made on first use, then reused)."""
        return self.session

    def close(self) -> None:
        """Close the pooled connections."""
        if "session" in self.__dict__:
            self.session.close()
            del self.__dict__["session"]
            self.__dict__.pop("transport", None)

    # -- generic access, for endpoints without their own method -----------------------------------------
    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one API request (see :meth:`SalesloftTransport.request`); return the decoded JSON body."""
        return self.transport.request(method, path, **kwargs)

    def get_data(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``path`` and return its unwrapped ``data`` (an object or a list, as Salesloft sends it)."""
        return unwrap(self.request("GET", path, params=params))

    def paginate(
        self, path: str, params: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> Iterator[dict[str, Any]]:
        """Yield every record of a list endpoint (see :func:`.paging.paginate`)."""
        return paginate(self.transport.request, path, params, **kwargs)

    def membership_added_since(self, membership: Mapping[str, Any], since: datetime) -> bool:
        """True when ``membership`` is on its cadence and was (re)added at or after ``since`` (our clock).

        When Salesloft's clock cannot be trusted enough to tell (see :mod:`.clock`), the answer is True, with
        a warning: the person is on the cadence once either way, and an add is never reported failed, nor
        re-sent, for a doubt about clocks.
        """
        decided = self.clock.added_since(membership, since)
        if decided is None:
            self.log.warning(
                "Could not tell whether membership %s (person %s, cadence %s) was added by this call or just "
                "before it: the Date header of Salesloft's answers is not confirmed by its own timestamps "
                "(a proxy's clock?). Reporting it as added by this call.",
                membership.get("id"),
                (membership.get("person") or {}).get("id"),
                (membership.get("cadence") or {}).get("id"),
            )
            return True
        return decided

    # -- API actions -----------------------------------------------------------------------------------
    def get_me(self) -> dict[str, Any]:
        """``GET /v2/me``: the user the token acts as."""
        return self.transport.get_record("/v2/me")

    def create_cadence_membership(
        self,
        person_id: int,
        cadence_id: int,
        user_id: int | None = None,
        step_id: int | None = None,
        task_id: int | None = None,
        *,
        explain_not_found: bool = True,
    ) -> dict[str, Any]:
        """``POST /v2/cadence_memberships``: add a person to a cadence; return the membership.

        There is no idempotency key, so an attempt whose answer was lost (dropped connection, read timeout,
        5xx) is not blindly repeated: the person's membership is looked up first, and if the person went on
        the cadence since this call began, that membership is returned. A success answer that is not this
        person's membership of this cadence (an empty body, ``{}``, an error body with status 200, a
        redirect, ...) is checked the same way, never taken as a result.

        With ``explain_not_found`` (default), a 404 is followed by a read of the cadence and of the person
        (two reads, only then), and the error names the one that is missing or not visible; without it (a
        caller that tells them apart itself, like the sync), the error names every id sent.

        :raises SalesloftNotFoundError: 404, naming the missing record.
        :raises SalesloftValidationError: 422, e.g. when the person is already on the cadence.
        :raises SalesloftUnexpectedAnswerError: the answer was not a membership and the person did not go on
            the cadence during this call.
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
        path = "/v2/cadence_memberships"
        try:
            membership = unwrap(self.request("POST", path, body=body, reconcile=reconcile))
            if is_membership_of(membership, person, cadence):
                return dict(membership)
            status, problem = 200, f"the answer holds no membership of person {person} on cadence {cadence}"
        except SalesloftUnexpectedAnswerError as error:
            status, problem = error.status_code, error.message
        except SalesloftNotFoundError as error:
            named = " or ".join(f"{key} {value}" for key, value in ids.items() if value is not None)
            which = (
                self._which_not_found(ids)
                if explain_not_found
                else f"{named} not found or not visible to the connection's user"
            )
            raise SalesloftNotFoundError(404, "POST", path, f"{error.message}: {which}") from None
        except SalesloftValidationError as error:
            raise name_ids(error, ids) from None
        self.log.warning(
            "Salesloft's answer to adding person %s to cadence %s was not a membership (%s); "
            "checking whether the add was carried out",
            person,
            cadence,
            problem,
        )
        found = reconcile()
        if found is not None:
            return found
        raise SalesloftUnexpectedAnswerError(
            status,
            "POST",
            path,
            f"{problem}, and person {person} did not go on cadence {cadence} during this call",
        )

    def ensure_cadence_membership(
        self,
        person_id: int,
        cadence_id: int,
        user_id: int | None = None,
        step_id: int | None = None,
        task_id: int | None = None,
        *,
        explain_not_found: bool = True,
    ) -> tuple[dict[str, Any], bool]:
        """Add a person to a cadence unless already on it; return ``(membership, added_now)``.

        Copes with both answers Salesloft may give for a person already on the cadence: a 422 (then the
        current membership is looked up) or a 200 with the existing membership (told apart by ``added_at``).

        :raises SalesloftValidationError: a 422 for any other reason (the person is not on the cadence).
        """
        started = datetime.now(timezone.utc)
        try:
            membership = self.create_cadence_membership(
                person_id,
                cadence_id,
                user_id=user_id,
                step_id=step_id,
                task_id=task_id,
                explain_not_found=explain_not_found,
            )
        except (SalesloftValidationError, SalesloftUnexpectedAnswerError) as error:
            existing = self.find_current_membership(person_id, cadence_id)
            if existing is None:
                if isinstance(error, SalesloftValidationError):
                    self._raise_if_do_not_contact(person_id, cadence_id)
                raise
            if isinstance(error, SalesloftValidationError):
                return existing, False
            return existing, self.membership_added_since(existing, started)
        return membership, self.membership_added_since(membership, started)

    def _which_not_found(self, ids: Mapping[str, int | None]) -> str:
        """After a 404 to an add: read the cadence and the person (two reads, only on this error path) and
        say which of them is missing or not visible; when both are readable, the other ids are suspect."""
        missing, unknown = [], []
        for name, read in (("cadence_id", self.get_cadence), ("person_id", self.get_person)):
            ident = ids[name]
            try:
                read(coerce_id(name, ident))
            except SalesloftNotFoundError:
                missing.append(f"{name} {ident}")
            except SalesloftError:
                unknown.append(f"{name} {ident}")
        if not missing:
            others = [
                f"{key} {value}"
                for key, value in ids.items()
                if value is not None and key not in ("cadence_id", "person_id")
            ]
            missing = [" or ".join(unknown + others)] if unknown or others else []
        if not missing:
            return (
                f"person_id {ids['person_id']} and cadence_id {ids['cadence_id']} are both readable, yet "
                "Salesloft answered 404 to the add"
            )
        return f"{' and '.join(missing)} not found or not visible to the connection's user"

    def _raise_if_do_not_contact(self, person_id: int, cadence_id: int) -> None:
        """After a refused add: if the person is marked do-not-contact, say so plainly."""
        try:
            person = self.get_person(person_id)
        except SalesloftError:
            return  # Salesloft's own refusal stands
        if person.get("do_not_contact"):
            raise SalesloftDoNotContactError(int(person_id), int(cadence_id)) from None

    def get_cadence_membership(self, membership_id: int) -> dict[str, Any]:
        """``GET /v2/cadence_memberships/{id}``."""
        return self.transport.get_record(
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

    def delete_cadence_membership(self, membership_id: int, processing_wait_s: float | None = None) -> None:
        """``DELETE /v2/cadence_memberships/{id}``: take the person off the cadence.

        A DELETE whose answer was lost (dropped connection, read timeout, 5xx) is checked before it is sent
        again: if the membership is off its cadence by then, the removal is done.

        A membership in state ``processing`` ("Cadence-related changes cannot be made at this time", as
        Salesloft's definition says), e.g. right after it was added, may refuse the removal: it is tried
        again, 1, 2, 4, ... seconds apart (each try paced like every call), for up to ``processing_wait_s``
        (default :data:`PROCESSING_WAIT_S`) counted from the first refusal (a first try that waited for the
        rate limit still gets its retries); then Salesloft's refusal is raised, with its reason.

        :raises SalesloftValidationError: refused for another reason, or still ``processing`` at the end.
        """
        ident = coerce_id("membership_id", membership_id)
        path = f"/v2/cadence_memberships/{ident}"
        budget = PROCESSING_WAIT_S if processing_wait_s is None else processing_wait_s
        deadline: float | None = None  # counted from the first refusal (the first try may wait to be sent)

        def reconcile() -> dict[str, Any] | None:
            current = self.get_cadence_membership(ident)
            return current if not current.get("currently_on_cadence") else None

        delay = 1.0
        while True:
            try:
                self.request("DELETE", path, reconcile=reconcile)
                return
            except SalesloftValidationError as refused:
                current = self.get_cadence_membership(ident)
                if not current.get("currently_on_cadence"):
                    return  # off the cadence after all
                if current.get("current_state") != "processing":
                    raise
                if deadline is None:
                    deadline = time.monotonic() + budget
                wait = min(delay, deadline - time.monotonic())
                if wait <= 0:
                    raise SalesloftValidationError(
                        refused.status_code,
                        "DELETE",
                        path,
                        f"membership {ident} was still processing after {budget:g} s: {refused.message}",
                    ) from None
                self.log.info(
                    "Membership %s is processing (Salesloft: %s); trying its removal again in %.0f s",
                    ident,
                    refused.message,
                    wait,
                )
                self.pacer.pause(wait)  # a stopping task ends the wait at once
                delay *= 2

    def get_cadence(self, cadence_id: int) -> dict[str, Any]:
        """``GET /v2/cadences/{id}``."""
        return self.transport.get_record(f"/v2/cadences/{coerce_id('cadence_id', cadence_id)}")

    def iter_users(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """``GET /v2/users``: the users visible to the connection's user."""
        return self.paginate("/v2/users", query_params(filters))

    def iter_cadences(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """``GET /v2/cadences``: filters ``name`` (list), ``people_addable``, ``team_cadence``."""
        return self.paginate("/v2/cadences", query_params(filters))

    def iter_steps(self, cadence_id: int) -> Iterator[dict[str, Any]]:
        """``GET /v2/steps?cadence_id=``: the steps of a cadence."""
        return self.paginate("/v2/steps", {"cadence_id": coerce_id("cadence_id", cadence_id)})

    def iter_custom_fields(self, field_type: str | None = "person") -> Iterator[dict[str, Any]]:
        """``GET /v2/custom_fields``: the team's custom fields (``field_type``: person, company, opportunity;
        None: all)."""
        return self.paginate("/v2/custom_fields", {"field_type": field_type} if field_type else {})

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
        """Call ``GET /v2/me``, then the cheapest read of each scope the operators need.

        ``(True, "Connected as <name> (<email>)")``, or ``(False, <the reason>)`` naming missing scopes.
        """
        self._testing = True
        try:
            me = self.get_me()
        except SalesloftAPIError as error:
            return False, error.message
        except SalesloftError as error:
            return False, str(error)
        name = me.get("name") or " ".join(
            str(part) for part in (me.get("first_name"), me.get("last_name")) if part
        )
        if not name and not me.get("email"):
            return False, "Salesloft answered GET /v2/me without a user: is the API URL right?"
        email = f" ({me['email']})" if me.get("email") else ""
        connected = f"Connected as {name or 'an unnamed user'}{email}"
        missing: list[str] = []
        for scope, path in SCOPE_CHECKS.items():
            try:
                self.request("GET", path, params={"per_page": 1})
            except SalesloftPermissionError:
                missing.append(scope)
            except SalesloftError as error:
                return False, f"{connected}, but GET {path} failed: {error}"
        if missing:
            scopes = ", ".join(missing)
            return False, f"{connected}, but the key or app lacks the scopes the operators need: {scopes}"
        # ``airflow connections test`` prints only "Connection success!": say who, in its output too.
        CONNECTION_TEST_LOG.info("Salesloft connection test: %s", connected)
        return True, connected


def name_ids(error: SalesloftValidationError, ids: Mapping[str, int | None]) -> SalesloftValidationError:
    """``error`` with every field it names that is one of ``ids`` followed by its value
    (``cadence_id 13: cadence is archived ...``), so the message says which record."""
    named = {field: ids.get(field) for field in error.errors if ids.get(field) is not None}
    if not named:
        return error
    message = "; ".join(
        (f"{field} {ids[field]}: " if field in named else f"{field} ")
        + (", ".join(map(str, msgs)) if isinstance(msgs, list) else str(msgs))
        for field, msgs in error.errors.items()
    )
    return type(error)(
        error.status_code,
        error.method,
        error.path,
        message,
        errors=error.errors,
        retry_after=error.retry_after,
    )


def is_membership_of(record: Any, person_id: int, cadence_id: int) -> bool:
    """True when ``record`` is a membership (an ``id``) of ``person_id`` on ``cadence_id`` (where it says)."""
    if not isinstance(record, Mapping):
        return False
    ident = record.get("id")
    if isinstance(ident, bool) or not isinstance(ident, int) or ident <= 0:
        return False
    for key, wanted in (("person", person_id), ("cadence", cadence_id)):
        ref = record.get(key)
        if isinstance(ref, Mapping) and ref.get("id") is not None and ref.get("id") != wanted:
            return False
    return True
