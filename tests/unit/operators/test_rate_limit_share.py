"""One share for every operator: the connection's extra ``rate_limit_share`` (default 0.9) paces the hook
and every operator's hook; an operator's argument overrides it; a bad value is refused naming the extra."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_salesloft.exceptions import SalesloftConfigError, SalesloftInvalidArgumentError
from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.operators import (
    CreateCadenceMembershipOperator,
    RemoveCadenceMembershipOperator,
    SyncCadenceMembershipsOperator,
    UpsertPeopleOperator,
)
from airflow_provider_salesloft.operators.base import SalesloftBaseOperator

OPERATORS: list[tuple[type[SalesloftBaseOperator], dict[str, Any]]] = [
    (CreateCadenceMembershipOperator, {"person_id": 1, "cadence_id": 2}),
    (RemoveCadenceMembershipOperator, {"person_id": 1, "cadence_id": 2}),
    (SyncCadenceMembershipsOperator, {"rows": [], "cadence_id": 2}),
    (UpsertPeopleOperator, {"rows": []}),
]


@pytest.fixture
def connection(monkeypatch: pytest.MonkeyPatch) -> Any:
    def set_extras(**extras: Any) -> None:
        uri = json.dumps(
            {"conn_type": "salesloft", "host": "http://127.0.0.1:1", "password": "key", "extra": extras}
        )
        monkeypatch.setenv("AIRFLOW_CONN_SL_SHARE", uri)

    return set_extras


def test_the_hook_uses_the_connections_share_default_0_9(connection: Any) -> None:
    connection()
    assert SalesloftHook("sl_share").pacer.share == 0.9
    connection(rate_limit_share=0.5)
    assert SalesloftHook("sl_share").pacer.share == 0.5
    assert SalesloftHook("sl_share", rate_limit_share=0.7).pacer.share == 0.7


@pytest.mark.parametrize(("operator", "arguments"), OPERATORS, ids=lambda o: getattr(o, "__name__", ""))
def test_every_operator_honours_the_connections_share_and_its_own_argument(
    connection: Any, operator: type[SalesloftBaseOperator], arguments: dict[str, Any]
) -> None:
    connection(rate_limit_share="0.6")
    task = operator(task_id="t", salesloft_conn_id="sl_share", **arguments)
    assert task.hook.pacer.share == 0.6
    task = operator(task_id="t", salesloft_conn_id="sl_share", rate_limit_share=0.3, **arguments)
    assert task.hook.pacer.share == 0.3


@pytest.mark.parametrize(("operator", "arguments"), OPERATORS, ids=lambda o: getattr(o, "__name__", ""))
@pytest.mark.parametrize("share", [0, 1.5, "half"])
def test_every_operator_refuses_a_bad_share_at_parse_time(
    operator: type[SalesloftBaseOperator], arguments: dict[str, Any], share: Any
) -> None:
    with pytest.raises(SalesloftInvalidArgumentError, match="rate_limit_share"):
        operator(task_id="t", rate_limit_share=share, **arguments)


@pytest.mark.parametrize("share", [0, -1, 1.01, "all"])
def test_a_bad_share_extra_is_refused_naming_it(connection: Any, share: Any) -> None:
    connection(rate_limit_share=share)
    with pytest.raises(SalesloftConfigError, match="rate_limit_share"):
        SalesloftHook("sl_share").pacer  # noqa: B018
