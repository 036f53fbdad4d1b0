"""Sealing the OAuth token store: authenticated encryption under a key only the connection holds.

Whoever can read Airflow Variables (UI and API users with Variable access, a secrets backend, a dump of a
database without Airflow's Fernet key) could read the token store ``salesloft_oauth_token__<conn_id>``, and
Airflow 3.0's scheduler prints each Variable a task writes in its log. So the tokens are sealed before they
are written: Fernet (AES-128-CBC with HMAC-SHA256) under a key derived by HKDF-SHA256 from the connection's
OAuth client secret (which lives in the connection, never in the Variable), with the Variable's name as
context, so that a value copied from another connection's store does not open either. The Variable holds
``{"sealed": 1, "tokens": "<Fernet token>"}`` and nothing secret.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from airflow_provider_salesloft.hooks.answers import parse_json

#: The sealing scheme written in the value's ``sealed`` field.
SEALED_VERSION = 1
_INFO = b"airflow-provider-salesloft token store v1\x00"


class SealError(Exception):
    """A sealed value that does not open: sealed under another client secret or for another store, or
    altered. Its text never holds secret material."""


def _fernet(client_secret: str, context: str) -> Fernet:
    """Fernet under the key HKDF-SHA256 derives from ``client_secret`` for ``context``."""
    if not client_secret:
        raise SealError("no client secret to seal the token store with")
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO + context.encode("utf-8")).derive(
        client_secret.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(payload: dict[str, Any], *, client_secret: str, context: str) -> str:
    """The Variable value holding ``payload`` sealed for ``context`` (the Variable's name)."""
    token = _fernet(client_secret, context).encrypt(json.dumps(payload).encode("utf-8"))
    return json.dumps({"sealed": SEALED_VERSION, "tokens": token.decode("ascii")})


def is_sealed(document: Any) -> bool:
    """True if ``document`` (a parsed Variable value) is a sealed one, openable or not."""
    return isinstance(document, dict) and "sealed" in document


def open_sealed(document: Any, *, client_secret: str, context: str) -> dict[str, Any]:
    """The payload sealed in ``document`` (a parsed Variable value, or its JSON text).

    :raises SealError: the value is not one this scheme wrote, or does not open with ``client_secret`` for
        ``context``, or was altered (any change to the sealed text is refused).
    """
    if isinstance(document, str):
        try:
            document = parse_json(document)
        except ValueError:
            raise SealError("the value is not JSON") from None
    if not is_sealed(document) or document.get("sealed") != SEALED_VERSION:
        raise SealError(f"the value is not sealed by scheme {SEALED_VERSION}")
    token = document.get("tokens")
    if not isinstance(token, str):
        raise SealError("the value holds no sealed tokens")
    try:
        raw = token.encode("ascii")
        # Refuse a non-canonical encoding too (spare bits set in the last character), so that every change
        # to the text is refused, not only those that change the decoded bytes.
        if base64.urlsafe_b64encode(base64.urlsafe_b64decode(raw)) != raw:
            raise SealError("the sealed tokens are not canonically encoded")
        payload = json.loads(_fernet(client_secret, context).decrypt(raw))
    except (InvalidToken, binascii.Error, ValueError):
        raise SealError(
            "the sealed tokens do not open with this connection's client secret for this store"
        ) from None
    if not isinstance(payload, dict):
        raise SealError("the sealed tokens are not a JSON object")
    return payload
