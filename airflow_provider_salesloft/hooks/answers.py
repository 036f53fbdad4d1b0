"""What the provider takes from an HTTP answer: the answer, read whole; its error, typed; its
``Retry-After``; any text from it, redacted of secrets and capped before it is logged, raised or stored."""

from __future__ import annotations

import email.utils
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from airflow_provider_salesloft.exceptions import SalesloftAPIError, api_error_class
from airflow_provider_salesloft.hooks.redaction import redact as without_secrets

#: Longest text kept from an answer for an error message, a log line or a report.
MAX_ANSWER_TEXT = 300
#: Largest answer body read (Salesloft's pages of 100 records are far smaller).
MAX_BODY_BYTES = 32 * 1024 * 1024


def parse_json(text: str | bytes) -> Any:
    """JSON text anyone may have written (an answer, a Variable); ``ValueError`` when it is not JSON, nested
    past Python's recursion limit included (``json`` raises ``RecursionError`` then)."""
    try:
        return json.loads(text)
    except RecursionError as error:
        raise ValueError("JSON nested too deep") from error


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, read whole within the call's timeout."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON (None when empty); ``ValueError`` when it is not (see :func:`parse_json`)."""
        return parse_json(self.body) if self.body else None

    def text(self) -> str:
        """The body as text."""
        return self.body.decode("utf-8", "replace")


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` without any of ``secrets`` in any form nor any bearer token
    (:func:`~airflow_provider_salesloft.hooks.redaction.redact`), capped at :data:`MAX_ANSWER_TEXT`."""
    text = without_secrets(text, secrets)
    return text if len(text) <= MAX_ANSWER_TEXT else text[: MAX_ANSWER_TEXT - 1] + "…"


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date); None when absent or unreadable."""
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:  # "-0000": UTC by RFC 5322
            moment = moment.replace(tzinfo=timezone.utc)
        seconds = (moment - datetime.now(timezone.utc)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def error_from_answer(
    answer: Answer, method: str, path: str, clean: Callable[[str], str] = lambda text: text
) -> SalesloftAPIError:
    """The typed error for an error answer, with Salesloft's message (``error`` or ``errors``), every text
    taken from the answer passed through ``clean`` (redaction)."""
    errors: dict[str, Any] = {}
    try:
        body = answer.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("errors"), dict):
        try:
            errors = json.loads(clean(json.dumps(body["errors"])))
        except ValueError:
            errors = {}
        message = "; ".join(
            f"{field} {', '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
            for field, msgs in body["errors"].items()
        )
    elif isinstance(body, dict) and body.get("error"):
        message = str(body["error"])
    else:
        text = " ".join(answer.text().split())
        kind = answer.headers.get("Content-Type", "no content type")
        message = f"{answer.reason or 'error'} ({kind}): {text}" if text else answer.reason or "error"
    return api_error_class(answer.status)(
        answer.status,
        method,
        path,
        clean(message),
        errors=errors if isinstance(errors, dict) else {},
        retry_after=retry_after_seconds(answer.headers),
    )
