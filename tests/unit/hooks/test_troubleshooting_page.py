"""docs/troubleshooting.md quotes the messages the code produces: each quote matches a message made here by
real code (against the simulator where Salesloft answers), and every error class has its row."""

from __future__ import annotations

import inspect
import json
import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_salesloft import exceptions
from airflow_provider_salesloft.exceptions import SalesloftError
from airflow_provider_salesloft.hooks.answers import Answer, error_from_answer
from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.hooks.settings import parse_base_url
from airflow_provider_salesloft.operators.sync.mirror import MirrorOptions, plan_removals
from airflow_provider_salesloft.person_fields import check_field_map
from airflow_provider_salesloft.testing import DEFAULT_API_KEY, SalesloftSimulator
from airflow_provider_salesloft.validation import coerce_id

PAGE = Path(__file__).parents[3] / "docs" / "troubleshooting.md"
#: A quoted message on the page: *"..."* ("…" stands for any text).
QUOTE = re.compile(r'\*"(.+?)"\*')
ERROR_CLASSES = sorted(
    name
    for name, value in vars(exceptions).items()
    if inspect.isclass(value)
    and issubclass(value, SalesloftError)
    and value.__module__ == exceptions.__name__
)


def raised(call: Callable[[], Any]) -> SalesloftError:
    """The provider error ``call`` raises."""
    with pytest.raises(SalesloftError) as caught:
        call()
    return caught.value


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def produced_messages(sim: SalesloftSimulator, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The messages the troubleshooting page may quote, each made by the code that raises it."""

    def hook(conn: str) -> SalesloftHook:
        monkeypatch.setenv("AIRFLOW_CONN_SALESLOFT_DEFAULT", conn)
        return SalesloftHook()

    def on_sim(api_key: str = DEFAULT_API_KEY, **extras: Any) -> SalesloftHook:
        fast = {"retry_backoff_base_s": 0.01, "retry_backoff_max_s": 0.02, **extras}
        return hook(sim.connection_uri_json(api_key, **fast))

    def at(url: str, **extras: Any) -> SalesloftHook:
        extra = {"retry_backoff_base_s": 0.01, "retry_backoff_max_s": 0.02, "retry_max_attempts": 1, **extras}
        return hook(json_conn(host=url, password=DEFAULT_API_KEY, extra=extra))

    errors: list[BaseException] = [
        raised(lambda: hook(json_conn()).token_source),
        raised(lambda: hook(json_conn(password=DEFAULT_API_KEY, extra={"client_id": "app"})).token_source),
        raised(lambda: parse_base_url("http://api.salesloft.com")),
        raised(lambda: coerce_id("person_id", "abc")),
        raised(lambda: check_field_map({"company": "company_name"})),
        raised(lambda: at(f"http://127.0.0.1:{free_port()}").get_me()),
        raised(lambda: at(sim.url.replace("http://", "https://")).get_me()),
        raised(lambda: hook(sim.oauth_connection_json("sim-client", "sim-secret", "rt-revoked")).get_me()),
        raised(lambda: on_sim("wrong-key-5f1d2c3b4a").get_me()),
        raised(lambda: on_sim().create_cadence_membership(1001, 12, user_id=3)),
        raised(lambda: on_sim().create_cadence_membership(1001, 99_999)),
        raised(lambda: on_sim().create_cadence_membership(999_999, 10)),
        raised(lambda: on_sim().get_cadence(99_999)),
        raised(lambda: on_sim().ensure_cadence_membership(1001, 13)),
        raised(lambda: on_sim().ensure_cadence_membership(9001, 10)),
        raised(lambda: on_sim().create_cadence_membership(1001, 10, step_id=110)),
        exceptions.SalesloftAlreadyOnCadenceError(1001, 10, 50001),
        exceptions.SalesloftNotOnCadenceError("person 1001 (cadence 10)"),
        exceptions.SalesloftBulkJobTimeoutError(
            701, {"state": "running", "processed": 120, "total": 500}, 3600
        ),
        exceptions.SalesloftMirrorGuardError(
            "mirror refused, nothing removed: "
            + "; ".join(
                plan_removals(
                    MirrorOptions(max_removals=0.1),
                    {11: set(range(10))},
                    {11: {person: {"id": person} for person in range(30)}},
                )[1]
            )
        ),
        error_from_answer(
            Answer(429, "Too Many Requests", {}, b'{"error": "API rate limit exceeded"}'), "GET", "/v2/people"
        ),
        error_from_answer(
            Answer(503, "Service Unavailable", {"Content-Type": "text/html"}, b"<html>busy</html>"),
            "GET",
            "/v2/people",
        ),
        error_from_answer(Answer(400, "Bad Request", {}, b'{"error": "Bad Request"}'), "GET", "/v2/people"),
    ]
    with pytest.raises(SalesloftError) as unexpected:
        on_sim().transport._decode(Answer(200, "OK", {}, b"<html>login</html>"), "GET", "/v2/people")
    errors.append(unexpected.value)
    sim.scopes[DEFAULT_API_KEY] = {"people:read"}
    _, narrow = on_sim().test_connection()
    errors.append(raised(lambda: on_sim().get_cadence(10)))
    sim.faults.update({"error_503_share": 1.0})
    errors.append(raised(lambda: on_sim(retry_max_attempts=1).get_me()))
    return [f"{type(error).__name__}: {error}" for error in errors] + [narrow]


def json_conn(**fields: Any) -> str:
    """``AIRFLOW_CONN_...`` JSON of a ``salesloft`` connection."""
    return json.dumps({"conn_type": "salesloft", **fields})


def quote_pattern(quote: str) -> re.Pattern[str]:
    """A quote as a pattern: "…" matches any text; the rest literally."""
    return re.compile(".*".join(re.escape(part) for part in quote.split("…")))


@pytest.mark.salesloft_simulator(oauth_clients={"sim-client": "sim-secret"})
def test_every_quoted_message_is_one_the_code_produces(
    salesloft_simulator: SalesloftSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages = produced_messages(salesloft_simulator, monkeypatch)
    quotes = QUOTE.findall(PAGE.read_text())
    assert len(quotes) >= len(ERROR_CLASSES)
    unmatched = [q for q in quotes if not any(quote_pattern(q).search(m) for m in messages)]
    assert not unmatched, (
        "quotes the code does not produce:\n"
        + "\n".join(unmatched)
        + "\n\nproduced:\n"
        + ("\n".join(messages))
    )


def test_every_error_class_has_its_row() -> None:
    rows = {line.split("|")[1].strip() for line in PAGE.read_text().splitlines() if line.startswith("| `")}
    assert {f"`{name}`" for name in ERROR_CLASSES} <= rows
