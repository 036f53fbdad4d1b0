"""The OAuth token endpoint's answer, read in one place for the hook's grants (``hooks/auth.py``) and the
authorize command's authorization-code grant (``oauth.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import requests

from airflow_provider_salesloft.exceptions import SalesloftOAuthError
from airflow_provider_salesloft.hooks.answers import redact


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
    except ValueError:
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
