"""An offline Salesloft: a real HTTP server on loopback that behaves like the REST API v2 as documented.

It serves the envelope (``{"data": ...}``, ``metadata.paging``), the errors (401/403/404/422/429/5xx with
Salesloft's bodies), the per-team cost-based rate limit with its ``x-ratelimit-*`` headers and deep-page
costs, and accepts parameters as a query string, a JSON body or a form body (urlencoded or multipart), as
Salesloft does. Faults can be injected, deterministically from a seed: latency, 503s, dropped connections,
lost responses of committed POSTs, and either answer Salesloft may give for a person already on a cadence.

Admin endpoints (no auth, never rate limited) let a test or the demo steer a running server:
``GET /_sim/stats``, ``POST /_sim/faults`` (JSON body of :class:`Faults` fields), ``POST /_sim/reset``,
``POST /_sim/expire_tokens``.

Nothing in the provider's production code imports this module.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import json
import random
import secrets as secrets_module
import socket
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

DEFAULT_API_KEY = "sim-api-key-0123456789abcdef"
ALREADY_ON_CADENCE_MESSAGE = "is already on this cadence"
DEEP_PAGE_COSTS = ((500, 30), (250, 10), (150, 8), (100, 3))


@dataclass
class Faults:
    """What the simulator does wrong, and how strict it is. All shares are in ``[0, 1]``.

    :param latency_ms: (min, max) milliseconds added to every API answer.
    :param error_503_share: share of API calls answered 503 with an HTML body, without acting.
    :param drop_share: share of API calls whose connection is closed before they are handled.
    :param lost_response_share: share of committed POSTs whose connection is closed instead of answered.
    :param rate_limit: cost allowed per window for the whole team.
    :param rate_window_s: window length in seconds (Salesloft: 60).
    :param already_on_cadence: ``"422"`` or ``"200"``: the answer to adding a person already on the cadence.
    :param retry_after: send ``Retry-After`` with 429s (Salesloft documents none).
    :param rate_limit_headers: send ``x-ratelimit-*`` headers.
    :param token_lifetime_s: lifetime of OAuth access tokens.
    :param expire_tokens_every_calls: revoke every OAuth access token after each N-th successful API call
        (0: never), to expire tokens at a chosen point of a run whatever its speed.
    """

    latency_ms: tuple[float, float] = (0.0, 0.0)
    error_503_share: float = 0.0
    drop_share: float = 0.0
    lost_response_share: float = 0.0
    rate_limit: int = 600
    rate_window_s: float = 60.0
    already_on_cadence: str = "422"
    retry_after: bool = False
    rate_limit_headers: bool = True
    token_lifetime_s: float = 7200.0
    expire_tokens_every_calls: int = 0

    def update(self, changes: dict[str, Any]) -> None:
        """Apply ``changes`` (field name -> value), refusing unknown names."""
        names = {f.name for f in fields(self)}
        for key, value in changes.items():
            if key not in names:
                raise ValueError(f"unknown fault {key!r}; known: {sorted(names)}")
            setattr(self, key, tuple(value) if key == "latency_ms" else value)
        if self.already_on_cadence not in ("422", "200"):
            raise ValueError("already_on_cadence must be '422' or '200'")


@dataclass
class Stats:
    """Counters the tests assert on."""

    calls: int = 0
    answered: int = 0
    calls_by_route: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    errors_503: int = 0
    dropped: int = 0
    lost_responses: int = 0
    memberships_created: int = 0
    adds: int = 0
    already_on_answers: int = 0
    tokens_issued: int = 0
    unauthorized: int = 0
    cost_by_window: Counter[int] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready copy."""
        data = asdict(self)
        data["calls_by_route"] = dict(self.calls_by_route)
        data["cost_by_window"] = {str(k): v for k, v in sorted(self.cost_by_window.items())}
        return data


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class ApiError(Exception):
    """An error answer: status and JSON body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _not_found() -> ApiError:
    return ApiError(404, {"error": "Not Found"})


def _invalid(field_name: str, message: str) -> ApiError:
    return ApiError(422, {"errors": {field_name: [message]}})


class SalesloftState:
    """The records of one simulated Salesloft team, and the rules that change them."""

    def __init__(self, people: int = 200) -> None:
        self.lock = threading.RLock()
        self.users = {
            1: {
                "id": 1,
                "name": "Ada Admin",
                "first_name": "Ada",
                "last_name": "Admin",
                "email": "ada@example.com",
                "team_admin": True,
            },
            2: {
                "id": 2,
                "name": "Bo Rep",
                "first_name": "Bo",
                "last_name": "Rep",
                "email": "bo@example.com",
                "team_admin": False,
            },
            3: {
                "id": 3,
                "name": "Cy Rep",
                "first_name": "Cy",
                "last_name": "Rep",
                "email": "cy@example.com",
                "team_admin": False,
            },
        }
        self.cadences = {
            10: {"id": 10, "name": "Inbound Leads", "team_cadence": True, "owner_id": 1},
            11: {"id": 11, "name": "Outbound Q4", "team_cadence": True, "owner_id": 1},
            12: {"id": 12, "name": "Bo's Personal", "team_cadence": False, "owner_id": 2},
            13: {
                "id": 13,
                "name": "Archived Campaign",
                "team_cadence": True,
                "owner_id": 1,
                "archived": True,
            },
        }
        self.steps = {
            100: {"id": 100, "cadence_id": 10, "step_number": 1},
            101: {"id": 101, "cadence_id": 10, "step_number": 2},
            110: {"id": 110, "cadence_id": 11, "step_number": 1},
            120: {"id": 120, "cadence_id": 12, "step_number": 1},
        }
        self.tasks: dict[int, dict[str, Any]] = {
            900 + n: {"id": 900 + n, "state": "scheduled", "user_id": 1} for n in range(50)
        }
        self.people: dict[int, dict[str, Any]] = {}
        self.people_by_email: dict[str, int] = {}
        for n in range(1, people + 1):
            self.add_person(1000 + n, f"person{n}@example.com")
        self.memberships: dict[int, dict[str, Any]] = {}
        self.membership_by_pair: dict[tuple[int, int], int] = {}
        self._next_membership_id = 50_000

    def add_person(self, person_id: int, email_address: str) -> dict[str, Any]:
        """Create a person (tests and seeds)."""
        person = {
            "id": person_id,
            "email_address": email_address,
            "first_name": "Test",
            "last_name": f"Person {person_id}",
            "created_at": _now_iso(),
            "updated_at": _now_iso(),
        }
        self.people[person_id] = person
        self.people_by_email[email_address.lower()] = person_id
        return person

    # -- memberships -------------------------------------------------------------------------------------
    def render_membership(self, membership: dict[str, Any]) -> dict[str, Any]:
        """A membership as the API shows it."""
        return {
            "id": membership["id"],
            "added_at": membership["added_at"],
            "created_at": membership["created_at"],
            "updated_at": membership["updated_at"],
            "person_deleted": False,
            "currently_on_cadence": membership["currently_on_cadence"],
            "current_state": membership["current_state"],
            "cadence": {
                "id": membership["cadence_id"],
                "_href": f"https://api.salesloft.com/v2/cadences/{membership['cadence_id']}",
            },
            "person": {
                "id": membership["person_id"],
                "_href": f"https://api.salesloft.com/v2/people/{membership['person_id']}",
            },
            "user": {
                "id": membership["user_id"],
                "_href": f"https://api.salesloft.com/v2/users/{membership['user_id']}",
            },
            "latest_action": None,
            "counts": {"views": 0, "clicks": 0, "replies": 0, "calls": 0, "sent_emails": 0, "bounces": 0},
        }

    def add_to_cadence(
        self, me: int, params: dict[str, Any], already_answer: str
    ) -> tuple[dict[str, Any], bool]:
        """Apply POST /v2/cadence_memberships; return (rendered membership, created-or-readded)."""
        person_id = _required_int(params, "person_id")
        cadence_id = _required_int(params, "cadence_id")
        user_id = _optional_int(params, "user_id") or me
        step_id = _optional_int(params, "step_id")
        task_id = _optional_int(params, "task_id")
        if person_id not in self.people:
            raise _not_found()
        cadence = self.cadences.get(cadence_id)
        if cadence is None or user_id not in self.users:
            raise _not_found()
        if cadence.get("archived"):
            raise _invalid("cadence_id", "cadence is archived and cannot have people added")
        if user_id != me and not cadence["team_cadence"] and cadence["owner_id"] != user_id:
            raise ApiError(
                403,
                {"error": "You do not have permission to add people to this cadence on behalf of this user"},
            )
        if not cadence["team_cadence"] and cadence["owner_id"] != user_id:
            raise ApiError(403, {"error": "The cadence must be owned by the user or be a team cadence"})
        if step_id is not None and self.steps.get(step_id, {}).get("cadence_id") != cadence_id:
            raise _invalid("step_id", "does not belong to this cadence")
        if task_id is not None and task_id not in self.tasks:
            raise _not_found()
        key = (person_id, cadence_id)
        existing_id = self.membership_by_pair.get(key)
        now = _now_iso()
        if existing_id is not None:
            existing = self.memberships[existing_id]
            if existing["currently_on_cadence"]:
                if already_answer == "422":
                    raise _invalid("person_id", ALREADY_ON_CADENCE_MESSAGE)
                return self.render_membership(existing), False
            existing.update(
                added_at=now,
                updated_at=now,
                currently_on_cadence=True,
                current_state="staged",
                user_id=user_id,
            )
            membership = existing
        else:
            self._next_membership_id += 1
            membership = {
                "id": self._next_membership_id,
                "person_id": person_id,
                "cadence_id": cadence_id,
                "user_id": user_id,
                "added_at": now,
                "created_at": now,
                "updated_at": now,
                "currently_on_cadence": True,
                "current_state": "staged",
            }
            self.memberships[membership["id"]] = membership
            self.membership_by_pair[key] = membership["id"]
        if task_id is not None:
            self.tasks[task_id]["state"] = "completed"
        return self.render_membership(membership), True

    def remove_membership(self, membership_id: int) -> None:
        """Apply DELETE /v2/cadence_memberships/{id}."""
        membership = self.memberships.get(membership_id)
        if membership is None:
            raise _not_found()
        now = _now_iso()
        membership.update(currently_on_cadence=False, current_state="removed", updated_at=now)

    def list_memberships(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Filter and sort memberships as GET /v2/cadence_memberships does."""
        items = list(self.memberships.values())
        for name in ("person_id", "cadence_id"):
            wanted = _optional_int(params, name)
            if wanted is not None:
                items = [m for m in items if m[name] == wanted]
        on = params.get("currently_on_cadence")
        if on is not None:
            flag = str(on).lower() == "true"
            items = [m for m in items if m["currently_on_cadence"] == flag]
        ids = params.get("ids[]")
        if ids:
            wanted_ids = {int(i) for i in _as_list(ids)}
            items = [m for m in items if m["id"] in wanted_ids]
        for op in ("gt", "gte", "lt", "lte"):
            bound = params.get(f"updated_at[{op}]")
            if bound is not None:
                items = [m for m in items if _compare(m["updated_at"], op, str(bound))]
        sort_by = params.get("sort_by") or "updated_at"
        if sort_by not in ("added_at", "updated_at"):
            raise _invalid("sort_by", "is not a sortable field")
        descending = str(params.get("sort_direction") or "DESC").upper() == "DESC"
        items.sort(key=lambda m: (m[sort_by], m["id"]), reverse=descending)
        return [self.render_membership(m) for m in items]


def _compare(value: str, op: str, bound: str) -> bool:
    left, right = datetime.fromisoformat(value), datetime.fromisoformat(bound.replace("Z", "+00:00"))
    return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[op]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _single(params: dict[str, Any], name: str) -> Any:
    value = params.get(name)
    return value[-1] if isinstance(value, list) and value else value


def _optional_int(params: dict[str, Any], name: str) -> int | None:
    value = _single(params, name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _invalid(name, "is not a number")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text.isdigit():
        raise _invalid(name, "is not a number")
    return int(text)


def _required_int(params: dict[str, Any], name: str) -> int:
    value = _optional_int(params, name)
    if value is None:
        raise _invalid(name, "can't be blank")
    return value


class SalesloftSimulator:
    """A Salesloft stand-in served over HTTP on loopback; use as a context manager.

    :param port: port to bind (0: any free port).
    :param people: how many people to seed (ids 1001..., emails ``person{n}@example.com``).
    :param api_keys: API keys accepted (default: :data:`DEFAULT_API_KEY`).
    :param seed: seed of the fault dice, for reproducible runs.
    :param oauth_clients: ``client_id -> client_secret`` of OAuth apps the token endpoint knows.
    :param faults: keyword arguments for :class:`Faults`.

    >>> with SalesloftSimulator() as sim:
    ...     sim.url  # e.g. "http://127.0.0.1:54321"
    """

    def __init__(
        self,
        port: int = 0,
        *,
        people: int = 200,
        api_keys: tuple[str, ...] = (DEFAULT_API_KEY,),
        seed: int = 0,
        oauth_clients: dict[str, str] | None = None,
        host: str = "127.0.0.1",
        **faults: Any,
    ) -> None:
        self.faults = Faults()
        self.faults.update(faults)
        self.state = SalesloftState(people=people)
        self.stats = Stats()
        self.api_keys = set(api_keys)
        self.oauth_clients = dict(oauth_clients or {})
        self.access_tokens: dict[str, float] = {}  # token -> expiry (time.time)
        self.refresh_tokens: dict[str, str] = {}  # live refresh token -> client_id
        self.issued_secrets: list[str] = []  # every access and refresh token ever issued (for leak scans)
        self._dice = random.Random(seed)
        self._dice_lock = threading.Lock()
        self._started = time.time()
        self._server = ThreadingHTTPServer((host, port), _make_handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL of the API, e.g. ``http://127.0.0.1:54321``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def token_url(self) -> str:
        """OAuth token endpoint of this simulator."""
        return f"{self.url}/oauth/token"

    def start(self) -> SalesloftSimulator:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, name="salesloft-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def serve_forever(self) -> None:
        """Serve in the calling thread (the command line)."""
        self._server.serve_forever()

    def __enter__(self) -> SalesloftSimulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- helpers for tests -----------------------------------------------------------------------------
    def connection_uri_json(self, api_key: str = DEFAULT_API_KEY, **extras: Any) -> str:
        """The JSON for ``AIRFLOW_CONN_<ID>`` that points a connection at this simulator."""
        return json.dumps(
            {
                "conn_type": "salesloft",
                "host": self.url,
                "password": api_key,
                "extra": {"rate_limit_window_s": self.faults.rate_window_s, **extras},
            }
        )

    def oauth_connection_json(
        self, client_id: str, client_secret: str, refresh_token: str | None = None, **extras: Any
    ) -> str:
        """The JSON for ``AIRFLOW_CONN_<ID>`` of an OAuth connection to this simulator (refresh-token grant
        when ``refresh_token`` is given, else client credentials)."""
        extra = {
            "client_id": client_id,
            "client_secret": client_secret,
            "token_url": self.token_url,
            "rate_limit_window_s": self.faults.rate_window_s,
            **extras,
        }
        if refresh_token:
            extra["refresh_token"] = refresh_token
        return json.dumps({"conn_type": "salesloft", "host": self.url, "extra": extra})

    def set_faults(self, **changes: Any) -> None:
        """Change faults of the running server."""
        with self.state.lock:
            self.faults.update(changes)

    def memberships_on(self, cadence_id: int) -> dict[int, dict[str, Any]]:
        """person_id -> membership (rendered) for everyone currently on ``cadence_id``."""
        with self.state.lock:
            return {
                m["person_id"]: self.state.render_membership(m)
                for m in self.state.memberships.values()
                if m["cadence_id"] == cadence_id and m["currently_on_cadence"]
            }

    def age_memberships(self, seconds: float) -> None:
        """Move every membership's timestamps ``seconds`` into the past (as if added earlier)."""
        delta = timedelta(seconds=seconds)
        with self.state.lock:
            for membership in self.state.memberships.values():
                for key in ("added_at", "created_at", "updated_at"):
                    moved = datetime.fromisoformat(membership[key]) - delta
                    membership[key] = moved.isoformat(timespec="microseconds")

    def expire_tokens(self) -> None:
        """Expire every OAuth access token now (refresh tokens stay valid)."""
        with self.state.lock:
            for token in self.access_tokens:
                self.access_tokens[token] = 0.0

    def roll(self, share: float) -> bool:
        """Deterministic dice: True with probability ``share``."""
        if share <= 0:
            return False
        with self._dice_lock:
            return self._dice.random() < share

    def latency(self) -> float:
        """Seconds to sleep before answering."""
        low, high = self.faults.latency_ms
        if high <= 0:
            return 0.0
        with self._dice_lock:
            return self._dice.uniform(low, high) / 1000.0

    # -- rate limit --------------------------------------------------------------------------------------
    def charge(self, cost: int) -> tuple[bool, int]:
        """Charge ``cost`` to the current window: (allowed, remaining after)."""
        with self.state.lock:
            window = int((time.time() - self._started) // self.faults.rate_window_s)
            used = self.stats.cost_by_window[window]
            if used + cost > self.faults.rate_limit:
                return False, max(0, self.faults.rate_limit - used)
            self.stats.cost_by_window[window] = used + cost
            return True, self.faults.rate_limit - used - cost

    # -- auth --------------------------------------------------------------------------------------------
    def authenticate(self, header: str | None) -> int:
        """Return the user id a bearer token acts as, or raise 401."""
        token = (header or "").removeprefix("Bearer ").strip() if header else ""
        if not header or not header.startswith("Bearer ") or not token:
            raise ApiError(
                401,
                {
                    "error": "No Bearer Token attached to request, please see "
                    "https://developers.salesloft.com for authentication help"
                },
            )
        if token in self.api_keys:
            return 1
        with self.state.lock:
            expiry = self.access_tokens.get(token)
        if expiry is not None and expiry > time.time():
            return 1
        raise ApiError(401, {"error": "Invalid or expired token"})

    def issue_token(self, params: dict[str, Any]) -> dict[str, Any]:
        """The OAuth token endpoint (``refresh_token`` and ``client_credentials`` grants)."""
        grant = _single(params, "grant_type")
        client_id = _single(params, "client_id")
        client_secret = _single(params, "client_secret")
        if self.oauth_clients.get(str(client_id)) != client_secret or client_secret is None:
            raise ApiError(
                401, {"error": "invalid_client", "error_description": "Client authentication failed"}
            )
        with self.state.lock:
            answer: dict[str, Any] = {
                "token_type": "bearer",
                "created_at": int(time.time()),
                "expires_in": int(self.faults.token_lifetime_s),
                "scope": "default",
            }
            if grant == "refresh_token":
                old = _single(params, "refresh_token")
                if self.refresh_tokens.pop(str(old), None) != client_id:
                    raise ApiError(
                        400,
                        {
                            "error": "invalid_grant",
                            "error_description": "The refresh token is invalid or revoked",
                        },
                    )
                answer["refresh_token"] = f"rt-{secrets_module.token_hex(16)}"
                self.refresh_tokens[answer["refresh_token"]] = str(client_id)
                self.issued_secrets.append(answer["refresh_token"])
            elif grant != "client_credentials":
                raise ApiError(400, {"error": "unsupported_grant_type"})
            answer["access_token"] = f"at-{secrets_module.token_hex(16)}"
            self.issued_secrets.append(answer["access_token"])
            self.access_tokens[answer["access_token"]] = time.time() + self.faults.token_lifetime_s
            self.stats.tokens_issued += 1
        return answer

    def grant_refresh_token(self, client_id: str) -> str:
        """Create a live refresh token for ``client_id`` (what the OAuth consent flow would give)."""
        token = f"rt-{secrets_module.token_hex(16)}"
        with self.state.lock:
            self.refresh_tokens[token] = client_id
            self.issued_secrets.append(token)
        return token


def _page_cost(page: int) -> int:
    for threshold, cost in DEEP_PAGE_COSTS:
        if page > threshold:
            return cost
    return 1


def _parse_params(handler: BaseHTTPRequestHandler, query: str, body: bytes) -> dict[str, Any]:
    """Merge query string and body (JSON, urlencoded or multipart) into one mapping; body wins."""
    params: dict[str, Any] = {}

    def put(key: str, values: list[Any]) -> None:
        params[key] = values if key.endswith("[]") else values[-1]

    for key, values in parse_qs(query, keep_blank_values=True).items():
        put(key, values)
    content_type = handler.headers.get("Content-Type", "")
    if not body:
        return params
    if "application/json" in content_type:
        try:
            decoded = json.loads(body)
        except ValueError:
            raise ApiError(400, {"error": "Malformed JSON body"}) from None
        if not isinstance(decoded, dict):
            raise ApiError(400, {"error": "JSON body must be an object"})
        params.update(decoded)
    elif "multipart/form-data" in content_type:
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        if message.is_multipart():
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if name:
                    payload = part.get_payload(decode=True)
                    value = payload.decode() if isinstance(payload, bytes) else str(payload or "")
                    if str(name).endswith("[]"):
                        params.setdefault(str(name), []).append(value)
                    else:
                        params[str(name)] = value
    else:
        for key, values in parse_qs(body.decode(), keep_blank_values=True).items():
            put(key, values)
    return params


def _make_handler(sim: SalesloftSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "SalesloftSimulator/1.0"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes: without this, delayed ACKs add ~40 ms per answer.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:  # silence per-request logging
            return

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

        def do_PUT(self) -> None:
            self._handle("PUT")

        # -- plumbing ----------------------------------------------------------------------------------
        def _drop(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def _send(
            self,
            status: int,
            body: Any,
            headers: dict[str, str] | None = None,
            content_type: str = "application/json; charset=utf-8",
        ) -> None:
            payload = (
                b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
            )
            self.send_response(status)
            if payload:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if payload:
                self.wfile.write(payload)

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            try:
                params = _parse_params(self, parts.query, body)
            except ApiError as error:
                self._send(error.status, error.body)
                return
            path = parts.path.rstrip("/") or "/"
            if path.startswith("/_sim/"):
                self._admin(method, path, body)
                return
            if path == "/oauth/token" and method == "POST":
                try:
                    self._send(200, sim.issue_token(params))
                except ApiError as error:
                    self._send(error.status, error.body)
                return
            self._api(method, path, params)

        def _admin(self, method: str, path: str, body: bytes) -> None:
            if path == "/_sim/stats":
                with sim.state.lock:
                    self._send(200, sim.stats.as_dict())
            elif path == "/_sim/faults" and method == "POST":
                try:
                    sim.set_faults(**json.loads(body or b"{}"))
                except (ValueError, TypeError) as error:
                    self._send(400, {"error": str(error)})
                    return
                self._send(200, asdict(sim.faults))
            elif path == "/_sim/reset" and method == "POST":
                with sim.state.lock:
                    sim.state.memberships.clear()
                    sim.state.membership_by_pair.clear()
                    sim.stats = Stats()
                self._send(200, {"ok": True})
            elif path == "/_sim/expire_tokens" and method == "POST":
                sim.expire_tokens()
                self._send(200, {"ok": True})
            else:
                self._send(404, {"error": "Not Found"})

        def _api(self, method: str, path: str, params: dict[str, Any]) -> None:
            route = f"{method} {_route_of(path)}"
            with sim.state.lock:
                sim.stats.calls += 1
                sim.stats.calls_by_route[route] += 1
            delay = sim.latency()
            if delay:
                time.sleep(delay)
            if sim.roll(sim.faults.drop_share):
                with sim.state.lock:
                    sim.stats.dropped += 1
                self._drop()
                return
            try:
                user_id = sim.authenticate(self.headers.get("Authorization"))
            except ApiError as error:
                with sim.state.lock:
                    sim.stats.unauthorized += 1
                self._send(error.status, error.body)
                return
            page = _optional_int_safe(params, "page") or 1
            cost = _page_cost(page)
            allowed, remaining = sim.charge(cost)
            headers = {}
            if sim.faults.rate_limit_headers:
                headers = {
                    "x-ratelimit-endpoint-cost": str(cost),
                    "x-ratelimit-remaining-minute": str(remaining),
                }
            if not allowed:
                with sim.state.lock:
                    sim.stats.rate_limited += 1
                if sim.faults.retry_after:
                    headers["Retry-After"] = str(max(1, round(sim.faults.rate_window_s)))
                self._send(429, {"error": "API rate limit exceeded"}, headers)
                return
            if sim.roll(sim.faults.error_503_share):
                with sim.state.lock:
                    sim.stats.errors_503 += 1
                self._send(
                    503,
                    b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
                    headers,
                    content_type="text/html",
                )
                return
            try:
                status, answer = self._route(method, path, params, user_id)
            except ApiError as error:
                self._send(error.status, error.body, headers)
                return
            if (
                method == "POST"
                and route == "POST /v2/cadence_memberships"
                and sim.roll(sim.faults.lost_response_share)
            ):
                with sim.state.lock:
                    sim.stats.lost_responses += 1
                self._drop()
                return
            with sim.state.lock:
                sim.stats.answered += 1
                every = sim.faults.expire_tokens_every_calls
                if every and sim.stats.answered % every == 0:
                    sim.expire_tokens()
            self._send(status, answer, headers)

        def _route(self, method: str, path: str, params: dict[str, Any], me: int) -> tuple[int, Any]:
            state = sim.state
            segments = path.strip("/").split("/")
            if segments[:1] != ["v2"] or len(segments) < 2:
                raise _not_found()
            resource = segments[1]
            ident = segments[2] if len(segments) > 2 else None
            with state.lock:
                if resource == "me" and method == "GET" and ident is None:
                    return 200, {"data": state.users[me]}
                if resource == "cadence_memberships":
                    if ident is None and method == "POST":
                        membership, changed = state.add_to_cadence(me, params, sim.faults.already_on_cadence)
                        if changed:
                            sim.stats.adds += 1
                            if membership["created_at"] == membership["added_at"]:
                                sim.stats.memberships_created += 1
                        else:
                            sim.stats.already_on_answers += 1
                        return 200, {"data": membership}
                    if ident is None and method == "GET":
                        return 200, _paged(state.list_memberships(params), params)
                    if ident is not None and ident.isdigit():
                        if method == "GET":
                            found = state.memberships.get(int(ident))
                            if found is None:
                                raise _not_found()
                            return 200, {"data": state.render_membership(found)}
                        if method == "DELETE":
                            state.remove_membership(int(ident))
                            return 204, None
                    raise _not_found()
                if resource == "people" and method == "GET" and ident is None:
                    people = list(state.people.values())
                    emails = params.get("email_addresses[]")
                    if emails:
                        wanted = {str(e).strip().lower() for e in _as_list(emails)}
                        people = [p for p in people if p["email_address"].lower() in wanted]
                    ids = params.get("ids[]")
                    if ids:
                        wanted_ids = {int(i) for i in _as_list(ids) if str(i).isdigit()}
                        people = [p for p in people if p["id"] in wanted_ids]
                    return 200, _paged(sorted(people, key=lambda p: p["id"]), params)
                if resource == "people" and method == "GET" and ident is not None and ident.isdigit():
                    person = state.people.get(int(ident))
                    if person is None:
                        raise _not_found()
                    return 200, {"data": person}
                if resource == "cadences" and method == "GET" and ident is not None and ident.isdigit():
                    cadence = state.cadences.get(int(ident))
                    if cadence is None:
                        raise _not_found()
                    return 200, {"data": cadence}
                if resource == "cadences" and method == "GET" and ident is None:
                    cadences = [c for c in state.cadences.values() if not c.get("archived")]
                    names = params.get("name[]")
                    if names:
                        cadences = [c for c in cadences if c["name"] in set(_as_list(names))]
                    if params.get("team_cadence") is not None:
                        flag = str(params["team_cadence"]).lower() == "true"
                        cadences = [c for c in cadences if c["team_cadence"] == flag]
                    return 200, _paged(cadences, params)
                if resource == "steps" and method == "GET" and ident is None:
                    steps = list(state.steps.values())
                    wanted_cadence = _optional_int(params, "cadence_id")
                    if wanted_cadence is not None:
                        steps = [s for s in steps if s["cadence_id"] == wanted_cadence]
                    return 200, _paged(steps, params)
                if resource == "users" and method == "GET" and ident is None:
                    return 200, _paged(list(state.users.values()), params)
            raise _not_found()

    return Handler


def _optional_int_safe(params: dict[str, Any], name: str) -> int | None:
    try:
        return _optional_int(params, name)
    except ApiError:
        return None


def _route_of(path: str) -> str:
    return "/".join(":id" if part.isdigit() else part for part in path.rstrip("/").split("/"))


def _paged(items: list[Any], params: dict[str, Any]) -> dict[str, Any]:
    per_page = _optional_int(params, "per_page") or 25
    if not 1 <= per_page <= 100:
        raise _invalid("per_page", "must be between 1 and 100")
    page = _optional_int(params, "page") or 1
    start = (page - 1) * per_page
    chunk = items[start : start + per_page]
    has_next = start + per_page < len(items)
    return {
        "data": chunk,
        "metadata": {
            "paging": {
                "per_page": per_page,
                "current_page": page,
                "next_page": page + 1 if has_next else None,
                "prev_page": page - 1 if page > 1 else None,
            }
        },
    }
