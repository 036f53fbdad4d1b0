"""The token store's seal alone: what opens, what is refused, and that no sealed value holds a secret."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_salesloft.hooks.redaction import secret_forms
from airflow_provider_salesloft.hooks.token_seal import SEALED_VERSION, SealError, open_sealed, seal

KEY = "salesloft_oauth_token__salesloft_default"
SECRET = "app-client-secret-5e4d3c2b1a"

secrets = st.text(min_size=1, max_size=80)
tokens = st.text(min_size=4, max_size=120)
payloads = st.fixed_dictionaries(
    {
        "access_token": tokens,
        "refresh_token": st.one_of(st.none(), tokens),
        "expires_at": st.floats(min_value=0, max_value=4e9),
        "lifetime": st.floats(min_value=1, max_value=1e6),
    }
)


@given(payload=payloads, client_secret=secrets, context=st.text(max_size=60))
def test_what_is_sealed_opens_with_the_same_secret_and_context(
    payload: dict[str, object], client_secret: str, context: str
) -> None:
    value = seal(payload, client_secret=client_secret, context=context)
    assert open_sealed(value, client_secret=client_secret, context=context) == payload
    assert open_sealed(json.loads(value), client_secret=client_secret, context=context) == payload


@given(payload=payloads, client_secret=secrets)
def test_a_sealed_value_holds_no_form_of_any_token_or_the_client_secret(
    payload: dict[str, object], client_secret: str
) -> None:
    value = seal(payload, client_secret=client_secret, context=KEY)
    document = json.loads(value)
    assert set(document) == {"sealed", "tokens"} and document["sealed"] == SEALED_VERSION
    for secret in (payload["access_token"], payload["refresh_token"], client_secret):
        if isinstance(secret, str) and len(secret) >= 8:  # shorter ones may occur in base64 by chance
            assert not [form for form in secret_forms(secret) if form in value]


@given(payload=payloads, other=secrets)
def test_another_client_secret_does_not_open_it(payload: dict[str, object], other: str) -> None:
    value = seal(payload, client_secret=SECRET, context=KEY)
    if other != SECRET:
        with pytest.raises(SealError):
            open_sealed(value, client_secret=other, context=KEY)


@given(payload=payloads, other=st.text(max_size=60))
def test_another_stores_value_does_not_open_here(payload: dict[str, object], other: str) -> None:
    value = seal(payload, client_secret=SECRET, context=f"salesloft_oauth_token__{other}")
    if other != "salesloft_default":
        with pytest.raises(SealError):
            open_sealed(value, client_secret=SECRET, context=KEY)


@given(payload=payloads, data=st.data())
def test_any_change_to_the_sealed_text_is_refused(payload: dict[str, object], data: st.DataObject) -> None:
    """Invariant: every text other than the one written is refused: a character replaced, inserted or
    removed anywhere, the text cut short or extended."""
    document = json.loads(seal(payload, client_secret=SECRET, context=KEY))
    token: str = document["tokens"]
    where = data.draw(st.integers(0, len(token) - 1), label="where")
    char = data.draw(st.characters(), label="char")
    edit = data.draw(st.sampled_from(["replace", "insert", "remove", "cut", "extend"]), label="edit")
    changed = {
        "replace": token[:where] + char + token[where + 1 :],
        "insert": token[:where] + char + token[where:],
        "remove": token[:where] + token[where + 1 :],
        "cut": token[:where],
        "extend": token + char,
    }[edit]
    if changed == token:
        return
    with pytest.raises(SealError) as info:
        open_sealed({**document, "tokens": changed}, client_secret=SECRET, context=KEY)
    assert SECRET not in str(info.value)
    assert not [str(t) for t in payload.values() if isinstance(t, str) and t in str(info.value)]


@pytest.mark.parametrize(
    "value",
    [
        "not json",
        "[1, 2]",
        '{"access_token": "plain"}',
        '{"sealed": 2, "tokens": "gAAAAA"}',
        '{"sealed": 1}',
        '{"sealed": 1, "tokens": 5}',
        '{"sealed": 1, "tokens": "gAAAAAB\\u00e9"}',
    ],
)
def test_what_this_scheme_did_not_write_is_refused(value: str) -> None:
    with pytest.raises(SealError):
        open_sealed(value, client_secret=SECRET, context=KEY)


def test_an_empty_client_secret_seals_nothing() -> None:
    with pytest.raises(SealError, match="no client secret"):
        seal({"access_token": "at"}, client_secret="", context=KEY)
