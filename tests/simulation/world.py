"""A random world for the simulation harness: who Salesloft holds, who is on the cadence, what the input says,
how the server misbehaves and which operator runs, all drawn by hypothesis from one seed (and shrunk by it
when an invariant breaks).

A :class:`World` prints as Python: the repr of a failing one is a ready-to-paste regression test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

#: Regular people of the simulator (``person<n>@example.com``, ids 1001...) in every world.
REGULAR_PEOPLE = 30
#: The cadence every world syncs (a team cadence of the simulator; its one step is 110).
CADENCE = 11
#: People a world adds to the simulator's: id -> (email, fields). Shared emails, do-not-contact, restricted.
EXTRA_PEOPLE: dict[int, tuple[str, dict[str, Any]]] = {
    2001: ("person3@example.com", {}),  # shares person 1003's email
    2002: ("dnc2002@example.com", {"do_not_contact": True}),
    2003: ("quiet2003@example.com", {"contact_restrictions": ["call", "email", "message"]}),
    2004: ("nocall2004@example.com", {"contact_restrictions": ["call"]}),
    2005: ("SHARED@example.com", {}),  # a third person on the simulator's shared@example.com
}
EXISTING_IDS = [*range(1001, 1001 + REGULAR_PEOPLE), *range(9001, 9008), *EXTRA_PEOPLE]
MISSING_IDS = [1500, 1777, 8000]


def _spellings(email: str) -> st.SearchStrategy[str]:
    """An email as warehouses spell it: odd case, spaces around it."""
    return st.sampled_from([email, email.upper(), f"  {email} ", email.title(), f"{email}\t"])


def _existing_email() -> st.SearchStrategy[str]:
    emails = [f"person{n}@example.com" for n in range(1, REGULAR_PEOPLE + 1)]
    emails += ["shared@example.com", "optout1@example.com", "unreachable@example.com", "no-calls@example.com"]
    emails += ["primary7@example.com", "personal7@home.example", "second7@example.org"]
    emails += [email for email, _ in EXTRA_PEOPLE.values()]
    return st.sampled_from(emails).flatmap(_spellings)


_new_email = st.integers(1, 12).map(lambda n: f"new{n}@example.com").flatmap(_spellings)
_invalid_rows = st.sampled_from(
    [
        {"person_id": "abc"},
        {"email": "not-an-email"},
        {},
        {"person_id": 1003, "step_id": "x"},
        {"person_id": 1004, "cadence_id": "eleven"},
        {"email": "person5@example.com", "user_id": -2},
        {"person_id": -1},
        "not a mapping",
    ]
)


def rows_strategy(creates: bool) -> st.SearchStrategy[list[Any]]:
    """Input rows: ids (existing and missing), emails (existing, shared, new), invalid rows, repeats."""
    one = st.one_of(
        st.sampled_from(EXISTING_IDS).map(lambda ident: {"person_id": ident}),
        st.sampled_from(EXISTING_IDS).map(lambda ident: {"person_id": str(ident)}),
        st.sampled_from(MISSING_IDS).map(lambda ident: {"person_id": ident}),
        _existing_email().map(lambda email: {"email": email}),
        st.tuples(st.sampled_from(EXISTING_IDS), _existing_email()).map(
            lambda pair: {"person_id": pair[0], "email": pair[1]}
        ),
        _new_email.map(lambda email: {"email": email, "first_name": "New"}),
        st.sampled_from(EXISTING_IDS).map(
            lambda ident: {"person_id": ident, "step_id": 100}
        ),  # wrong cadence
        _invalid_rows,
    )
    rows = st.lists(one, max_size=40)
    # Repeats: some rows again, later in the input.
    return rows.flatmap(
        lambda base: (
            st.lists(st.sampled_from(base), max_size=5).map(lambda again: base + again)
            if base
            else st.just(base)
        )
    )


@dataclass
class World:
    """One world: the server's people and faults, the cadence's members, the operator and its input."""

    operation: str  # "add", "mirror" or "upsert"
    rows: list[Any]
    members: dict[int, int] = field(default_factory=dict)  # person -> user on the cadence before the run
    faults: dict[str, Any] = field(default_factory=dict)
    email_lookup: str = "primary"
    options: dict[str, Any] = field(default_factory=dict)  # the operator's arguments
    window_s: float = 1.0  # the rate-limit window (PACED_WINDOW_S and longer: the pace is checked strictly)


FAULTS = st.fixed_dictionaries(
    {},
    optional={
        "page_size_cap": st.sampled_from([1, 3, 7, 90]),
        "omit_paging": st.just(True),
        "lost_response_share": st.sampled_from([0.2, 0.5]),
        "error_503_share": st.sampled_from([0.05, 0.2]),
        "drop_share": st.just(0.1),
        "latency_ms": st.just((0.0, 15.0)),
        "lost_result_share": st.sampled_from([0.3, 1.0]),
        "add_state": st.just("processing"),
        "already_on_cadence": st.just("200"),
        "rate_limit": st.sampled_from([25, 60]),
        "rate_limit_headers": st.just(False),  # a proxy strips them: the pacer learns from 429s alone
        "malformed_add_share": st.just(0.3),
        "max_url_bytes": st.just(400),  # lookups refused as too long (414): split
    },
)


#: Rate limits (per 1-s window) that even a run of a few rows reaches: a server without rate-limit headers
#: has one of them, else nothing would tell the pacer anything (no world reaches the simulator's 600).
REACHED_LIMITS = st.sampled_from([5, 10, 25])


@st.composite
def worlds(draw: st.DrawFn, headerless: bool = False) -> World:
    """A random world (``headerless``: always one whose server sends no rate-limit headers)."""
    operation = draw(st.sampled_from(["add", "mirror", "mirror", "upsert"]))
    creates = operation != "upsert" and draw(st.booleans())
    rows = draw(rows_strategy(creates))
    members = draw(
        st.dictionaries(
            st.sampled_from([ident for ident in EXISTING_IDS if ident not in (9001, 9002, 2002)]),
            st.sampled_from([1, 2]),
            max_size=25,
        )
    )
    options: dict[str, Any] = {
        "max_concurrency": draw(st.sampled_from([1, 3])),
        "chunk_size": draw(st.sampled_from([4, 1000])),
        "max_failed_rows": draw(st.sampled_from([0, 1000])),
    }
    if operation == "upsert":
        options.update(
            bulk_threshold=draw(st.sampled_from([1, 1000])),
            upsert_key=draw(st.sampled_from(["email_address", "id"])),
        )
    else:
        options.update(
            on_duplicate_email=draw(st.sampled_from(["skip", "most_recently_updated"])),
            create_missing_people=creates,
            bulk_threshold=draw(st.sampled_from([1, 1000])),
        )
    if operation == "mirror":
        options.update(
            max_removals=draw(st.sampled_from([1.0, 0.5, 2, 1000])),
            allow_empty_input=draw(st.booleans()),
            remove_only_added_by=draw(st.sampled_from([None, 1])),
        )
    faults = draw(FAULTS)
    if headerless or (faults.get("rate_limit_headers") is False and "rate_limit" not in faults):
        faults.update(rate_limit_headers=False, rate_limit=draw(REACHED_LIMITS))
    return World(
        operation=operation,
        rows=rows,
        members=members,
        faults=faults,
        email_lookup=draw(st.sampled_from(["primary", "all"])),
        options=options,
    )
