"""Reading an answer's body whole within the call's deadline, whatever its size and pace.

``iter_content`` waits for a whole chunk, and each socket read for up to the read timeout: a server that
sends one byte every half second keeps either waiting for minutes. Here every read returns what has arrived
(``read1``), the socket waits at most the time left before the deadline, and the deadline is checked after
every read: the body is read whole before the deadline, or :class:`AnswerTooSlow` is raised at it.

The body is read as sent (so a compressed body dripped slowly is bounded the same way), then decoded as its
``Content-Encoding`` says (:func:`decode_body`: the encodings the hook asks for, :data:`ACCEPT_ENCODING`),
never to more than the size allowed (a small compressed body may stand for gigabytes).
"""

from __future__ import annotations

import contextlib
import socket
import time
import zlib
from collections.abc import Callable
from typing import Any

import requests
from urllib3.exceptions import HTTPError as Urllib3Error

#: Most bytes asked of one read (each read returns what has arrived, up to this).
READ_SIZE = 64 * 1024
#: The ``Accept-Encoding`` the hook sends: what :func:`decode_body` reads.
ACCEPT_ENCODING = "gzip, deflate"


class AnswerTooSlow(Exception):
    """The body was not read whole before the deadline."""


class AnswerTooLarge(Exception):
    """The body grew past the size allowed.

    :param size: bytes read when the reading stopped.
    """

    def __init__(self, size: int) -> None:
        super().__init__(f"over {size} bytes")
        self.size = size


class AnswerUndecodable(Exception):
    """The body is in a ``Content-Encoding`` the hook cannot read, or broken in it."""


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


def read_whole(response: requests.Response, deadline: float, max_bytes: int) -> None:
    """Read a streamed ``response``'s body before ``deadline`` and decode it (:func:`read_body`,
    :func:`decode_body`), into the response itself, so that its ``json()`` and ``text`` read it.

    :raises AnswerTooSlow: at the deadline, the body not complete.
    :raises AnswerTooLarge: past ``max_bytes``.
    :raises AnswerUndecodable: in an encoding the hook cannot read.
    """
    try:
        body = read_body(response, deadline, max_bytes)
    finally:
        response.close()
    # requests' own store of a read body, which ``json()``, ``text`` and ``content`` return.
    response._content = decode_body(body, response.headers.get("Content-Encoding"), max_bytes)


def decode_body(body: bytes, content_encoding: str | None, max_bytes: int) -> bytes:
    """``body`` decoded as its ``Content-Encoding`` says (``gzip``, ``deflate`` zlib-wrapped or raw,
    ``identity``; several are undone last first), to at most ``max_bytes``.

    :raises AnswerTooLarge: decoded, it is longer than ``max_bytes``.
    :raises AnswerUndecodable: another encoding, or a body broken in its own.
    """
    codings = [coding.strip().lower() for coding in (content_encoding or "").split(",") if coding.strip()]
    for coding in reversed(codings):
        if coding == "identity":
            continue
        if coding in ("gzip", "x-gzip"):
            body = _inflate(body, (16 + zlib.MAX_WBITS,), max_bytes, coding)
        elif coding == "deflate":
            body = _inflate(body, (zlib.MAX_WBITS, -zlib.MAX_WBITS), max_bytes, coding)
        else:
            raise AnswerUndecodable(f"Content-Encoding {coding!r} (the hook asks for {ACCEPT_ENCODING})")
    return body


def _inflate(data: bytes, formats: tuple[int, ...], max_bytes: int, coding: str) -> bytes:
    """``data`` inflated in the first of ``formats`` (zlib ``wbits``) that reads it, to ``max_bytes``."""
    for wbits in formats:
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(data, max_bytes + 1)
        except zlib.error:
            continue
        if len(out) > max_bytes or inflater.unconsumed_tail:
            raise AnswerTooLarge(max_bytes)
        return out
    raise AnswerUndecodable(f"a body that is not {coding}")


def _socket_of(raw: Any) -> socket.socket | None:
    """The socket under a urllib3 response (None where it cannot be reached)."""
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    return sock if isinstance(sock, socket.socket) else None
