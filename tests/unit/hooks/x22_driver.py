"""A fake-clock driver of ``RateLimitPacer``'s public methods against a model of Salesloft's counter (attack
x22, #22): callers let out by ``try_acquire``, each request charged when it reaches the server (between its
sending and its answer, each leg a random delay), answered with ``remaining`` (or a 429), fed to ``release``.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Callable

from airflow_provider_salesloft.hooks.rate_limit import RateLimitPacer

LIMIT = 100
WINDOW_S = 10.0
SHARE = 0.9
WORKERS = 16
RUN_S = 100.0
START = 1000.0


class _Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def run(
    seed: int,
    phase: float,
    up: tuple[float, float],
    down: tuple[float, float],
    with_headers: Callable[[], bool] = lambda: True,
) -> tuple[list[int], list[int], list[int]]:
    """Cost charged, calls and 429s in each server window (the first is partial) of one task with
    ``WORKERS`` callers whose requests take ``up`` seconds to reach the server and their answers ``down``
    seconds to come back; an answer carries the rate-limit headers when ``with_headers()``."""
    random.seed(seed)  # the pacer's own draws (probe gaps)
    rng = random.Random(seed)
    clock = _Clock()
    pacer = RateLimitPacer(share=SHARE, window_s=WINDOW_S, clock=clock, wall_clock=lambda: clock.now + 1.7e9)
    used: dict[int, int] = {}
    calls: dict[int, int] = {}
    refused: dict[int, int] = {}
    order = itertools.count()
    events: list[tuple[float, int, str, tuple[float, int, dict[str, str]]]] = [
        (START, next(order), "try", (0.0, 0, {})) for _ in range(WORKERS)
    ]
    while events:
        now, _, kind, (sent_at, status, headers) = heapq.heappop(events)
        if now > START + RUN_S:
            break
        clock.now = now
        if kind == "try":
            admitted, wait = pacer.try_acquire(1)
            if admitted:
                heapq.heappush(events, (now + rng.uniform(*up), next(order), "charge", (now, 0, {})))
            else:
                heapq.heappush(events, (now + max(wait, 0.01), next(order), "try", (0.0, 0, {})))
        elif kind == "charge":
            window = math.floor((now - phase) / WINDOW_S)
            calls[window] = calls.get(window, 0) + 1
            if used.get(window, 0) >= LIMIT:
                answer: tuple[float, int, dict[str, str]] = (sent_at, 429, {})
                refused[window] = refused.get(window, 0) + 1
            else:
                used[window] = used.get(window, 0) + 1
                remaining = {"x-ratelimit-remaining-minute": str(LIMIT - used[window])}
                shown = {**remaining, "x-ratelimit-endpoint-cost": "1"} if with_headers() else {}
                answer = (sent_at, 200, shown)
            heapq.heappush(events, (now + rng.uniform(*down), next(order), "answer", answer))
        else:
            pacer.release(1, sent_at, status, headers, "GET /v2/people")
            wait = pacer.wait_after_rate_limit() if status == 429 else 0.0
            heapq.heappush(events, (now + wait, next(order), "try", (0.0, 0, {})))
    first = math.floor((START - phase) / WINDOW_S)
    windows = [first + k for k in range(int(RUN_S / WINDOW_S))]
    return (
        [used.get(w, 0) for w in windows],
        [calls.get(w, 0) for w in windows],
        [refused.get(w, 0) for w in windows],
    )
