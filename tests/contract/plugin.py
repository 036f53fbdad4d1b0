"""A session-wide recorder of every request the provider sends to a simulator, checked against Salesloft's
API definition as it arrives (see :mod:`.definition`).

Registered from ``tests/conftest.py``; the check itself is ``test_contract.py``'s last test, which the
collection hook below runs after every other test of the session. Recording costs one set lookup per
request shape already seen: problems are found once per distinct request or answer shape.
"""

from __future__ import annotations

import threading

import pytest

from airflow_provider_salesloft.hooks.transport import USER_AGENT
from airflow_provider_salesloft.testing.observe import OBSERVERS, Exchange
from contract.definition import answer_problems, operation_of, request_problems

#: Marks the test that checks the whole session's record: run after every other test.
FINAL_MARKER = "contract_final"


class ContractRecorder:
    """Collects, per distinct request shape, whether the definition documents it; and per answer shape,
    whether the simulator answered as the definition says."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.current = "(outside a test)"
        self.shapes: set[tuple[object, ...]] = set()
        self.problems: dict[str, str] = {}  # problem -> the first test that met it
        self.operations: set[str] = set()
        self.requests = 0

    def __call__(self, exchange: Exchange) -> None:
        """Record one exchange (called from the simulator's threads)."""
        if not exchange.user_agent.startswith(USER_AGENT):
            return  # a test poking the simulator directly, not the provider
        records = exchange.body.get("data") if exchange.path.endswith("/job_data") else None
        record_fields = frozenset(
            name for record in records or () if isinstance(record, dict) for name in record
        )
        answer = exchange.answer.get("data") if isinstance(exchange.answer, dict) else None
        first = answer[0] if isinstance(answer, list) and answer else answer
        shape = (
            exchange.method,
            operation_of(exchange.method, exchange.path) or exchange.path,
            frozenset(exchange.query),
            frozenset(exchange.body),
            record_fields,
            exchange.status,
            frozenset(first) if isinstance(first, dict) else None,
        )
        with self.lock:
            self.requests += 1
            if shape in self.shapes:
                return
            self.shapes.add(shape)
            test = self.current
        found = request_problems(exchange.method, exchange.path, exchange.query, exchange.body)
        found += answer_problems(exchange.method, exchange.path, exchange.status, exchange.answer)
        with self.lock:
            key = operation_of(exchange.method, exchange.path)
            if key:
                self.operations.add(key)
            for problem in found:
                self.problems.setdefault(problem, test)


RECORDER = ContractRecorder()


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker; start recording."""
    config.addinivalue_line("markers", f"{FINAL_MARKER}: runs after every other test of the session")
    OBSERVERS.append(RECORDER)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop recording."""
    if RECORDER in OBSERVERS:
        OBSERVERS.remove(RECORDER)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the session's contract check after every other test (whatever order plugins chose)."""
    final = [item for item in items if item.get_closest_marker(FINAL_MARKER)]
    items[:] = [item for item in items if not item.get_closest_marker(FINAL_MARKER)] + final


def pytest_runtest_logstart(nodeid: str) -> None:
    """Name the running test (fixtures included) in what it records."""
    RECORDER.current = nodeid


@pytest.fixture
def contract_recorder() -> ContractRecorder:
    """The session's recorder."""
    return RECORDER
