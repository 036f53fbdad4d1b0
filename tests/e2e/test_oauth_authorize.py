"""``python -m airflow_provider_salesloft.oauth authorize``: the authorization-code flow end to end against
the simulator's authorization endpoint (which approves at once); a "browser" follows the printed address."""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, quote_plus, urlencode, urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_salesloft.exceptions import SalesloftOAuthError
from airflow_provider_salesloft.hooks.redaction import secret_forms
from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.hooks.token_store import store_key
from airflow_provider_salesloft.oauth import (
    LOOPBACK,
    OAuthApp,
    _CallbackServer,
    app_from_connection,
    authorize,
    exchange_code,
)
from airflow_provider_salesloft.testing import SalesloftSimulator

CLIENT_ID, CLIENT_SECRET = "app-client-id", "app-client-secret-5e4d3c2b1a"
pytestmark = [pytest.mark.e2e, pytest.mark.salesloft_simulator(oauth_clients={CLIENT_ID: CLIENT_SECRET})]


def with_query(url: str, change: dict[str, str]) -> str:
    """``url`` with ``change`` applied to its query."""
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()} | change
    return parts._replace(query=urlencode(query)).geturl()


#: A stray callback: another attempt's state and code, as an older tab (or another page) would send.
STRAY = {"state": "an-older-attempt", "code": "older-code"}


def browser(change: dict[str, str] | None = None, stray: list[requests.Response] | None = None) -> Any:
    """A browser: opens the address in a thread (following the redirect to the loopback listener), with
    ``change`` applied to the callback's query, as a tampering page would. With ``stray``, a callback with
    another state reaches the listener first (its answer is appended to ``stray``)."""

    def visit(url: str) -> None:
        answer = requests.get(url, allow_redirects=False, timeout=10)
        callback = answer.headers["Location"]
        if stray is not None:
            stray.append(requests.get(with_query(callback, STRAY), timeout=10))
        requests.get(with_query(callback, change or {}), timeout=10)

    return lambda url: threading.Thread(target=visit, args=(url,), daemon=True).start()


def app(sim: SalesloftSimulator) -> OAuthApp:
    return OAuthApp(CLIENT_ID, CLIENT_SECRET, sim.token_url, sim.authorize_url)


def test_flow_returns_a_live_refresh_token_and_prints_no_secret(
    salesloft_simulator: SalesloftSimulator,
) -> None:
    out = io.StringIO()
    answer = authorize(app(salesloft_simulator), port=0, timeout_s=30, open_browser=browser(), out=out)

    assert answer["refresh_token"] in salesloft_simulator.refresh_tokens
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A" in out.getvalue()  # the listener is on loopback
    for secret in [CLIENT_SECRET, *salesloft_simulator.issued_secrets]:
        assert secret not in out.getvalue()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"error": "access_denied", "error_description": "The user denied"}, "did not authorize the app"),
        ({"code": "stolen-code"}, "invalid_grant"),
    ],
)
def test_tampered_or_refused_callback_gives_no_token(
    salesloft_simulator: SalesloftSimulator, change: dict[str, str], message: str
) -> None:
    with pytest.raises(SalesloftOAuthError, match=message) as caught:
        authorize(
            app(salesloft_simulator), port=0, timeout_s=30, open_browser=browser(change), out=io.StringIO()
        )
    assert CLIENT_SECRET not in str(caught.value)
    assert not salesloft_simulator.refresh_tokens


def test_authorize_url_sits_beside_the_connections_token_url(
    salesloft_simulator: SalesloftSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_SL_APP", salesloft_simulator.oauth_connection_json(CLIENT_ID, CLIENT_SECRET)
    )
    assert app_from_connection("sl_app") == app(salesloft_simulator)
    assert CLIENT_SECRET not in repr(app_from_connection("sl_app"))


def run_command(
    sim: SalesloftSimulator,
    *args: str,
    env: dict[str, str],
    stray: list[requests.Response] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the command as a user would; play the browser from the address it prints (see :func:`browser`
    for ``stray``)."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_provider_salesloft.oauth",
            "authorize",
            *args,
            "--no-browser",
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    assert process.stderr is not None
    printed = []
    for line in process.stderr:
        printed.append(line)
        if line.strip().startswith(sim.authorize_url):
            browser(stray=stray)(line.strip())
            break
    stdout, rest = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, "".join(printed) + rest)


def test_command_prints_only_the_refresh_token(salesloft_simulator: SalesloftSimulator) -> None:
    conn = salesloft_simulator.oauth_connection_json(CLIENT_ID, CLIENT_SECRET)
    result = run_command(
        salesloft_simulator, "--conn-id", "sl_app", "--print", env={"AIRFLOW_CONN_SL_APP": conn}
    )

    assert result.returncode == 0, result.stderr
    refresh_token = result.stdout.strip()
    assert result.stdout == refresh_token + "\n"
    assert refresh_token in salesloft_simulator.refresh_tokens
    others = [CLIENT_SECRET, *(s for s in salesloft_simulator.issued_secrets if s != refresh_token)]
    assert not [secret for secret in others if secret in result.stdout + result.stderr]
    assert refresh_token not in result.stderr


@pytest.mark.parametrize("stray_first", [False, True], ids=["callback", "stray-callback-then-callback"])
def test_command_stores_the_token_in_the_connection_and_clears_the_store(
    salesloft_simulator: SalesloftSimulator, monkeypatch: pytest.MonkeyPatch, stray_first: bool
) -> None:
    """With ``stray_first``, a callback with another state reaches the listener before the real one: it is
    answered 400 and ignored, and the command goes on to store the real grant."""
    from airflow.models import Connection, Variable
    from airflow.utils.session import create_session

    conn_id = "sl_stored_app"
    extra = json.loads(salesloft_simulator.oauth_connection_json(CLIENT_ID, CLIENT_SECRET))["extra"]
    extra["refresh_token"] = "rt-revoked-long-ago"
    with create_session() as session:
        session.query(Connection).filter(Connection.conn_id == conn_id).delete()
        session.add(
            Connection(conn_id=conn_id, conn_type="salesloft", host=salesloft_simulator.url, extra=extra)
        )
    store = store_key(conn_id)
    Variable.set(store, json.dumps({"refresh_token": "rt-stale-chain"}))

    stray: list[requests.Response] = []
    result = run_command(
        salesloft_simulator, "--conn-id", conn_id, "--store", env={}, stray=stray if stray_first else None
    )

    assert result.returncode == 0, result.stderr
    if stray_first:
        assert [answer.status_code for answer in stray] == [400]
        assert "ignored" in stray[0].text and "keeps waiting" in stray[0].text
    assert result.stdout == ""
    assert not [s for s in [CLIENT_SECRET, *salesloft_simulator.issued_secrets] if s in result.stderr]
    with create_session() as session:
        stored = session.query(Connection).filter(Connection.conn_id == conn_id).one().extra_dejson
    assert stored["refresh_token"] in salesloft_simulator.refresh_tokens
    assert stored["client_secret"] == CLIENT_SECRET  # the rest of the connection is kept
    assert Variable.get(store, default_var=None) is None
    conn = salesloft_simulator.oauth_connection_json(CLIENT_ID, CLIENT_SECRET, stored["refresh_token"])
    check = f"sl_check_{int(stray_first)}"  # each case its own token store
    monkeypatch.setenv(f"AIRFLOW_CONN_{check.upper()}", conn)
    assert SalesloftHook(salesloft_conn_id=check).get_me()["id"] == 1  # the new grant works
    sealed = Variable.get(store_key(check))  # the first rotation of the new grant is stored sealed
    assert set(json.loads(sealed)) == {"sealed", "tokens"}
    leaked = [CLIENT_SECRET, *salesloft_simulator.issued_secrets]
    assert not [form for secret in leaked for form in secret_forms(secret) if form in sealed]


def test_command_without_an_app_says_what_is_missing(salesloft_simulator: SalesloftSimulator) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "airflow_provider_salesloft.oauth",
            "authorize",
            "--conn-id",
            "sl_key",
            "--print",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "AIRFLOW_CONN_SL_KEY": salesloft_simulator.connection_uri_json()},
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert (
        "connection 'sl_key' has no OAuth app: its extras lack client_id and client_secret" in result.stderr
    )
    assert result.stdout == ""


# -- attacks (review of #24) ---------------------------------------------------------------------------------
def test_an_idle_connection_neither_blocks_the_callback_nor_hangs_the_command(
    salesloft_simulator: SalesloftSimulator,
) -> None:
    """A browser's preconnect (or any local program) that connects and sends nothing: the single-threaded
    listener used to wait on it forever, so the callback never came and the command never ended."""
    idle: list[socket.socket] = []

    def open_browser(url: str) -> None:
        port = urlsplit(parse_qs(urlsplit(url).query)["redirect_uri"][0]).port
        idle.append(socket.create_connection((LOOPBACK, port)))
        idle[0].sendall(b"GET /callback")  # no end of line: the request line never completes
        browser()(url)

    result: dict[str, Any] = {}

    def run() -> None:
        result["answer"] = authorize(
            app(salesloft_simulator), port=0, timeout_s=60, open_browser=open_browser, out=io.StringIO()
        )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(120)  # a hang guard, not a timing threshold
    try:
        assert not thread.is_alive(), "authorize hung on an idle connection"
        assert result["answer"]["refresh_token"] in salesloft_simulator.refresh_tokens
    finally:
        idle[0].close()


def test_a_request_not_addressed_to_the_loopback_listener_is_ignored(
    salesloft_simulator: SalesloftSimulator,
) -> None:
    """A page on another host name that resolves to 127.0.0.1 (DNS rebinding) cannot end the wait with a
    forged callback: only requests whose Host is the listener's own count."""

    forged: list[int] = []

    def visit(url: str) -> None:
        port = urlsplit(parse_qs(urlsplit(url).query)["redirect_uri"][0]).port
        answer = requests.get(
            f"http://{LOOPBACK}:{port}/callback?code=x&state=forged",
            headers={"Host": f"evil.example:{port}"},
            timeout=30,
        )
        forged.append(answer.status_code)
        browser()(url)

    def open_browser(url: str) -> None:
        threading.Thread(target=visit, args=(url,), daemon=True).start()

    answer = authorize(
        app(salesloft_simulator), port=0, timeout_s=60, open_browser=open_browser, out=io.StringIO()
    )
    assert answer["refresh_token"] in salesloft_simulator.refresh_tokens
    assert forged == [400]


class _EchoingTokenEndpoint(BaseHTTPRequestHandler):
    """A token endpoint whose error quotes the client secret and the request it got, in several encodings."""

    secret = ""

    def do_POST(self) -> None:
        form = self.rfile.read(int(self.headers["Content-Length"])).decode()
        raw = self.secret.encode()
        body = json.dumps(
            {
                "error": f"invalid_client {self.secret}",
                "error_description": " ".join(
                    [
                        self.secret,
                        quote(self.secret, safe=""),
                        quote_plus(self.secret),
                        base64.b64encode(raw).decode(),
                        base64.urlsafe_b64encode(raw).decode().rstrip("="),
                        base64.b64encode(f"{CLIENT_ID}:{self.secret}".encode()).decode(),
                        form,
                    ]
                ),
            }
        ).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=8, max_size=40))
def test_token_endpoint_errors_never_quote_the_client_secret_in_any_encoding(secret: str) -> None:
    """Invariant: whatever the token endpoint's error says, the message and ``error`` hold the client secret
    in no encoding (as is, URL-encoded, base64, HTTP Basic)."""
    secret = "cs~" + secret  # never a piece of the message's own words
    _EchoingTokenEndpoint.secret = secret
    with HTTPServer((LOOPBACK, 0), _EchoingTokenEndpoint) as server:
        threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
        token_url = f"http://{LOOPBACK}:{server.server_address[1]}/oauth/token"
        try:
            with pytest.raises(SalesloftOAuthError) as caught:
                exchange_code(OAuthApp(CLIENT_ID, secret, token_url, token_url), "code-1", "http://x/cb")
        finally:
            server.shutdown()
    raw = secret.encode()
    shown = f"{caught.value}\n{caught.value.error}"
    for form in (secret, quote(secret, safe=""), quote_plus(secret), base64.b64encode(raw).decode()):
        assert form not in shown
    assert "invalid_client" in caught.value.error


def test_store_onto_a_connection_outside_the_database_stops_before_the_flow(
    salesloft_simulator: SalesloftSimulator,
) -> None:
    """--store onto an environment-variable connection: said before the user authorizes, not after the
    code was traded for a refresh token that would then be lost."""
    conn = salesloft_simulator.oauth_connection_json(CLIENT_ID, CLIENT_SECRET)
    result = run_command(
        salesloft_simulator, "--conn-id", "sl_env_app", "--store", env={"AIRFLOW_CONN_SL_ENV_APP": conn}
    )
    assert result.returncode == 1
    assert "connection 'sl_env_app' is not in Airflow's metadata database" in result.stderr
    assert "--print" in result.stderr
    assert not salesloft_simulator.refresh_tokens  # no grant was made (and lost)


def test_a_port_in_use_names_the_port_and_the_fix(salesloft_simulator: SalesloftSimulator) -> None:
    with socket.socket() as taken:
        taken.bind((LOOPBACK, 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SalesloftOAuthError, match=f"cannot listen on 127.0.0.1:{port}.*--port"):
            authorize(app(salesloft_simulator), port=port, timeout_s=5, open_browser=None, out=io.StringIO())


@pytest.mark.parametrize(
    ("option", "value"),
    [("--port", "70000"), ("--port", "-1"), ("--timeout", "nan"), ("--timeout", "inf"), ("--timeout", "-5")],
)
def test_an_out_of_range_port_or_timeout_is_refused_before_listening(
    salesloft_simulator: SalesloftSimulator, option: str, value: str
) -> None:
    """--port 70000 used to end in a traceback, --port -1 and --timeout nan in a wait with no end."""
    conn = salesloft_simulator.oauth_connection_json(CLIENT_ID, CLIENT_SECRET)
    command = ["authorize", "--conn-id", "sl_app", "--print", "--no-browser", f"{option}={value}"]
    result = subprocess.run(
        [sys.executable, "-m", "airflow_provider_salesloft.oauth", *command],
        capture_output=True,
        text=True,
        env={**os.environ, "AIRFLOW_CONN_SL_APP": conn},
        timeout=120,  # a hang guard, not a timing threshold
        check=False,
    )
    assert result.returncode == 1
    assert f"({option}) must be" in result.stderr and value in result.stderr
    assert "Traceback" not in result.stderr
    assert "Waiting for Salesloft" not in result.stderr  # refused before listening


# -- callbacks with another state are ignored ----------------------------------------------------------------
def test_a_stray_callback_with_another_state_is_ignored_and_the_real_one_is_taken(
    salesloft_simulator: SalesloftSimulator,
) -> None:
    """A stray callback (another state) used to end the flow; now it gets a 400 page and the wait goes on."""
    stray: list[requests.Response] = []
    answer = authorize(
        app(salesloft_simulator), port=0, timeout_s=60, open_browser=browser(stray=stray), out=io.StringIO()
    )
    assert answer["refresh_token"] in salesloft_simulator.refresh_tokens
    assert [response.status_code for response in stray] == [400]
    assert "Not the callback this command waits for" in stray[0].text


def test_only_a_callback_with_another_state_ends_in_the_timeout_naming_it(
    salesloft_simulator: SalesloftSimulator,
) -> None:
    """No code is traded for a stray callback; when the right one never comes, the timeout says what was
    ignored. (The browser here sends the stray callback before returning: the listener already serves.)"""
    stray: list[int] = []

    def open_browser(url: str) -> None:
        callback = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
        stray.append(requests.get(with_query(callback, {"state": "forged"}), timeout=10).status_code)

    with pytest.raises(SalesloftOAuthError, match=r"within 1 s \(1 callback with another state ignored"):
        authorize(app(salesloft_simulator), port=0, timeout_s=1, open_browser=open_browser, out=io.StringIO())
    assert stray == [400]
    assert not salesloft_simulator.refresh_tokens  # the code was never traded


_STATE = "the-flows-own-state-0123456789"
_VALUES = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)


@settings(max_examples=40, deadline=None)
@given(
    callbacks=st.lists(
        st.fixed_dictionaries(
            {"state": _VALUES.filter(lambda value: value != _STATE)},
            optional={"code": _VALUES, "error": _VALUES, "error_description": _VALUES, "scope": _VALUES},
        )
        | st.fixed_dictionaries({}, optional={"code": _VALUES, "error": _VALUES}),  # no state at all
        min_size=1,
        max_size=4,
    )
)
def test_no_callback_with_another_state_ends_the_wait(callbacks: list[dict[str, str]]) -> None:
    """Invariant: whatever a callback holds (a code, an error, any state or none), if its state is not the
    flow's it is answered 400 and the listener keeps waiting; the flow's own callback is then taken as is."""
    with _CallbackServer(0, _STATE) as server:
        thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
        thread.start()
        base = f"http://{LOOPBACK}:{server.server_address[1]}/callback"
        try:
            for query in callbacks:
                assert requests.get(base, params=query, timeout=10).status_code == 400
                assert not server.arrived.is_set()
            right = {"code": "the-code", "state": _STATE}
            assert requests.get(base, params=right, timeout=10).status_code == 200
        finally:
            server.shutdown()
            thread.join()
    assert server.arrived.is_set() and server.params == right
    assert server.ignored == len(callbacks)
