"""What went wrong on the wire, in the provider's words: ``requests``' exceptions and unfinished answers
mapped to :class:`~airflow_provider_salesloft.exceptions.SalesloftTransportError`, each saying whether the
request may have been carried out (``committed_maybe``) and whether retrying can help (``permanent``)."""

from __future__ import annotations

from typing import Any

import requests
from urllib3.exceptions import NewConnectionError

from airflow_provider_salesloft.exceptions import SalesloftTransportError
from airflow_provider_salesloft.hooks.answer_reader import AnswerTooSlow


def unfinished_answer(error: Exception, method: str, path: str, timeout: float) -> SalesloftTransportError:
    """The error for an answer not read whole: too slow (:class:`AnswerTooSlow`) or too large."""
    why = f"within the {timeout:g} s timeout" if isinstance(error, AnswerTooSlow) else f"({error})"
    return SalesloftTransportError(f"{method} {path}: no complete answer {why}", committed_maybe=True)


def request_error(
    error: requests.exceptions.RequestException, method: str, path: str, base_url: str
) -> SalesloftTransportError:
    """The error for a request ``requests`` could not complete: whether it may have been carried out, whether
    retrying can help, and for a wrong host or scheme the fix."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return SalesloftTransportError(
            f"{method} {path}: connect timeout ({error.__class__.__name__})", committed_maybe=False
        )
    if isinstance(error, requests.exceptions.SSLError):
        return SalesloftTransportError(
            f"{method} {path}: no TLS with {base_url} ({root_cause(error)}); "
            + (
                "for a plain-http server on loopback, such as the simulator, write the URL with http://"
                if base_url.startswith("https://")
                else "check the connection's host"
            ),
            committed_maybe=False,
            permanent=True,
        )
    if isinstance(error, requests.exceptions.ConnectionError):
        cause = root_cause(error)
        if cause in ("NameResolutionError", "gaierror"):
            host = base_url.split("://", 1)[-1]
            return SalesloftTransportError(
                f"{method} {path}: cannot resolve {host!r} (DNS); check the connection's host ({base_url})",
                committed_maybe=False,
                permanent=True,
            )
        refused = connection_refused(error)
        what = "connection refused" if refused else "connection lost"
        return SalesloftTransportError(
            f"{method} {path}: {what} by {base_url} ({cause})",
            committed_maybe=not refused,
        )
    # read timeout, broken chunked body, ...
    return SalesloftTransportError(
        f"{method} {path}: no complete answer ({error.__class__.__name__})", committed_maybe=True
    )


def root_cause(error: BaseException) -> str:
    """The class name of the innermost error under ``error``."""
    while error.__cause__ is not None or (error.args and isinstance(error.args[0], BaseException)):
        error = error.__cause__ or error.args[0]
    return error.__class__.__name__


def connection_refused(error: requests.exceptions.ConnectionError) -> bool:
    """Whether the connection was refused (the request certainly not sent)."""
    reason: Any = error.args[0] if error.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, (NewConnectionError, ConnectionRefusedError))
