"""Connection settings: the API URL and extras."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_salesloft.exceptions import (
    SalesloftConfigError,
)
from airflow_provider_salesloft.hooks.retry import RetryPolicy
from airflow_provider_salesloft.hooks.settings import ConnectionExtras, ConnectionSettings, parse_base_url

FAST_RETRY = {"retry_backoff_base_s": 0.01, "retry_backoff_max_s": 0.02}


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        (None, "https://api.salesloft.com"),
        ("api.salesloft.com", "https://api.salesloft.com"),
        ("https://eu.salesloft.example/", "https://eu.salesloft.example"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:9", "http://localhost:9"),
        ("http://[::1]:9", "http://[::1]:9"),
    ],
)
def test_base_url(host: str | None, expected: str) -> None:
    assert parse_base_url(host) == expected


@pytest.mark.parametrize("host", ["http://api.salesloft.com", "http://10.0.0.5:80", "ftp://x"])
def test_plain_http_to_remote_host_is_refused(host: str) -> None:
    with pytest.raises(SalesloftConfigError, match="http"):
        parse_base_url(host)


def connection(host: str | None = "https://api.salesloft.com", **extras: Any) -> Any:
    from airflow.models.connection import Connection

    return Connection(conn_id="x", conn_type="salesloft", host=host, extra=json.dumps(extras))


def test_defaults() -> None:
    settings = ConnectionSettings.from_connection(connection())
    assert settings.base_url == "https://api.salesloft.com"
    assert settings.app_url == "https://app.salesloft.com"
    assert (settings.timeout, settings.rate_window_s, settings.verify, settings.trust_env) == (
        30.0,
        60.0,
        True,
        True,
    )
    assert settings.retry == RetryPolicy()


def test_every_extra_is_read_under_either_spelling() -> None:
    settings = ConnectionSettings.from_connection(
        connection(
            timeout="5",
            extra__salesloft__app_url="https://app.example/",
            retry_max_attempts="3",
            extra__salesloft__retry_max_elapsed_s=9,
            rate_limit_window_s=2,
            verify="false",
            trust_env="no",
            proxies={"https": "http://user:pw@proxy:3128"},
        )
    )
    assert (settings.timeout, settings.app_url, settings.rate_window_s) == (5.0, "https://app.example", 2.0)
    assert (settings.retry.max_attempts, settings.retry.max_elapsed_s) == (3, 9.0)
    assert (settings.verify, settings.trust_env) == (False, False)
    assert settings.proxies == {"https": "http://user:pw@proxy:3128"}


def test_verify_may_name_a_ca_bundle() -> None:
    assert ConnectionSettings.from_connection(connection(verify="/etc/ca.pem")).verify == "/etc/ca.pem"


@pytest.mark.parametrize(
    ("extra", "value"), [("timeout", "soon"), ("retry_max_attempts", 2.5), ("proxies", "x")]
)
def test_bad_extras_are_refused_naming_the_extra(extra: str, value: Any) -> None:
    with pytest.raises(SalesloftConfigError, match=extra):
        ConnectionSettings.from_connection(connection(**{extra: value}))


def test_empty_extra_counts_as_unset() -> None:
    reader = ConnectionExtras({"timeout": "", "extra__salesloft__timeout": "7"})
    assert reader.number("timeout", 30.0) == 7.0
    assert reader.get("absent", "default") == "default"
