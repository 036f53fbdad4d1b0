"""The OAuth token endpoint's answer, read in one place for the hook's grants (``hooks/auth.py``) and the
authorize command's authorization-code grant (``oauth.py``)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

import requests

from airflow_provider_salesloft.exceptions import SalesloftOAuthError
from airflow_provider_salesloft.hooks.answer_deadline import answer_deadline
from airflow_provider_salesloft.hooks.answer_reader import (
    AnswerTooLarge,
    AnswerTooSlow,
    AnswerUndecodable,
    read_whole,
)
from airflow_provider_salesloft.hooks.answers import redact
from airflow_provider_salesloft.hooks.request_errors import unfinished_answer

#: Most bytes of a token endpoint's answer (a few hundred in practice).
MAX_TOKEN_ANSWER_BYTES = 1024 * 1024


def post_token_form(
    session: requests.Session, url: str, form: Mapping[str, str], timeout_s: float
) -> requests.Response:
    """``POST`` ``form`` to the token endpoint ``url`` and read the whole answer within ``timeout_s`` (the
    status line, headers and body: ``requests`` bounds only each read, so a server dripping its answer would
    hold the caller without end). Redirects are not followed: the form carries the client secret.

    :param session: mounts :class:`~airflow_provider_salesloft.hooks.answer_deadline.DeadlineAdapter` (else
        only the body is bounded).
    :raises SalesloftTransportError: no complete answer within ``timeout_s`` (or one too large to read).
    :raises SalesloftOAuthError: an answer in a ``Content-Encoding`` that cannot be read.
    :raises requests.exceptions.RequestException: the request could not be completed.
    """
    deadline = time.monotonic() + timeout_s
    try:
        with answer_deadline(deadline):
            response = session.post(url, data=form, timeout=timeout_s, allow_redirects=False, stream=True)
        read_whole(response, deadline, MAX_TOKEN_ANSWER_BYTES)
    except (AnswerTooSlow, AnswerTooLarge) as error:
        raise unfinished_answer(error, "POST", "token endpoint", timeout_s) from None
    except AnswerUndecodable as error:
        raise SalesloftOAuthError(f"Salesloft's token endpoint answered unreadably: {error}") from None
    return response


def read_token_answer(
    response: requests.Response, *, requires: str, secrets: Iterable[str]
) -> dict[str, Any]:
    """The token endpoint's answer: a JSON object holding a non-empty ``requires`` token.

    :param response: the token endpoint's answer (not a redirect: the caller sent no redirect-following
        request and handles 429/5xx itself if it retries them).
    :param requires: the token the grant must return (``access_token`` or ``refresh_token``).
    :param secrets: what the request carried that the answer may quote (the client secret, a refresh token,
        the code), redacted from every text taken from the answer.
    :raises SalesloftOAuthError: no JSON object, an error status, or no ``requires`` token; ``error`` is the
        answer's OAuth error code (redacted), ``""`` when it has none.
    """
    secrets = list(secrets)
    status = response.status_code
    try:
        answer = response.json()
    except (ValueError, RecursionError):  # RecursionError: JSON nested too deep
        answer = None
    if not isinstance(answer, dict):
        kind = redact(str(response.headers.get("Content-Type", "no content type")), secrets)  # server text
        raise SalesloftOAuthError(
            f"Salesloft's token endpoint answered {status} with no JSON object ({kind})"
        )
    token = answer.get(requires)
    if status >= 400 or not isinstance(token, str) or not token:
        error_code = redact(str(answer.get("error") or ""), secrets)
        description = redact(str(answer.get("error_description") or response.reason or "error"), secrets)
        missing = "no " + requires.replace("_", " ")
        raise SalesloftOAuthError(
            f"Salesloft's token endpoint answered {status}: {error_code or missing}: {description}",
            error=error_code,
        )
    return answer
