"""Attack on the shared token-answer reader (review of #24, a24): every text it takes from the answer is
redacted, the ``Content-Type`` header of an answer with no JSON object too."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_salesloft.exceptions import SalesloftOAuthError
from airflow_provider_salesloft.hooks.token_answer import read_token_answer

ENCODINGS = {
    "raw": lambda secret: secret,
    "quote": lambda secret: quote(secret, safe=""),
    "quote_plus": quote_plus,
    "json": lambda secret: json.dumps(secret)[1:-1],
}


@given(
    secret=st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=8, max_size=30),
    encoding=st.sampled_from(sorted(ENCODINGS)),
)
def test_a_content_type_quoting_a_secret_is_redacted(secret: str, encoding: str) -> None:
    """Invariant: an answer with no JSON object whose ``Content-Type`` quotes a secret the request carried
    (in any encoding) gives a message without it. It was quoted as is (the attack: a client secret and a
    code in ``text/plain; x=...``)."""
    secret = f"cs~{secret}"  # never a piece of the message's own words
    shown = ENCODINGS[encoding](secret)
    answer = requests.Response()
    answer.status_code = 200
    answer.headers["Content-Type"] = f"text/plain; echo={shown}"
    answer._content = b"<html>not json</html>"
    with pytest.raises(SalesloftOAuthError, match="with no JSON object") as caught:
        read_token_answer(answer, requires="refresh_token", secrets=[secret])
    assert shown not in str(caught.value) and secret not in str(caught.value)
