"""The status line and headers of an answer within the call's deadline, not only within each read.

``requests`` bounds each socket read by ``timeout``: a server that sends its status line and headers one
byte every half second is never caught by it. Here the session's connections read the head of an answer
under a watchdog: at the deadline of the call (set by :func:`answer_deadline` around the request) it shuts
the socket, and the read ends with :class:`~airflow_provider_salesloft.hooks.answer_reader.AnswerTooSlow`.
The body is bounded the same way by :func:`~airflow_provider_salesloft.hooks.answer_reader.read_body`.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from requests_toolbelt.adapters.socket_options import TCPKeepAliveAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager
from urllib3.response import HTTPResponse

from airflow_provider_salesloft.hooks.answer_reader import AnswerTooSlow

_current = threading.local()
_T = TypeVar("_T")


@contextlib.contextmanager
def answer_deadline(deadline: float) -> Iterator[None]:
    """Within the block, this thread's requests read their status line and headers before ``deadline``
    (a :func:`time.monotonic` time)."""
    before = getattr(_current, "deadline", None)
    _current.deadline = deadline
    try:
        yield
    finally:
        _current.deadline = before


class _Watchdog:
    """One thread for every deadline of the process: runs each action at its time unless cancelled first (a
    thread per request would cost more than many requests to a nearby server)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._due: list[tuple[float, int, list[Callable[[], None] | None]]] = []
        self._count = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: float, action: Callable[[], None]) -> list[Callable[[], None] | None]:
        """Run ``action`` at ``deadline`` (a :func:`time.monotonic` time); the handle to :meth:`cancel`."""
        handle: list[Callable[[], None] | None] = [action]
        with self._cond:
            heapq.heappush(self._due, (deadline, next(self._count), handle))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="salesloft-deadline", daemon=True)
                self._thread.start()
            self._cond.notify()
        return handle

    def cancel(self, handle: list[Callable[[], None] | None]) -> None:
        """Forget the action (it has not run, or is running now)."""
        with self._cond:
            handle[0] = None

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._due and self._due[0][2][0] is None:  # cancelled
                    heapq.heappop(self._due)
                if not self._due:
                    self._cond.wait()
                    continue
                left = self._due[0][0] - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                _, _, handle = heapq.heappop(self._due)
                action, handle[0] = handle[0], None
            if action is not None:
                action()


_WATCHDOG = _Watchdog()


def _within_deadline(sock: socket.socket | None, read: Callable[[], _T]) -> _T:
    """``read()``, its socket shut at this thread's deadline (:class:`AnswerTooSlow` when that ended it)."""
    deadline = getattr(_current, "deadline", None)
    if deadline is None or sock is None:
        return read()
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        with contextlib.suppress(OSError):  # closed meanwhile
            sock.shutdown(socket.SHUT_RDWR)

    handle = _WATCHDOG.watch(deadline, cut)
    try:
        return read()
    except Exception:
        if expired.is_set():
            raise AnswerTooSlow from None
        raise
    finally:
        _WATCHDOG.cancel(handle)


class _HTTPConnection(HTTPConnection):
    def getresponse(self) -> HTTPResponse:  # type: ignore[override]
        return _within_deadline(self.sock, super().getresponse)


class _HTTPSConnection(HTTPSConnection):
    def getresponse(self) -> HTTPResponse:  # type: ignore[override]
        return _within_deadline(self.sock, super().getresponse)


class _HTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def _bound(manager: PoolManager) -> PoolManager:
    manager.pool_classes_by_scheme = {"http": _HTTPConnectionPool, "https": _HTTPSConnectionPool}
    return manager


class DeadlineAdapter(TCPKeepAliveAdapter):  # type: ignore[misc]
    """A keep-alive adapter whose connections read an answer's head within :func:`answer_deadline`
    (direct and through HTTP proxies; SOCKS proxies keep their own connections, bounded per read)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """The pool manager, with connections that keep the deadline."""
        super().init_poolmanager(*args, **kwargs)
        _bound(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        """The proxy's pool manager, with connections that keep the deadline (HTTP proxies)."""
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks") and isinstance(manager, PoolManager):
            _bound(manager)
        return manager
