"""What the hook reads from its Airflow connection: the API URL and every extra, through one reader."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_salesloft import connection_form
from airflow_provider_salesloft.exceptions import SalesloftConfigError
from airflow_provider_salesloft.hooks.extras import CONN_TYPE, ConnectionExtras
from airflow_provider_salesloft.hooks.retry import RetryPolicy

__all__ = ["CONN_TYPE", "ConnectionExtras", "ConnectionSettings", "is_loopback", "parse_base_url"]

DEFAULT_BASE_URL = connection_form.DEFAULT_API_URL
DEFAULT_APP_URL = connection_form.DEFAULT_APP_URL
DEFAULT_TOKEN_URL = connection_form.DEFAULT_TOKEN_URL
DEFAULT_TIMEOUT_S = 30.0
#: Length of Salesloft's rate-limit window ("per minute").
DEFAULT_RATE_WINDOW_S = 60.0
#: Share of the team's rate limit the connection's tasks may use (the rest stays for other integrations).
DEFAULT_RATE_LIMIT_SHARE = 0.9


@dataclass(frozen=True)
class ConnectionSettings:
    """What the hook reads from its Airflow connection, once.

    :param base_url: API root, scheme included, no trailing slash.
    :param app_url: root of the Salesloft web app, for operator links.
    :param timeout: seconds to wait for a connection and for an answer.
    :param verify: TLS verification: a bool or a CA bundle path.
    :param proxies: requests-style proxies mapping (not shown by ``repr``: it may hold credentials).
    :param cert: client certificate path, if any.
    :param trust_env: whether requests reads proxy settings and ``.netrc`` from the environment.
    :param retry: the retry policy.
    :param rate_window_s: length of Salesloft's rate-limit window (extra ``rate_limit_window_s``).
    :param rate_limit_share: share ``[0.01, 1]`` of the team's limit a hook may use unless told otherwise
        (extra ``rate_limit_share``).
    """

    base_url: str
    app_url: str = DEFAULT_APP_URL
    timeout: float = DEFAULT_TIMEOUT_S
    verify: bool | str = True
    proxies: dict[str, str] = field(default_factory=dict, repr=False)
    cert: str | None = None
    trust_env: bool = True
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    rate_window_s: float = DEFAULT_RATE_WINDOW_S
    rate_limit_share: float = DEFAULT_RATE_LIMIT_SHARE

    @classmethod
    def from_connection(cls, conn: Any) -> ConnectionSettings:
        """Parse an Airflow connection's host, schema, port and extras."""
        extras = ConnectionExtras(conn.extra_dejson)
        verify = extras.get("verify")
        return cls(
            base_url=parse_base_url(conn.host, conn.schema, conn.port),
            app_url=str(extras.text("app_url", DEFAULT_APP_URL)).rstrip("/"),
            timeout=extras.number("timeout", DEFAULT_TIMEOUT_S),
            verify=verify
            if isinstance(verify, str) and verify.lower() not in ("true", "false")
            else extras.flag("verify", extras.flag("verify_ssl", True)),
            proxies=extras.mapping("proxies") or extras.mapping("proxy"),
            cert=extras.text("cert"),
            trust_env=extras.flag("trust_env", True),
            retry=RetryPolicy.from_extras(extras),
            rate_window_s=extras.number("rate_limit_window_s", DEFAULT_RATE_WINDOW_S),
            rate_limit_share=extras.number("rate_limit_share", DEFAULT_RATE_LIMIT_SHARE),
        )


def is_loopback(hostname: str) -> bool:
    """True for ``localhost`` and loopback IP addresses."""
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def parse_base_url(host: str | None, schema: str | None = None, port: int | None = None) -> str:
    """Turn a connection's host (scheme included or not), schema and port into the API base URL.

    Refuses plain ``http://`` to anything but loopback, so a key is never sent in clear text, and anything
    two URL parsers might read differently (user info, backslashes, white space, control characters), so
    the host that is checked is the host that is called.
    """
    if not host:
        return DEFAULT_BASE_URL
    host = host.strip()
    odd = sorted({repr(char) for char in host if char == "\\" or char.isspace() or not char.isprintable()})
    if odd:
        raise SalesloftConfigError(
            f"the connection's host holds characters a URL must not ({', '.join(odd)}); give a plain URL "
            "such as https://api.salesloft.com"
        )
    url = host if "://" in host else f"{schema or 'https'}://{host}"
    parts = urlsplit(url)
    if port and not parts.port:
        url = f"{parts.scheme}://{parts.netloc}:{port}{parts.path}"
        parts = urlsplit(url)
    if "@" in parts.netloc:
        raise SalesloftConfigError(
            "the connection's host must not hold user info ('user@' or 'user:password@'): put the API key "
            "in the password field"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise SalesloftConfigError(f"the connection's host must be an http(s) URL, got {host!r}")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise SalesloftConfigError(
            f"refusing plain http to {parts.hostname!r}: the API key would travel in clear text; "
            "use https (plain http is allowed for loopback simulators only)"
        )
    return url.rstrip("/")
