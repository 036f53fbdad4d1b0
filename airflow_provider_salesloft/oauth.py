"""Get the first refresh token of a Salesloft OAuth app: the authorization-code flow on a loopback redirect.

.. code-block:: bash

    python -m airflow_provider_salesloft.oauth authorize --conn-id salesloft_default --store
    python -m airflow_provider_salesloft.oauth authorize --conn-id salesloft_default --print

The app (``client_id`` and ``client_secret`` extras, ``oauth_url`` if not Salesloft's) is read from the
Airflow connection. The command listens on ``http://127.0.0.1:<port>/callback`` (loopback only; register that
address as the app's redirect URI), opens Salesloft's authorization page in a browser (or prints its address),
waits for the redirect with a one-time ``code``, and trades it for tokens at the token endpoint. ``--store``
writes the refresh token into the connection's ``refresh_token`` extra (the connection must be in Airflow's
metadata database) and deletes the connection's token store, so every task starts from the new grant;
``--print`` writes the refresh token, and nothing else, to standard output. No other secret (the client
secret, the access token, the code) is ever printed.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import html
import json
import math
import secrets
import socket
import sys
import threading
import webbrowser
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO
from urllib.parse import parse_qs, quote, quote_plus, urlencode, urlsplit

import requests

from airflow_provider_salesloft.exceptions import (
    SalesloftConfigError,
    SalesloftError,
    SalesloftOAuthError,
    SalesloftTransportError,
)
from airflow_provider_salesloft.hooks.answer_deadline import DeadlineAdapter
from airflow_provider_salesloft.hooks.token_answer import post_token_form, read_token_answer

#: Salesloft's authorization page (the user approves the app there).
DEFAULT_AUTHORIZE_URL = "https://accounts.salesloft.com/oauth/authorize"
#: The loopback port the redirect listener uses unless ``--port`` says otherwise.
DEFAULT_PORT = 8976
REDIRECT_PATH = "/callback"
#: Seconds to wait for the user to approve the app.
DEFAULT_TIMEOUT_S = 300.0
LOOPBACK = "127.0.0.1"
#: Seconds the listener waits for one connection's request (a browser's idle preconnect must not block it).
REQUEST_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class OAuthApp:
    """An OAuth app as a connection describes it.

    :param client_id: the app's Application Id.
    :param client_secret: the app's Secret.
    :param token_url: the token endpoint.
    :param authorize_url: the authorization page.
    """

    client_id: str
    client_secret: str
    token_url: str
    authorize_url: str

    def __repr__(self) -> str:  # never show the secret
        return f"OAuthApp(client_id={self.client_id!r}, token_url={self.token_url!r})"


def app_from_connection(conn_id: str) -> OAuthApp:
    """The OAuth app of connection ``conn_id``; the authorization page sits beside the token endpoint
    (``.../oauth/token`` -> ``.../oauth/authorize``) unless the ``authorize_url`` extra names it."""
    from airflow.exceptions import AirflowNotFoundException
    from airflow.models import Connection

    from airflow_provider_salesloft.hooks.settings import DEFAULT_TOKEN_URL, ConnectionExtras, parse_base_url

    # As Airflow's own CLI reads connections (environment, secrets backends, metadata database), which
    # outside a task the Task SDK's lookup does not do on Airflow 3.
    try:
        conn = Connection.get_connection_from_secrets(conn_id)
    except AirflowNotFoundException:
        raise SalesloftConfigError(
            f"connection {conn_id!r} is not defined: create it with the app's client_id and client_secret "
            "extras"
        ) from None
    extras = ConnectionExtras(conn.extra_dejson)
    client_id, client_secret = extras.text("client_id"), extras.text("client_secret")
    if not client_id or not client_secret:
        missing = " and ".join(
            name for name, value in (("client_id", client_id), ("client_secret", client_secret)) if not value
        )
        raise SalesloftConfigError(
            f"connection {conn_id!r} has no OAuth app: its extras lack {missing} (the app's Application Id "
            "and Secret, from Salesloft's Your Applications page)"
        )
    token_url = parse_base_url(extras.text("oauth_url") or extras.text("token_url") or DEFAULT_TOKEN_URL)
    authorize_url = extras.text("authorize_url")
    if not authorize_url:
        authorize_url = (
            token_url.removesuffix("/oauth/token") + "/oauth/authorize"
            if token_url.endswith("/oauth/token")
            else DEFAULT_AUTHORIZE_URL
        )
    return OAuthApp(client_id, client_secret, token_url, parse_base_url(authorize_url))


def secret_forms(*secrets_: str) -> list[str]:
    """Each secret as an answer may quote it: as is, URL-encoded, JSON-escaped and base64-encoded."""
    forms = []
    for secret in secrets_:
        if secret:
            raw = secret.encode()
            forms += [secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]]
            forms += [base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()]
            forms += [form.rstrip("=") for form in forms[-2:]]
    return sorted(set(forms), key=len, reverse=True)  # longest first: no form is left half replaced


class _CallbackServer(ThreadingHTTPServer):
    """The loopback listener Salesloft redirects the browser to: keeps the parameters of the first callback
    that carries this request's ``state``.

    A callback with another ``state`` (or none) is not this flow's: a stray tab, an older attempt, or a page
    trying to end the flow. It is answered 400 and ignored, and the listener keeps waiting for the right one.
    Each connection has its own thread with a read timeout, so an idle connection (a browser's preconnect,
    another local program) neither blocks the callback nor keeps the command from ending. Closing the
    listener shuts every connection still open and waits for its thread: nothing outlives the flow.

    :param port: the loopback port (0: any free one).
    :param state: the ``state`` this flow sent to the authorization page.
    """

    daemon_threads = False  # server_close() joins them (after shutting their connections)
    block_on_close = True

    def __init__(self, port: int, state: str) -> None:
        self._open: set[socket.socket] = set()  # before binding: a failed bind calls server_close()
        self._open_lock = threading.Lock()
        super().__init__((LOOPBACK, port), _CallbackHandler)
        self.state = state
        self.params: dict[str, str] | None = None
        self.ignored = 0  # callbacks with another state
        self.arrived = threading.Event()
        self.taken = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        """Track the connection, then serve it in its own thread."""
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget the connection, then close it."""
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        """Stop listening, shut every connection still open (its thread's read ends) and join the threads."""
        self.socket.close()
        with self._open_lock:
            still_open = list(self._open)
        for connection in still_open:
            with contextlib.suppress(OSError):  # closed meanwhile
                connection.shutdown(socket.SHUT_RDWR)
        super().server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Show nothing for a connection that broke (the listener shuts those still open when it closes);
        the standard traceback for anything else."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _CallbackHandler(BaseHTTPRequestHandler):
    server: _CallbackServer
    timeout = REQUEST_TIMEOUT_S

    def do_GET(self) -> None:
        """Take the redirect's parameters if they carry this flow's state; answer a page the user can read."""
        parts = urlsplit(self.path)
        port = self.server.server_address[1]
        if self.headers.get("Host", "").lower() not in (f"{LOOPBACK}:{port}", f"localhost:{port}"):
            self.send_error(400, "not addressed to this loopback listener")  # e.g. DNS rebinding
            return
        params = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        with self.server.taken:
            if parts.path != REDIRECT_PATH or self.server.arrived.is_set():
                self.send_error(404)
                return
            if not secrets.compare_digest(params.get("state", "").encode(), self.server.state.encode()):
                self.server.ignored += 1
                self._page(
                    400,
                    "Not the callback this command waits for",
                    "This address does not belong to the authorization the command is waiting for (its state "
                    "does not match), so it was ignored. The command keeps waiting: open the address it "
                    "printed, in this browser, and authorize the app there.",
                )
                return
            self.server.params = params
            self.server.arrived.set()
        if "error" in params or "code" not in params:
            self._page(200, "Salesloft did not authorize the app", "Go back to the terminal to see why.")
        else:
            self._page(
                200, "Salesloft authorized the app", "You can close this tab and go back to the terminal."
            )

    def _page(self, status: int, title: str, text: str) -> None:
        body = (
            f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>"
            f"<p>{html.escape(text)}</p>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing: the request line holds the one-time code."""


def authorize(
    app: OAuthApp,
    *,
    port: int = DEFAULT_PORT,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    open_browser: Callable[[str], Any] | None = webbrowser.open,
    out: TextIO = sys.stderr,
) -> dict[str, Any]:
    """Run the authorization-code flow; return the token endpoint's answer (with ``refresh_token``).

    :param app: the OAuth app.
    :param port: loopback port of the redirect listener (0: any free one).
    :param timeout_s: how long to wait for the user's approval.
    :param open_browser: opens the authorization page (None: only print its address).
    :param out: where instructions go (never a secret).
    :raises SalesloftConfigError: ``port`` or ``timeout_s`` is out of range (before anything listens).
    :raises SalesloftOAuthError: the user or Salesloft refused, the callback did not come, or the code was not
        traded for a refresh token. A callback with another ``state`` is answered 400 and ignored: the wait
        goes on until the right one comes or ``timeout_s`` has passed.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise SalesloftConfigError(
            f"port (--port) must be a TCP port, 0 to 65535 (0: any free one), got {port!r}"
        )
    if not isinstance(timeout_s, (int, float)) or not 0 < timeout_s < math.inf:
        raise SalesloftConfigError(
            f"timeout_s (--timeout) must be a positive, finite number of seconds, got {timeout_s!r}"
        )
    state = secrets.token_urlsafe(24)
    try:
        listener = _CallbackServer(port, state)
    except OSError as error:
        raise SalesloftOAuthError(
            f"cannot listen on {LOOPBACK}:{port} ({error.strerror or error}): pass --port with a free port "
            "and register http://127.0.0.1:<that port>/callback as the app's redirect URI"
        ) from None
    with listener as server:
        redirect_uri = f"http://{LOOPBACK}:{server.server_address[1]}{REDIRECT_PATH}"
        query = {
            "client_id": app.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "state": state,
        }
        url = f"{app.authorize_url}?{urlencode(query)}"
        print(
            f"Waiting for Salesloft on {redirect_uri} (the app's redirect URI must be exactly this).\n"
            "Open this address, sign in as the user the DAGs should act as, and authorize the app:\n\n"
            f"  {url}\n",
            file=out,
            flush=True,
        )
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        thread.start()  # before the browser opens: it may come back at once
        try:
            if open_browser is not None:
                open_browser(url)
            arrived = server.arrived.wait(timeout_s)
        finally:
            server.shutdown()
            thread.join()
        params, ignored = server.params or {}, server.ignored
    if not arrived:
        also = (
            f" ({ignored} callback{'s' if ignored != 1 else ''} with another state ignored: open the address "
            "printed above, not an older one)"
            if ignored
            else ""
        )
        raise SalesloftOAuthError(f"no answer from Salesloft on {redirect_uri} within {timeout_s:g} s{also}")
    if "error" in params:
        raise SalesloftOAuthError(
            f"Salesloft did not authorize the app: {params['error']}: {params.get('error_description', '')}",
            error=params["error"],
        )
    if not params.get("code"):
        raise SalesloftOAuthError("Salesloft's callback holds no code")
    return exchange_code(app, params["code"], redirect_uri)


def exchange_code(app: OAuthApp, code: str, redirect_uri: str, timeout_s: float = 30.0) -> dict[str, Any]:
    """``POST`` the token endpoint with ``grant_type=authorization_code``; return its answer, read whole
    within ``timeout_s``."""
    form = {
        "grant_type": "authorization_code",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "code": code,
        "redirect_uri": redirect_uri,
    }
    with requests.Session() as session:
        adapter = DeadlineAdapter(max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        try:
            response = post_token_form(session, app.token_url, form, timeout_s)
        except requests.exceptions.RequestException as error:
            raise SalesloftOAuthError(
                f"Salesloft's token endpoint did not answer ({error.__class__.__name__})"
            ) from None
        except SalesloftTransportError as error:
            raise SalesloftOAuthError(f"Salesloft's token endpoint did not answer: {error}") from None
    # The answer may quote what was sent (the client secret, the code), in any encoding.
    forms = secret_forms(app.client_secret, code, f"{app.client_id}:{app.client_secret}")
    return read_token_answer(response, requires="refresh_token", secrets=forms)


def _connection_row(conn_id: str, session: Any) -> Any:
    """Connection ``conn_id`` in the metadata database; SalesloftConfigError when it is not there."""
    from airflow.models import Connection
    from sqlalchemy import select

    conn = session.scalar(select(Connection).where(Connection.conn_id == conn_id))
    if conn is None:
        raise SalesloftConfigError(
            f"connection {conn_id!r} is not in Airflow's metadata database (an environment variable or a "
            "secrets backend?): run with --print and put the token there as the refresh_token extra"
        )
    return conn


def check_storable(conn_id: str) -> None:
    """Raise SalesloftConfigError unless ``--store`` can write into connection ``conn_id``: it is in the
    metadata database, and no secrets backend read before the database (environment variables, a secrets
    backend) defines it too, since tasks would go on reading that one."""
    from airflow.configuration import ensure_secrets_loaded
    from airflow.utils.session import create_session

    with create_session() as session:
        _connection_row(conn_id, session)
    for backend in ensure_secrets_loaded():
        if type(backend).__name__ == "MetastoreBackend":
            return
        if backend.get_connection(conn_id) is not None:
            raise SalesloftConfigError(
                f"connection {conn_id!r} is also defined in {type(backend).__name__} (e.g. "
                f"AIRFLOW_CONN_{conn_id.upper()}), which Airflow reads before the metadata database: a token "
                "stored in the database would never be used. Remove that definition, or run with --print and "
                "put the token there as the refresh_token extra"
            )


def store_refresh_token(conn_id: str, refresh_token: str) -> str:
    """Put ``refresh_token`` in the ``refresh_token`` extra of connection ``conn_id`` (in the metadata
    database) and delete its token store, whose older chain would otherwise win; return the store's name."""
    from airflow.utils.session import create_session

    from airflow_provider_salesloft.hooks.token_store import legacy_store_key, store_key
    from airflow_provider_salesloft.hooks.variables import delete_variable, read_variable

    with create_session() as session:
        conn = _connection_row(conn_id, session)
        extra = conn.extra_dejson
        extra["refresh_token"] = refresh_token
        conn.set_extra(json.dumps(extra))
    for key in (store_key(conn_id), legacy_store_key(conn_id)):
        if read_variable(key) is not None:
            delete_variable(key)
    return store_key(conn_id)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: ``authorize --conn-id ID (--store | --print)``."""
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_salesloft.oauth",
        description="Get a Salesloft OAuth refresh token (authorization-code flow on a loopback redirect).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser(
        "authorize", help="authorize the connection's OAuth app as a Salesloft user"
    )
    command.add_argument("--conn-id", required=True, help="the Airflow connection holding the OAuth app")
    where = command.add_mutually_exclusive_group(required=True)
    where.add_argument("--store", action="store_true", help="write the refresh token into the connection")
    where.add_argument("--print", action="store_true", help="print the refresh token (only it) to stdout")
    command.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"loopback port of the redirect URI (default {DEFAULT_PORT})",
    )
    command.add_argument("--no-browser", action="store_true", help="print the address instead of opening it")
    command.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds to wait for the approval"
    )
    args = parser.parse_args(argv)
    try:
        app = app_from_connection(args.conn_id)
        if args.store:
            check_storable(args.conn_id)  # before the flow: a grant made but not kept would be lost
        answer = authorize(
            app,
            port=args.port,
            timeout_s=args.timeout,
            open_browser=None if args.no_browser else webbrowser.open,
        )
        if args.print:
            print(answer["refresh_token"], flush=True)
        else:
            store = store_refresh_token(args.conn_id, answer["refresh_token"])
            print(
                f"Stored the refresh token in connection {args.conn_id!r}; deleted its token store {store!r}",
                file=sys.stderr,
            )
    except (SalesloftError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
