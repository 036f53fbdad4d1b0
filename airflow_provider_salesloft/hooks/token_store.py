"""Where rotated OAuth tokens are kept so that every task on every worker reads the newest: an Airflow
Variable named ``salesloft_oauth_token__<conn_id>``, encrypted at rest with Airflow's Fernet key ("token" in
its name makes Airflow mask it in the UI on every line)."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from airflow.providers.common.compat.sdk import mask_secret

from airflow_provider_salesloft.exceptions import SalesloftOAuthError
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


class VariableTokenStore:
    """Tokens in an Airflow Variable (``salesloft_oauth_token__<conn_id>``), encrypted at rest by Fernet.

    Works on Airflow 2 and 3, inside tasks (through the Task SDK) and in server processes (through the
    metadata database). Tokens kept by 0.1.0 under ``salesloft_oauth__<conn_id>`` (a name Airflow 2 did not
    mask) are moved to the new name on first use.
    """

    def __init__(self, conn_id: str) -> None:
        self.key = f"salesloft_oauth_token__{conn_id}"
        self.legacy_key = f"salesloft_oauth__{conn_id}"

    def load(self) -> StoredToken | None:
        """Read the Variable (moving a 0.1.0 one to the new name); None if absent or unreadable."""
        raw = read_variable(self.key)
        if not raw:
            raw = read_variable(self.legacy_key)
            if raw and self._parse(raw, self.legacy_key) is not None:
                self._migrate(raw)
        return self._parse(raw, self.key) if raw else None

    def _parse(self, raw: str, key: str) -> StoredToken | None:
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise TypeError(type(data).__name__)
            tokens = StoredToken(
                access_token=_text_or_none(data.get("access_token")),
                expires_at=float(data.get("expires_at") or 0.0),
                refresh_token=_text_or_none(data.get("refresh_token")),
                lifetime=float(data.get("lifetime") or DEFAULT_LIFETIME_S),
            )
        except (ValueError, TypeError):
            log.warning(
                "Ignoring the Salesloft token store %s: it does not hold the tokens this provider writes "
                "(delete it if nothing else uses it)",
                key,
            )
            return None
        for secret in (tokens.access_token, tokens.refresh_token):
            if secret:
                mask_secret(secret)
        return tokens

    def _migrate(self, raw: str) -> None:
        try:
            write_variable(self.key, raw)
            delete_variable(self.legacy_key)
            log.info("Moved the Salesloft token store from Variable %s to %s", self.legacy_key, self.key)
        except Exception as error:  # the next task tries again; the tokens stay readable meanwhile
            log.warning(
                "Could not move Variable %s to %s: %s", self.legacy_key, self.key, type(error).__name__
            )

    def save(self, tokens: StoredToken) -> None:
        """Write the Variable (the token source retries a failed write)."""
        try:
            write_variable(self.key, json.dumps(asdict(tokens)))
        except Exception as error:
            raise SalesloftOAuthError(
                f"cannot save the rotated Salesloft refresh token to Variable {self.key!r} "
                f"({error.__class__.__name__})"
            ) from None


def _text_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    raise TypeError(type(value).__name__)
