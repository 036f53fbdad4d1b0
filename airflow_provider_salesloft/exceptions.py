"""Typed errors raised by the Salesloft provider.

Every error the provider raises derives from :class:`SalesloftError`. Errors that come from an HTTP answer
carry the status code and Salesloft's own message (its ``error`` string, or its ``errors`` object for
validation failures), so callers branch on types and attributes instead of parsing strings.

No exception text ever contains a token: messages are built from the method, the path, the status and the
body Salesloft sent, never from request headers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException


class SalesloftError(AirflowException):
    """Base class of every error raised by this provider."""


class SalesloftConfigError(SalesloftError, ValueError):
    """The Airflow connection or an argument cannot work (missing key, plain-http remote host, ...)."""


class SalesloftInvalidArgumentError(SalesloftError, ValueError):
    """An argument failed validation before any request was sent.

    :param argument: name of the refused argument.
    :param value: the value that was refused.
    :param reason: what a valid value looks like.
    """

    def __init__(self, argument: str, value: Any, reason: str) -> None:
        self.argument = argument
        self.value = value
        self.reason = reason
        super().__init__(f"{argument} {reason}, got {value!r} ({type(value).__name__})")


class SalesloftTransportError(SalesloftError):
    """The request did not get an HTTP answer (refused or dropped connection, timeout).

    :param committed_maybe: True when the request may have reached Salesloft and been acted on
        (response lost after sending, read timeout). False when it certainly was not (connection refused,
        connect timeout).
    :param permanent: retrying cannot help (the host name does not resolve, TLS cannot be agreed).
    """

    def __init__(self, message: str, *, committed_maybe: bool, permanent: bool = False) -> None:
        super().__init__(message)
        self.committed_maybe = committed_maybe
        self.permanent = permanent


class SalesloftOAuthError(SalesloftError):
    """Salesloft's OAuth token endpoint refused to issue a token, or a rotated token could not be kept.

    :param error: the OAuth ``error`` code (``invalid_grant``, ``invalid_client``, ...), or ``""``.
    """

    def __init__(self, message: str, *, error: str = "") -> None:
        super().__init__(message)
        self.error = error


class SalesloftAPIError(SalesloftError):
    """Salesloft answered with an error status.

    :param status_code: the HTTP status.
    :param method: HTTP method of the failed request.
    :param path: API path of the failed request (no query string, so no data leaks into logs).
    :param message: Salesloft's ``error`` string, or a readable rendering of its ``errors`` object.
    :param errors: Salesloft's ``errors`` object (field -> messages) for validation failures, else ``{}``.
    :param retry_after: seconds from a ``Retry-After`` header, when Salesloft sent one.
    """

    def __init__(
        self,
        status_code: int,
        method: str,
        path: str,
        message: str,
        *,
        errors: dict[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status_code = status_code  # type: ignore[assignment]  # AirflowException types it HTTPStatus
        self.method = method
        self.path = path
        self.message = message
        self.errors = errors or {}
        self.retry_after = retry_after
        super().__init__(f"Salesloft answered {status_code} to {method} {path}: {message}")


class SalesloftBadRequestError(SalesloftAPIError):
    """400: the request was malformed."""


class SalesloftAuthenticationError(SalesloftAPIError):
    """401: the API key or access token is missing, wrong or expired."""


class SalesloftPermissionError(SalesloftAPIError):
    """403: the key lacks a scope or permission (e.g. adding for a teammate on a personal cadence)."""


class SalesloftNotFoundError(SalesloftAPIError):
    """404: the record is missing or not visible to the authenticated user."""


class SalesloftValidationError(SalesloftAPIError):
    """422: Salesloft refused the parameters; ``errors`` maps each field to its messages."""


class SalesloftRateLimitError(SalesloftAPIError):
    """429: the team's rate limit is spent for the current window."""


class SalesloftServerError(SalesloftAPIError):
    """5xx: a transient failure at Salesloft or a proxy in front of it."""


class SalesloftUnexpectedAnswerError(SalesloftAPIError):
    """Salesloft, or something between it and us, answered what the endpoint never answers: a redirect, a
    success without the record, a body that is not JSON. Whether a write was carried out is unknown."""


class SalesloftDoNotContactError(SalesloftValidationError):
    """The person is marked do-not-contact in Salesloft, so it cannot be added to a cadence."""

    def __init__(self, person_id: int, cadence_id: int) -> None:
        self.person_id = person_id
        self.cadence_id = cadence_id
        super().__init__(
            422,
            "POST",
            "/v2/cadence_memberships",
            f"person {person_id} is marked do-not-contact in Salesloft and cannot be added to cadence "
            f"{cadence_id}",
        )


class SalesloftAlreadyOnCadenceError(SalesloftError):
    """The person is already on the cadence and the caller asked to fail in that case."""

    def __init__(self, person_id: int, cadence_id: int, membership_id: int | None) -> None:
        self.person_id = person_id
        self.cadence_id = cadence_id
        self.membership_id = membership_id
        super().__init__(
            f"Person {person_id} is already on cadence {cadence_id} (membership {membership_id}); "
            "set if_already_on_cadence='skip' to accept the existing membership"
        )


class SalesloftNotOnCadenceError(SalesloftError):
    """The person is not on the cadence, and the caller asked to fail in that case."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is not on the cadence; set if_not_on_cadence='skip' to accept that")


class SalesloftMirrorGuardError(SalesloftError):
    """A mirror sync's guards refused its plan (too many removals, invalid or failed rows): nobody removed."""


class SalesloftBulkJobTimeoutError(SalesloftError):
    """A bulk job was not done within the time allowed (it keeps running in Salesloft).

    :param job_id: the job.
    :param job: the job as last seen.
    :param timeout_s: the time allowed.
    """

    def __init__(self, job_id: int, job: Mapping[str, Any], timeout_s: float) -> None:
        self.job_id = job_id
        self.job = dict(job)
        super().__init__(
            f"Salesloft bulk job {job_id} was not done within {timeout_s:g} s (state {job.get('state')!r}, "
            f"{job.get('processed')} of {job.get('total')} records processed); it keeps running in "
            "Salesloft: raise the timeout, or read its results later"
        )


_ERRORS_BY_STATUS: dict[int, type[SalesloftAPIError]] = {
    400: SalesloftBadRequestError,
    401: SalesloftAuthenticationError,
    403: SalesloftPermissionError,
    404: SalesloftNotFoundError,
    422: SalesloftValidationError,
    429: SalesloftRateLimitError,
}


def api_error_class(status_code: int) -> type[SalesloftAPIError]:
    """Return the exception class for an HTTP error status."""
    if status_code >= 500:
        return SalesloftServerError
    return _ERRORS_BY_STATUS.get(status_code, SalesloftAPIError)


def error_summary(error: BaseException) -> str:
    """A failure as one line for a row's reason: Salesloft's status and message, or the error's text."""
    if isinstance(error, SalesloftAPIError):
        return f"{error.status_code}: {error.message}"
    return str(error) or error.__class__.__name__
