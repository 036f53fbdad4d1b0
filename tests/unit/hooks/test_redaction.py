"""No secret leaves through text a server sent back, in any form it may quote it: raw, URL-encoded
(``quote``, ``quote_plus``, once or twice), HTML-escaped or JSON-escaped."""

from __future__ import annotations

import html
import json
import logging
import re
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from hostile import HostileServer, Reply, Seen
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_salesloft.exceptions import SalesloftAPIError, SalesloftOAuthError
from airflow_provider_salesloft.hooks.redaction import redact, secret_forms
from airflow_provider_salesloft.hooks.salesloft import SalesloftHook

CLIENT_SECRET = "cs_Ab+9/xY=Zq7"
REFRESH_TOKEN = "rt/+é=&long-refresh"
API_KEY = "ak+/=key%-0123456789"


def lower_escapes(text: str) -> str:
    """``%2B`` as ``%2b``: servers differ in the case of their percent-escapes."""
    return re.sub(r"%[0-9A-F]{2}", lambda match: match.group().lower(), text)


def every_form(*secrets: str) -> set[str]:
    """Each secret as a server may quote it, percent-escapes in both cases."""
    forms: set[str] = set()
    for secret in secrets:
        once = {
            secret,
            quote(secret, safe=""),
            quote(secret),
            quote_plus(secret),
            quote_plus(secret, safe="/"),
        }
        encoded = once | {quote(form, safe="") for form in once if "%" in form}  # a URL inside a URL
        encoded |= {html.escape(form) for form in encoded}  # an HTML error page
        for form in encoded | {lower_escapes(form) for form in encoded}:
            forms.update({form, json.dumps(form)[1:-1], json.dumps(form, ensure_ascii=False)[1:-1]})
    return forms


def leaks(text: str, *secrets: str) -> list[str]:
    return [form for form in every_form(*secrets) if form in text]


def hook_on(monkeypatch: pytest.MonkeyPatch, server: HostileServer, **conn: Any) -> SalesloftHook:
    extra = {"retry_max_attempts": 1, **conn.pop("extra", {})}
    monkeypatch.setenv(
        "AIRFLOW_CONN_SL_ECHO",
        json.dumps({"conn_type": "salesloft", "host": server.url, **conn, "extra": extra}),
    )
    return SalesloftHook(salesloft_conn_id="sl_echo")


def test_a_token_endpoint_quoting_its_form_body_leaks_no_secret(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def echo(seen: Seen) -> Reply:
        body = seen.body.decode()  # client_secret=cs_Ab%2B9%2FxY%3DZq7&refresh_token=...
        return Reply(
            400,
            {"error": f"invalid_request: {body}", "error_description": f"got {body} {lower_escapes(body)}"},
        )

    with HostileServer(echo) as server:
        hook = hook_on(
            monkeypatch,
            server,
            extra={
                "client_id": "app",
                "client_secret": CLIENT_SECRET,
                "refresh_token": REFRESH_TOKEN,
                "oauth_url": f"{server.url}/oauth/token",
            },
        )
        with caplog.at_level(logging.DEBUG), pytest.raises(SalesloftOAuthError) as info:
            hook.get_me()
    sent = server.requests("POST")[0].body.decode()
    assert leaks(sent, CLIENT_SECRET) and leaks(sent, REFRESH_TOKEN)  # the echo did quote them
    assert "***" in str(info.value)
    assert leaks(str(info.value), CLIENT_SECRET, REFRESH_TOKEN) == []
    assert leaks(caplog.text, CLIENT_SECRET, REFRESH_TOKEN) == []


def test_an_api_error_quoting_the_key_in_every_form_leaks_none(monkeypatch: pytest.MonkeyPatch) -> None:
    quoted = sorted(every_form(API_KEY))

    def echo(seen: Seen) -> Reply:
        return Reply(422, {"errors": {"key": quoted, "header": [seen.headers.get("Authorization", "")]}})

    with HostileServer(echo) as server, pytest.raises(SalesloftAPIError) as info:
        hook_on(monkeypatch, server, password=API_KEY).get_me()
    assert leaks(str(info.value), API_KEY) == []
    assert leaks(json.dumps(info.value.errors), API_KEY) == []


AROUND = st.sampled_from(["", " ", "client_secret=", "&refresh_token=", '{"error": "', '"}', "got: "])


@given(
    secret=st.text(st.characters(blacklist_categories=("Cs",)), min_size=6, max_size=24),
    before=AROUND,
    after=AROUND,
    pick=st.integers(min_value=0),
)
def test_every_form_of_a_secret_is_redacted(secret: str, before: str, after: str, pick: int) -> None:
    forms = sorted(every_form(secret))
    quoted = forms[pick % len(forms)]
    text = redact(f"{before}{quoted}{after}", [secret])
    assert quoted not in text or quoted in f"{before}***{after}"
    assert secret_forms(secret) <= every_form(secret) | {quoted.replace("/", "\\/") for quoted in forms}
