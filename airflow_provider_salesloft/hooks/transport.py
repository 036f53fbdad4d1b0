"""The hook's transport: one paced, authenticated, retried HTTP exchange; error decoding; paging.

Everything that goes over the wire passes :meth:`SalesloftTransport.request`, so pacing, auth, retries and
the decoding of Salesloft's envelope and errors are each written once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

import requests

from airflow_provider_salesloft.exceptions import (
    SalesloftAPIError,
    SalesloftError,
    SalesloftTransportError,
    SalesloftUnexpectedAnswerError,
)
from airflow_provider_salesloft.hooks.answer_deadline import DeadlineAdapter, answer_deadline
from airflow_provider_salesloft.hooks.answer_reader import (
    ACCEPT_ENCODING,
    AnswerTooLarge,
    AnswerTooSlow,
    AnswerUndecodable,
    decode_body,
    read_body,
)
from airflow_provider_salesloft.hooks.answers import MAX_BODY_BYTES, Answer, error_from_answer, redact
from airflow_provider_salesloft.hooks.auth import TokenSource
from airflow_provider_salesloft.hooks.clock import ServerClock
from airflow_provider_salesloft.hooks.error_hints import error_hint
from airflow_provider_salesloft.hooks.paging import unwrap
from airflow_provider_salesloft.hooks.rate_limit import RateLimitPacer
from airflow_provider_salesloft.hooks.request_errors import request_error, unfinished_answer
from airflow_provider_salesloft.hooks.retry import one_attempt_each
from airflow_provider_salesloft.hooks.route_costs import route_of
from airflow_provider_salesloft.hooks.settings import ConnectionSettings

USER_AGENT = "airflow-provider-salesloft"
#: Tries of one request when Salesloft refuses access tokens (401): with many tasks sharing one OAuth chain,
#: a token just read or refreshed may be revoked again before it is used.
MAX_AUTH_ATTEMPTS = 4


def make_session(settings: ConnectionSettings, pool_size: int) -> requests.Session:
    """A keep-alive ``requests.Session`` pooling ``pool_size`` connections, set up from ``settings``; each
    answer's head is read within the call's deadline (see
    :mod:`~airflow_provider_salesloft.hooks.answer_deadline`)."""
    session = requests.Session()
    adapter = DeadlineAdapter(pool_connections=2, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers.update(
        {"Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING, "User-Agent": USER_AGENT}
    )
    session.verify = settings.verify
    session.proxies.update(settings.proxies)
    session.cert = settings.cert
    session.trust_env = settings.trust_env
    return session


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


class SalesloftTransport:
    """Sends the hook's requests: paced, authenticated, retried, decoded.

    :param settings: the connection's settings (base URL, timeout, retry policy).
    :param session: the pooled HTTP session.
    :param token_source: where bearer tokens come from.
    :param pacer: keeps requests within the hook's share of the team's rate limit.
    :param clock: learns Salesloft's clock offset from each answer's ``Date``.
    :param log: where retries are logged.
    :param connection_label: how errors name the connection (e.g. ``connection 'salesloft_default'``).
    """

    def __init__(
        self,
        *,
        settings: ConnectionSettings,
        session: requests.Session,
        token_source: TokenSource,
        pacer: RateLimitPacer,
        clock: ServerClock,
        log: logging.Logger | Any,
        connection_label: Callable[[], str] = lambda: "the connection",
    ) -> None:
        self.settings = settings
        self.session = session
        self.token_source = token_source
        self.pacer = pacer
        self.clock = clock
        self.log = log
        self.connection_label = connection_label

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
                try:
                    with one_attempt_each():
                        found = reconcile()
                except SalesloftError as lookup_error:  # the outcome stays unknown: retry the whole check
                    raise SalesloftTransportError(
                        f"{method} {path} failed ({last_error}), and checking whether it was carried out "
                        f"failed too ({lookup_error})",
                        committed_maybe=True,
                    ) from None
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
            pause=self.pacer.pause,
        )

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Mapping[str, Any] | None,
    ) -> Any:
        """One paced, authenticated HTTP exchange (retried at once, up to :data:`MAX_AUTH_ATTEMPTS` in all,
        while a current token may help after a 401)."""
        url = f"{self.settings.base_url}{path}"
        answer: Answer | None = None
        for attempt in range(1, MAX_AUTH_ATTEMPTS + 1):
            token = self.token_source.token()
            route = route_of(method, path)
            cost = self.pacer.cost_of(route)
            sent_at = self.pacer.acquire(cost)
            answer = None
            try:
                answer = self._exchange(method, url, path, params, body, token)
            finally:
                self.pacer.release(
                    cost,
                    sent_at,
                    answer.status if answer is not None else None,
                    answer.headers if answer is not None else None,
                    route,
                )
            received = datetime.now(timezone.utc)
            self.clock.measure(answer.headers, received)
            if answer.status == 401 and attempt < MAX_AUTH_ATTEMPTS and self.token_source.invalidate(token):
                self.log.warning(
                    "Salesloft refused the access token of %s %s (401); getting a current one from the token "
                    "store or the token endpoint (attempt %d of %d)",
                    method,
                    path,
                    attempt + 1,
                    MAX_AUTH_ATTEMPTS,
                )
                continue
            decoded = self._decode(answer, method, path)
            for record in _records(decoded):
                self.clock.observe(record, received)
            return decoded
        assert answer is not None
        raise self.error_from(answer, method, path)

    def _exchange(
        self,
        method: str,
        url: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Mapping[str, Any] | None,
        token: str,
    ) -> Answer:
        """Send the request and read the whole answer within ``timeout`` (not only each read)."""
        timeout = self.settings.timeout
        deadline = time.monotonic() + timeout
        try:
            with answer_deadline(deadline):  # the status line and headers too, not only each read
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=body,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=timeout,
                    allow_redirects=False,
                    stream=True,
                )
            try:
                content = read_body(response, deadline, MAX_BODY_BYTES)
                content = decode_body(content, response.headers.get("Content-Encoding"), MAX_BODY_BYTES)
            except AnswerUndecodable as error:
                raise SalesloftUnexpectedAnswerError(
                    response.status_code, method, path, f"answer not readable: {error}"
                ) from None
            finally:
                response.close()
        except (AnswerTooSlow, AnswerTooLarge) as error:
            raise unfinished_answer(error, method, path, timeout) from None
        except requests.exceptions.RequestException as error:
            raise request_error(error, method, path, self.settings.base_url) from None
        return Answer(response.status_code, response.reason or "", response.headers, content)

    def _decode(self, answer: Answer, method: str, path: str) -> Any:
        """The JSON body of a success; a typed error for anything else."""
        if answer.status >= 400:
            raise self.error_from(answer, method, path)
        if not 200 <= answer.status < 300:
            raise SalesloftUnexpectedAnswerError(
                answer.status, method, path, f"unexpected {answer.status} {answer.reason}".strip()
            )
        if answer.status == 204 or not answer.body.strip():
            return None
        try:
            return answer.json()
        except ValueError:
            raise SalesloftUnexpectedAnswerError(
                answer.status, method, path, f"answer is not JSON: {self.redact(answer.text())}"
            ) from None

    def redact(self, text: str) -> str:
        """``text`` taken from an answer, without any secret this hook knows, capped in length."""
        return redact(text, self.token_source.secrets())

    def error_from(self, answer: Answer, method: str, path: str) -> SalesloftAPIError:
        """The typed error for an error answer, with Salesloft's message (``error`` or ``errors``), and for
        403 and 404 what is probably wrong."""
        error = error_from_answer(answer, method, path, self.redact)
        hint = error_hint(error.status_code, method, path, self.connection_label(), self.token_source)
        if not hint:
            return error
        return type(error)(
            error.status_code,
            method,
            path,
            error.message + hint,
            errors=error.errors,
            retry_after=error.retry_after,
        )

    def get_record(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """GET ``path`` and return its ``data`` object; a missing or non-object ``data`` is an error."""
        return record_of(self.request("GET", path, params=params), "GET", path)


def _records(answer: Any) -> list[dict[str, Any]]:
    """The records of a decoded answer (its ``data`` object, or the objects of its ``data`` list)."""
    data = unwrap(answer)
    if isinstance(data, dict):
        return [data]
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def record_of(answer: Any, method: str, path: str) -> dict[str, Any]:
    """The ``data`` object of an answer; raise :class:`SalesloftAPIError` when it is not an object."""
    data = unwrap(answer)
    if not isinstance(data, dict):
        raise SalesloftUnexpectedAnswerError(
            200, method, path, f"answer holds no record (got {type(data).__name__})"
        )
    return data
