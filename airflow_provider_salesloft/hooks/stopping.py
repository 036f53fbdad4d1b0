"""Stopping a running task: once Airflow stops it, no request goes out and no wait is sat out.

Airflow stops a task in two ways: Airflow 3's task runner answers SIGTERM (the task marked failed, the
worker shutting down) by calling the operator's ``on_kill()`` and then lets ``execute`` go on; Airflow 2.11
calls ``on_kill()`` and then raises in the main thread, as both lines do for ``execution_timeout``
(``AirflowTaskTimeout``). Either way the operator calls :meth:`RateLimitPacer.stop
<airflow_provider_salesloft.hooks.rate_limit.RateLimitPacer.stop>`: from then on every request about to be
paced, and every retry wait, raises :class:`SalesloftStopped` at once, while the requests already on the
wire finish within their ``timeout``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from airflow.providers.common.compat.sdk import AirflowException


class SalesloftStopped(AirflowException):
    """The task was stopped: this request was not sent.

    Deliberately not a :class:`~airflow_provider_salesloft.exceptions.SalesloftError`: no retry loop and no
    per-row error handler of the provider takes it for a failed call, so it ends the work it interrupts.
    """


def stopped_error(reason: str | None) -> SalesloftStopped:
    """The error a stopped request raises."""
    return SalesloftStopped(f"not sent: the task is stopping ({reason or 'stopped'})")


class Stoppable(Protocol):
    """What can be stopped: the hook's pacer."""

    stopped: str | None

    def stop(self, reason: str) -> None:
        """Let nothing more out."""


def check_stop(gate: Stoppable) -> None:
    """Raise :class:`SalesloftStopped` when ``gate`` is stopped (between two steps of a task's work)."""
    if gate.stopped is not None:
        raise stopped_error(gate.stopped)


@contextmanager
def stop_on_exit(gate: Stoppable, then: Callable[[], object] | None = None) -> Iterator[None]:
    """Stop ``gate`` when anything (``AirflowTaskTimeout``, ``AirflowTaskTerminated``, an error) leaves the
    block, before an enclosing thread pool's shutdown would start the work still queued; then call ``then``
    (e.g. wait for the requests in flight and record them) and let the interruption go on."""
    try:
        yield
    except BaseException as error:
        gate.stop(f"interrupted by {type(error).__name__}")
        if then is not None:
            then()
        raise
