"""Secrets out of every text a server sends back: raw, URL-encoded (once or twice), HTML-escaped and
JSON-escaped.

A server may quote what it received in its answer: a form body (``client_secret=cs_Ab%2B9%2FxY%3DZq7``), a
query string, a JSON document, an ``Authorization`` header. Every text taken from an answer (exception text,
log lines, XCom, report files) passes :func:`redact` first, which removes each known secret in each of the
forms it can take there (:func:`secret_forms`), and every bearer token.
"""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

#: Secrets shorter than this are not searched for (they would match ordinary text).
MIN_SECRET_CHARS = 4
MASK = "***"
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s\"',;]+")


def secret_forms(secret: str) -> set[str]:
    """``secret`` as a server may quote it: raw; URL-encoded (``quote`` with and without ``/`` kept,
    ``quote_plus``), and those URL-encoded again (a query string quoted inside another URL); each of these
    HTML-escaped (an HTML error page); and each of all these JSON-escaped (non-ASCII as ``\\uXXXX`` or kept,
    ``/`` as ``\\/`` or kept)."""
    once = {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        quote_plus(secret, safe="/"),
    }
    twice = {quote(form, safe="") for form in once if "%" in form}
    encoded = once | twice
    encoded |= {html.escape(form) for form in encoded}
    forms = set(encoded)
    for form in encoded:
        for ascii_only in (True, False):
            escaped = json.dumps(form, ensure_ascii=ascii_only)[1:-1]
            forms.update({escaped, escaped.replace("/", "\\/")})
    return {form for form in forms if len(form) >= MIN_SECRET_CHARS}


@functools.lru_cache(maxsize=64)
def _pattern(secrets: frozenset[str]) -> re.Pattern[str] | None:
    forms = {form for secret in secrets if len(secret) >= MIN_SECRET_CHARS for form in secret_forms(secret)}
    if not forms:
        return None
    # Longest first, so a form is never left half-masked by a shorter one; percent-escapes in any case.
    alternatives = sorted(forms, key=len, reverse=True)
    return re.compile("|".join(_escaped(form) for form in alternatives))


def _escaped(form: str) -> str:
    """A regular expression of ``form`` whose ``%XX`` and ``%25XX`` escapes match in either case (``%2b`` as
    ``%2B``)."""
    parts = re.split(r"(%(?:25)?[0-9A-Fa-f]{2})", form)  # once or twice encoded: %2B, %252B
    return "".join(f"%(?i:{part[1:]})" if part.startswith("%") else re.escape(part) for part in parts)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every form of every one of ``secrets`` (see :func:`secret_forms`), and every bearer
    token, replaced by ``***``."""
    pattern = _pattern(frozenset(secret for secret in secrets if secret))
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return _BEARER.sub(rf"\g<1>{MASK}", text)


def mask_every_form(secret: str) -> None:
    """Have Airflow's log masker hide ``secret`` in every form of :func:`secret_forms` (it matches the exact
    strings it is given)."""
    from airflow.providers.common.compat.sdk import mask_secret

    for form in secret_forms(secret):
        mask_secret(form)
