"""Watching the simulator's API traffic: a test session registers an observer to record every request
(and its answer) that reaches any simulator of the process, e.g. to check them against Salesloft's API
definition (``tests/contract``). Costs nothing while no observer is registered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Exchange:
    """One API request and the simulator's answer.

    :param method: HTTP method.
    :param path: the request's path (ids included, no query).
    :param query: the query string's parameters.
    :param body: the body's parameters (a JSON object, or form fields).
    :param user_agent: the client's ``User-Agent``.
    :param status: the answer's status.
    :param answer: the answer's JSON body (None without one).
    """

    method: str
    path: str
    query: dict[str, Any]
    body: dict[str, Any]
    user_agent: str
    status: int
    answer: Any


Observer = Callable[[Exchange], None]
#: Called with every API exchange of every simulator in this process (from the server's threads).
OBSERVERS: list[Observer] = []
