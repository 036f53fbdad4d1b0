"""The token endpoint's answer, read once for the hook's grants and the authorize command's."""

from __future__ import annotations

import json

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_salesloft.exceptions import SalesloftOAuthError
from airflow_provider_salesloft.hooks.token_answer import read_token_answer

SECRET = "cs-Ab+9/xY=Zq7-secret"


def response(status: int, body: object, content_type: str = "application/json") -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer.reason = "Unauthorized" if status == 401 else "OK"
    answer.headers["Content-Type"] = content_type
    answer._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return answer


@pytest.mark.parametrize("requires", ["access_token", "refresh_token"])
def test_the_required_token_is_returned_with_the_rest_of_the_answer(requires: str) -> None:
    body = {requires: "tok-1", "expires_in": 7200}
    assert read_token_answer(response(200, body), requires=requires, secrets=[SECRET]) == body


@pytest.mark.parametrize(
    ("reply", "message", "error"),
    [
        (response(200, b"<html>", "text/html"), "answered 200 with no JSON object (text/html)", ""),
        (response(200, [1]), "answered 200 with no JSON object", ""),
        (response(200, {"token_type": "bearer"}), "answered 200: no refresh token: OK", ""),
        (
            response(401, {"error": "invalid_client", "error_description": "bad"}),
            "answered 401: invalid_client: bad",
            "invalid_client",
        ),
        (response(401, {"refresh_token": "x"}), "answered 401: no refresh token: Unauthorized", ""),
    ],
)
def test_a_refusal_names_the_status_and_salesloft_error(
    reply: requests.Response, message: str, error: str
) -> None:
    with pytest.raises(SalesloftOAuthError) as caught:
        read_token_answer(reply, requires="refresh_token", secrets=[SECRET])
    assert message in str(caught.value)
    assert caught.value.error == error


@given(
    status=st.sampled_from([200, 400, 401, 403]),
    quoted=st.sampled_from(["error", "error_description"]),
    around=st.text(max_size=10),
)
def test_no_refusal_quotes_a_secret_it_was_given(status: int, quoted: str, around: str) -> None:
    """Invariant: whatever field of a refusal quotes the secret, the message and ``error`` do not."""
    body = {"error": "invalid_grant", quoted: f"{around}{SECRET}{around}"}
    with pytest.raises(SalesloftOAuthError) as caught:
        read_token_answer(response(status, body), requires="access_token", secrets=[SECRET])
    assert SECRET not in f"{caught.value} {caught.value.error}"
