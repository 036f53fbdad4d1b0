"""What the simulator does wrong (faults, rolled with seeded dice) and what it counts (stats)."""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class Faults:
    """What the simulator does wrong, and how strict it is. All shares are in ``[0, 1]``.

    :param latency_ms: (min, max) milliseconds added to every API answer.
    :param error_503_share: share of API calls answered 503 with an HTML body, without acting.
    :param drop_share: share of API calls whose connection is closed before they are handled.
    :param lost_response_share: share of committed writes (POST, PUT, DELETE) whose connection is closed
        instead of answered.
    :param rate_limit: cost allowed per window for the whole team.
    :param rate_window_s: window length in seconds (Salesloft: 60).
    :param rate_window_aligned: windows start at whole multiples of ``rate_window_s`` in epoch time
        (calendar minutes, as public clients compute the reset from the ``Date`` header) instead of when the
        simulator started.
    :param already_on_cadence: ``"422"`` or ``"200"``: the answer to adding a person already on the cadence.
    :param retry_after: send ``Retry-After`` with 429s (Salesloft documents none).
    :param rate_limit_headers: send ``x-ratelimit-*`` headers.
    :param token_lifetime_s: lifetime of OAuth access tokens.
    :param expire_tokens_every_calls: revoke every OAuth access token after each N-th successful API call
        (0: never), to expire tokens at a chosen point of a run whatever its speed.
    :param date_offset_s: seconds added to the ``Date`` header (a proxy with a bad clock).
    :param date_header: ``"normal"``, ``"missing"`` (no ``Date``) or ``"zoneless"`` (``-0000`` for GMT).
    :param malformed_add_share: share of committed adds answered 200 ``{"data": {}}`` instead of the
        membership (the person is on the cadence all the same).
    :param echo_authorization: error answers quote the request's ``Authorization`` header (a careless
        proxy), to check that no secret leaks from error texts.
    :param add_state: ``current_state`` of a membership right after an add (``"staged"``, or ``"processing"``
        as Salesloft may answer while it works).
    :param processing_s: how long a membership added ``"processing"`` stays so before it is ``staged``
        (None: until it is removed).
    :param processing_refuses_removal: a DELETE of a ``processing`` membership is a 422 (Salesloft's
        definition: "processing: ... Cadence-related changes cannot be made at this time").
    :param processing_refusals: with ``processing_refuses_removal``, a ``processing`` membership is
        ``staged`` after refusing this many removals (None: it refuses as long as it processes).
    :param omit_paging: list answers come without ``metadata.paging`` (seen in real answers).
    :param page_size_cap: list pages hold at most this many records whatever ``per_page`` asks (0: as
        asked); ``metadata.paging`` still says honestly whether there is a next page (unless
        ``omit_paging``: then the pages are short and say nothing).
    :param lost_result_share: share of a bulk job's records processed (the person is upserted) whose result
        is never served, and not counted in the job's ``processed``.
    :param lost_response_routes: when given, only these routes (``"POST /v2/bulk_jobs"``, ids as ``:id``)
        lose answers.
    :param bulk_job_records_per_s: how fast bulk jobs process their records once ready (0: at once).
    :param route_costs: cost of each call of a route (``{"POST /v2/cadence_memberships": 3}``, ids as
        ``:id``), instead of 1 (deep pages keep their own costs where larger).
    :param glitch_remaining_at_call: the answer to this API call (counted from 1 as calls arrive; 0: none),
        and no other, reports ``x-ratelimit-remaining-minute: 59999`` (a proxy's or a counter's glitch),
        whatever is left.
    :param max_url_bytes: longest request URL (path and query) accepted; longer ones are answered 414, as
        many proxies do (0: no limit).
    :param drip_share: share of successful API answers sent slowly (the call carried out): status line,
        headers and body ``drip_bytes`` at a time, ``drip_interval_s`` apart; counted in ``stats.dripped``.
    :param drip_bytes: bytes sent at a time by a dripped answer.
    :param drip_interval_s: seconds between two pieces of a dripped answer.
    :param error_routes: routes answered with a status whatever is asked (``{"GET /v2/people": 500}``, ids
        as ``:id``), without acting: an outage of one endpoint.
    :param drip_routes: when given, only these routes (``"POST /v2/cadence_memberships"``, ids as ``:id``)
        drip their answers.
    """

    latency_ms: tuple[float, float] = (0.0, 0.0)
    error_503_share: float = 0.0
    drop_share: float = 0.0
    lost_response_share: float = 0.0
    rate_limit: int = 600
    rate_window_s: float = 60.0
    rate_window_aligned: bool = False
    already_on_cadence: str = "422"
    retry_after: bool = False
    rate_limit_headers: bool = True
    token_lifetime_s: float = 7200.0
    expire_tokens_every_calls: int = 0
    date_offset_s: float = 0.0
    date_header: str = "normal"
    malformed_add_share: float = 0.0
    echo_authorization: bool = False
    add_state: str = "staged"
    processing_s: float | None = None
    processing_refuses_removal: bool = False
    processing_refusals: int | None = None
    omit_paging: bool = False
    page_size_cap: int = 0
    lost_result_share: float = 0.0
    max_url_bytes: int = 0
    bulk_job_records_per_s: float = 500.0
    lost_response_routes: tuple[str, ...] = ()
    route_costs: dict[str, int] = field(default_factory=dict)
    glitch_remaining_at_call: int = 0
    drip_share: float = 0.0
    drip_bytes: int = 1
    drip_interval_s: float = 0.5
    drip_routes: tuple[str, ...] = ()
    error_routes: dict[str, int] = field(default_factory=dict)

    def update(self, changes: dict[str, Any]) -> None:
        """Apply ``changes`` (field name -> value), refusing unknown names."""
        names = {f.name for f in fields(self)}
        for key, value in changes.items():
            if key not in names:
                raise ValueError(f"unknown fault {key!r}; known: {sorted(names)}")
            tuples = ("latency_ms", "lost_response_routes", "drip_routes")
            setattr(self, key, tuple(value) if key in tuples else value)
        if self.already_on_cadence not in ("422", "200"):
            raise ValueError("already_on_cadence must be '422' or '200'")
        if self.date_header not in ("normal", "missing", "zoneless"):
            raise ValueError("date_header must be 'normal', 'missing' or 'zoneless'")
        if self.drip_bytes < 1 or self.drip_interval_s < 0:
            raise ValueError("drip_bytes must be at least 1 and drip_interval_s at least 0")


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
    lost_results: int = 0
    malformed_answers: int = 0
    dripped: int = 0
    memberships_created: int = 0
    adds: int = 0
    already_on_answers: int = 0
    people_created: int = 0
    tokens_issued: int = 0
    unauthorized: int = 0
    cost_by_window: Counter[int] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready copy."""
        data = asdict(self)
        data["calls_by_route"] = dict(self.calls_by_route)
        data["cost_by_window"] = {str(k): v for k, v in sorted(self.cost_by_window.items())}
        return data


class Dice:
    """Seeded, thread-safe dice, one stream per fault: the same seed gives each fault the same sequence,
    whatever the others draw (how often 503s or latency are rolled depends on timing; a fault's own
    sequence then does not).

    :param seed: the seed.
    """

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._streams: dict[str, random.Random] = {}
        self._lock = threading.Lock()

    def _stream(self, name: str) -> random.Random:
        if name not in self._streams:
            self._streams[name] = random.Random(f"{self._seed}:{name}")
        return self._streams[name]

    def roll(self, share: float, stream: str = "default") -> bool:
        """True with probability ``share``, drawn from ``stream``."""
        if share <= 0:
            return False
        with self._lock:
            return self._stream(stream).random() < share

    def latency(self, latency_ms: tuple[float, float]) -> float:
        """Seconds to sleep before answering, drawn from ``latency_ms``."""
        low, high = latency_ms
        if high <= 0:
            return 0.0
        with self._lock:
            return self._stream("latency").uniform(low, high) / 1000.0
