"""Where rotated OAuth tokens are kept so that every task on every worker reads the newest: an Airflow
Variable named ``salesloft_oauth_token__<conn_id>`` ("token" in its name makes Airflow mask it in the UI on
every line), holding the tokens sealed under a key derived from the connection's client secret
(:mod:`~airflow_provider_salesloft.hooks.token_seal`), so that reading the Variable (or Airflow 3.0's
scheduler log of a task writing it) reveals no token."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from airflow_provider_salesloft.exceptions import SalesloftOAuthError
from airflow_provider_salesloft.hooks.answers import parse_json
from airflow_provider_salesloft.hooks.redaction import mask_every_form
from airflow_provider_salesloft.hooks.token_seal import SealError, is_sealed, open_sealed, seal
from airflow_provider_salesloft.hooks.variables import delete_variable, read_variable, write_variable

#: Refresh this long before the access token expires, so no request goes out with a token about to die.
REFRESH_MARGIN_S = 300.0
#: Lifetime assumed for an access token whose answer gave no readable ``expires_in``.
DEFAULT_LIFETIME_S = 7200.0

log = logging.getLogger(__name__)


@dataclass
class StoredToken:
    """What the token store keeps for one connection."""

    access_token: str | None = field(default=None, repr=False)
    expires_at: float = 0.0  # epoch seconds
    refresh_token: str | None = field(default=None, repr=False)
    lifetime: float = DEFAULT_LIFETIME_S  # seconds the access token was issued for

    def live(self) -> bool:
        """True while the access token is not about to expire (5 min, or a tenth of its life, ahead)."""
        margin = min(REFRESH_MARGIN_S, self.lifetime / 10)
        return bool(self.access_token) and self.expires_at - margin > time.time()


class TokenStore(Protocol):
    """Keeps the newest tokens of a connection where every worker reads them."""

    def load(self) -> StoredToken | None:
        """The stored tokens, or None when nothing is stored."""
        ...

    def save(self, tokens: StoredToken) -> None:
        """Store ``tokens`` (replacing what was there)."""
        ...


def store_key(conn_id: str) -> str:
    """The name of connection ``conn_id``'s token store Variable."""
    return f"salesloft_oauth_token__{conn_id}"


def legacy_store_key(conn_id: str) -> str:
    """Where 0.1.0 kept connection ``conn_id``'s tokens (a name Airflow 2 did not mask)."""
    return f"salesloft_oauth__{conn_id}"


class VariableTokenStore:
    """Tokens in an Airflow Variable (``salesloft_oauth_token__<conn_id>``), sealed under a key derived from
    the connection's client secret (:mod:`~airflow_provider_salesloft.hooks.token_seal`).

    Works on Airflow 2 and 3, inside tasks (through the Task SDK) and in server processes (through the
    metadata database). Tokens written unsealed (0.5.0 and before; 0.1.0's under
    ``salesloft_oauth__<conn_id>``) are still read, but only their refresh token is used, at once: Salesloft
    revokes it, so the tokens that were readable die, and the new ones are written sealed. A value that does
    not open (the client secret changed, another connection's value, an altered one) is treated as absent,
    with one warning that says how to start again.

    :param conn_id: the connection whose tokens these are.
    :param client_secret: the connection's OAuth client secret, which the seal's key is derived from.
    """

    def __init__(self, conn_id: str, client_secret: str) -> None:
        self.conn_id = conn_id
        self.key = store_key(conn_id)
        self.legacy_key = legacy_store_key(conn_id)
        self._client_secret = client_secret
        self._warned = False
        self._legacy_seen = False  # read 0.1.0's Variable: delete it once the new one is saved

    def load(self) -> StoredToken | None:
        """Read the Variable (else 0.1.0's, deleted at the first save); None if absent or unreadable."""
        raw = read_variable(self.key)
        if raw:
            return self._open(raw, self.key)
        legacy = read_variable(self.legacy_key)
        tokens = self._open(legacy, self.legacy_key) if legacy else None
        # Not written under the new name here: its refresh token is used at once, and another task may have
        # done so already and stored the new one, which that write would overwrite with a revoked token.
        # The first save deletes 0.1.0's Variable instead.
        self._legacy_seen = self._legacy_seen or tokens is not None
        return tokens

    def save(self, tokens: StoredToken) -> None:
        """Write the Variable, sealed (the token source retries a failed write)."""
        try:
            value = seal(asdict(tokens), client_secret=self._client_secret, context=self.key)
            write_variable(self.key, value)
        except Exception as error:
            raise SalesloftOAuthError(
                f"cannot save the rotated Salesloft refresh token to Variable {self.key!r} "
                f"({error.__class__.__name__})"
            ) from None
        if self._legacy_seen:
            self._delete_legacy()

    def _open(self, raw: str, key: str) -> StoredToken | None:
        try:
            document = parse_json(raw)
            if is_sealed(document):
                try:
                    return _tokens(open_sealed(document, client_secret=self._client_secret, context=key))
                except SealError:
                    self._warn_unopenable(key)
                    return None
            tokens = _tokens(document)
        except (ValueError, TypeError, OverflowError):  # anyone with Variable access wrote it
            log.warning(
                "Ignoring the Salesloft token store %s: it does not hold the tokens this provider writes "
                "(delete it if nothing else uses it)",
                key,
            )
            return None
        log.info(
            "The Salesloft token store %s was written unsealed by an older version: using its refresh token "
            "now, so that the tokens it held are rotated away and the new ones are stored sealed",
            key,
        )
        return StoredToken(refresh_token=tokens.refresh_token, lifetime=tokens.lifetime)

    def _warn_unopenable(self, key: str) -> None:
        if self._warned:
            return
        self._warned = True
        log.warning(
            "Cannot open the Salesloft token store (Variable %s): it was sealed with another client "
            "secret (was the connection's client_secret changed?), for another connection, or altered. "
            "Going on as if it were empty, from the connection's refresh_token; the next rotation replaces "
            "it. If Salesloft refuses that refresh token, authorize again: python -m "
            "airflow_provider_salesloft.oauth authorize --conn-id %s --store (or put a fresh refresh token "
            "in the connection's refresh_token extra).",
            key,
            self.conn_id,
        )

    def _delete_legacy(self) -> None:
        try:
            delete_variable(self.legacy_key)
            self._legacy_seen = False
            log.info("Moved the Salesloft token store from Variable %s to %s", self.legacy_key, self.key)
        except Exception as error:  # the next save tries again; what it holds is revoked by now
            log.warning("Could not delete Variable %s: %s", self.legacy_key, type(error).__name__)


def _tokens(data: Any) -> StoredToken:
    """The tokens in a stored document (masked in every log from now on); TypeError/ValueError if it is not
    one."""
    if not isinstance(data, dict):
        raise TypeError(type(data).__name__)
    tokens = StoredToken(
        access_token=_text_or_none(data.get("access_token")),
        expires_at=float(data.get("expires_at") or 0.0),
        refresh_token=_text_or_none(data.get("refresh_token")),
        lifetime=float(data.get("lifetime") or DEFAULT_LIFETIME_S),
    )
    for secret in (tokens.access_token, tokens.refresh_token):
        if secret:
            mask_every_form(secret)
    return tokens


def _text_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    raise TypeError(type(value).__name__)
