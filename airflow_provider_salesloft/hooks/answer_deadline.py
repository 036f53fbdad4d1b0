"""The status line and headers of an answer within the call's deadline, not only within each read.

``requests`` bounds each socket read by ``timeout``: a server that sends its status line and headers one
byte every half second is never caught by it. Here the session's connections read the head of an answer
under a watchdog: at the deadline of the call (set by :func:`answer_deadline` around the request) it shuts
the socket, and the read ends with :class:`~airflow_provider_salesloft.hooks.answer_reader.AnswerTooSlow`.
The body is bounded the same way by :func:`~airflow_provider_salesloft.hooks.answer_reader.read_body`.
"""

from __future__ import annotations

import contextlib
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

    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        return read()
    except Exception:
        if expired.is_set():
            raise AnswerTooSlow from None
        raise
    finally:
        watchdog.cancel()


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
