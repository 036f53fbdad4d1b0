"""Reading an answer's body whole within the call's deadline, whatever its size and pace.

``iter_content`` waits for a whole chunk, and each socket read for up to the read timeout: a server that
sends one byte every half second keeps either waiting for minutes. Here every read returns what has arrived
(``read1``), the socket waits at most the time left before the deadline, and the deadline is checked after
every read: the body is read whole before the deadline, or :class:`AnswerTooSlow` is raised at it.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable
from typing import Any

import requests
from urllib3.exceptions import HTTPError as Urllib3Error

#: Most bytes asked of one read (each read returns what has arrived, up to this).
READ_SIZE = 64 * 1024


class AnswerTooSlow(Exception):
    """The body was not read whole before the deadline."""


class AnswerTooLarge(Exception):
    """The body grew past the size allowed.

    :param size: bytes read when the reading stopped.
    """

    def __init__(self, size: int) -> None:
        super().__init__(f"over {size} bytes")
        self.size = size


def read_body(
    response: requests.Response,
    deadline: float,
    max_bytes: int,
    clock: Callable[[], float] = time.monotonic,
) -> bytes:
    """The whole body of a streamed ``response``, read before ``deadline`` (a ``clock`` time).

    :raises AnswerTooSlow: at the deadline, the body not complete.
    :raises AnswerTooLarge: past ``max_bytes``.
    :raises requests.exceptions.ChunkedEncodingError: the connection broke off.
    """
    raw = response.raw
    sock = _socket_of(raw)
    before = sock.gettimeout() if sock is not None else None
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            left = deadline - clock()
            if left <= 0:
                raise AnswerTooSlow
            if sock is not None:
                sock.settimeout(left)
            try:
                chunk = raw.read1(READ_SIZE) if hasattr(raw, "read1") else raw.read(READ_SIZE)
            except (Urllib3Error, OSError) as error:
                if clock() >= deadline:
                    raise AnswerTooSlow from None
                raise requests.exceptions.ChunkedEncodingError(error) from None
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                raise AnswerTooLarge(size)
    finally:
        if sock is not None:
            with contextlib.suppress(OSError):  # closed meanwhile
                sock.settimeout(before)


def _socket_of(raw: Any) -> socket.socket | None:
    """The socket under a urllib3 response (None where it cannot be reached)."""
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    return sock if isinstance(sock, socket.socket) else None
