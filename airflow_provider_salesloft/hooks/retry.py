"""The one retry policy of the provider: what is retried, how long to wait, when to give up.

Retried: 429 (rate limit), 5xx, and requests that got no HTTP answer. Never retried: 400, 401, 403, 404,
422 and every other 4xx, which an identical request would only repeat.

Waits:

* 429 with ``Retry-After``: exactly that long.
* 429 without it (Salesloft documents none): the caller's ``rate_limit_wait`` says how long (the hook's
  pacer knows when the next window starts; :func:`window_wait` waits one whole window plus up to 10 %
  jitter where nothing is known); a tight exponential storm would only burn the next window's budget.
* 5xx and transport errors: exponential backoff with jitter (``base * 2**(n-1)``, half fixed, half random,
  capped at ``backoff_max_s``).

Budgets. Every retry loop stops, and raises the last error, when the next wait would take the call past
``max_elapsed_s`` (everything counts: waits, the pacer's holds, the requests themselves), after
``max_attempts`` failures other than 429, or after ``max_rate_limited`` 429s. A 429 waits at least
``rate_limit_min_wait_s`` whatever the server says (``Retry-After: 0`` must not become a storm). A call made
inside another one (a token fetch, the lost-response lookups of an add) shares the outer call's deadline;
within :func:`one_attempt_each` (those lookups) it also gives up on its first failure other than 429,
since the outer call retries the whole check.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import tenacity

from airflow_provider_salesloft.exceptions import (
    SalesloftAPIError,
    SalesloftRateLimitError,
    SalesloftServerError,
    SalesloftTransportError,
)
from airflow_provider_salesloft.hooks.extras import ConnectionExtras

T = TypeVar("T")
#: The deadline of the call running in this thread, shared by calls made inside it.
_budget = threading.local()
#: Rate-limit window assumed where no pacer knows better (Salesloft's limit is per minute).
DEFAULT_WINDOW_S = 60.0


@contextmanager
def one_attempt_each() -> Iterator[None]:
    """Calls made inside give up on their first failure other than 429: the caller's loop retries."""
    previous = getattr(_budget, "single", False)
    _budget.single = True
    try:
        yield
    finally:
        _budget.single = previous


def window_wait(window_s: float) -> Callable[[], float]:
    """A ``rate_limit_wait`` for callers that know nothing of the window's phase: one whole window plus up
    to 10 % jitter, so that the retry lands in the next window whenever it began."""
    return lambda: window_s * (1.0 + random.uniform(0.0, 0.1))


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds and waits of the hook's retries; read from connection extras by :meth:`from_extras`.

    :param max_attempts: attempts per request, the first one included (extra ``retry_max_attempts``).
    :param max_elapsed_s: time budget of one call, waits included (extra ``retry_max_elapsed_s``).
    :param backoff_base_s: first backoff for 5xx and transport errors (extra ``retry_backoff_base_s``).
    :param backoff_max_s: longest single backoff for 5xx and transport errors (extra ``retry_backoff_max_s``).
    :param rate_limit_min_wait_s: shortest wait after a 429, whatever ``Retry-After`` or the pacer say.
    :param max_rate_limited: most 429s one call takes before it gives up.
    :param clock: monotonic clock of the time budget (injectable for tests).
    :param sleep: how to wait (injectable for tests).
    """

    max_attempts: int = 6
    max_elapsed_s: float = 300.0
    backoff_base_s: float = 1.0
    backoff_max_s: float = 30.0
    rate_limit_min_wait_s: float = 1.0
    max_rate_limited: int = 50
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)

    @classmethod
    def from_extras(cls, extras: Mapping[str, Any] | ConnectionExtras) -> RetryPolicy:
        """Build the policy from connection extras, falling back to the defaults above."""
        reader = extras if isinstance(extras, ConnectionExtras) else ConnectionExtras(extras)
        defaults = cls()
        return cls(
            max_attempts=reader.integer("retry_max_attempts", defaults.max_attempts),
            max_elapsed_s=reader.number("retry_max_elapsed_s", defaults.max_elapsed_s),
            backoff_base_s=reader.number("retry_backoff_base_s", defaults.backoff_base_s),
            backoff_max_s=reader.number("retry_backoff_max_s", defaults.backoff_max_s),
        )

    @staticmethod
    def is_retryable(error: BaseException) -> bool:
        """True for 429, 5xx and transport errors retrying may cure; False for everything else."""
        if isinstance(error, SalesloftTransportError):
            return not error.permanent
        return isinstance(error, (SalesloftRateLimitError, SalesloftServerError))

    @staticmethod
    def maybe_committed(error: BaseException) -> bool:
        """True when a failed non-idempotent request may nevertheless have been carried out."""
        if isinstance(error, SalesloftTransportError):
            return error.committed_maybe
        return isinstance(error, SalesloftServerError)

    def wait_seconds(
        self, error: BaseException, attempt: int, rate_limit_wait: Callable[[], float] | None = None
    ) -> float:
        """Seconds to wait after ``attempt`` (1-based) failed with ``error``.

        :param rate_limit_wait: for a 429 without ``Retry-After``: how long until the rate window resets
            (the hook's pacer knows; default: :func:`window_wait` of a one-minute window).
        """
        if isinstance(error, SalesloftRateLimitError):
            if error.retry_after is not None:
                wait = error.retry_after
            else:
                wait = (rate_limit_wait or window_wait(DEFAULT_WINDOW_S))()
            return max(self.rate_limit_min_wait_s, wait)
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0.0, ceiling / 2)

    def call(
        self,
        attempt_fn: Callable[[int], T],
        *,
        describe: str,
        log: logging.Logger | Any,
        rate_limit_wait: Callable[[], float] | None = None,
        pause: Callable[[float], None] | None = None,
    ) -> T:
        """Run ``attempt_fn(attempt_number)`` until it returns, retrying as this policy says.

        429s are bounded by the total wait only (a paced caller may be told to wait several short times in
        one window); every other retryable error also by ``max_attempts``.

        :param attempt_fn: one attempt; gets the 1-based attempt number.
        :param describe: what is attempted, for log lines (must hold no secret).
        :param log: where retries are logged.
        :param rate_limit_wait: see :meth:`wait_seconds`.
        :param pause: waits between attempts in place of ``time.sleep`` (the pacer's, which a stopping task
            ends at once); a policy given another ``sleep`` (tests) keeps it.
        """
        planned: dict[int, float] = {}
        errors: dict[int, BaseException] = {}
        attempts = 0
        started = self.clock()
        outer_deadline: float | None = getattr(_budget, "deadline", None)
        deadline = started + self.max_elapsed_s
        if outer_deadline is not None:
            deadline = min(deadline, outer_deadline)

        def _planned_wait(state: tenacity.RetryCallState) -> float:
            if state.attempt_number not in planned:
                assert state.outcome is not None
                error = state.outcome.exception()
                assert error is not None
                errors[state.attempt_number] = error
                planned[state.attempt_number] = self.wait_seconds(
                    error, state.attempt_number, rate_limit_wait
                )
            return planned[state.attempt_number]

        def _stop(state: tenacity.RetryCallState) -> bool:
            upcoming = _planned_wait(state)
            rate_limited = sum(1 for error in errors.values() if isinstance(error, SalesloftRateLimitError))
            # Inside one_attempt_each() (the lookups of an add), the outer call's loop is the retry loop.
            max_failures = 1 if getattr(_budget, "single", False) else self.max_attempts
            if len(errors) - rate_limited >= max_failures or rate_limited >= self.max_rate_limited:
                return True
            already_waited = sum(s for n, s in planned.items() if n < state.attempt_number)
            elapsed = max(already_waited, self.clock() - started)  # waits alone when sleep is faked
            return elapsed + upcoming > self.max_elapsed_s or self.clock() + upcoming > deadline

        def _before_sleep(state: tenacity.RetryCallState) -> None:
            assert state.outcome is not None and state.next_action is not None
            error = state.outcome.exception()
            reason = f"{error.status_code} {error.message}" if isinstance(error, SalesloftAPIError) else error
            log.warning(
                "Salesloft %s failed on attempt %d (%s); retrying in %.1f s (at most %d attempts for errors, "
                "%.0f s of waiting)",
                describe,
                state.attempt_number,
                reason,
                state.next_action.sleep,
                self.max_attempts,
                self.max_elapsed_s,
            )

        def _attempt() -> T:
            nonlocal attempts
            attempts += 1
            return attempt_fn(attempts)

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(self.is_retryable),
            stop=_stop,
            wait=_planned_wait,
            before_sleep=_before_sleep,
            sleep=pause if pause is not None and self.sleep is time.sleep else self.sleep,
            reraise=True,
        )
        previous = outer_deadline
        _budget.deadline = deadline
        try:
            return retrying(_attempt)
        finally:
            _budget.deadline = previous
