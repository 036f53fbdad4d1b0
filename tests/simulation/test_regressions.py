"""Regression tests: the bugs of issue #20 (items 1-4) as examples, and every world the harness has found
(paste ``make fuzz``'s output at the end)."""

from __future__ import annotations

from typing import Any

from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator, UpsertPeopleOperator
from airflow_provider_salesloft.testing import SalesloftSimulator

from .harness import PACED_WINDOW_S, Run, check_world, execute
from .world import EXISTING_IDS, World


def put_on(sim: SalesloftSimulator, people: Any, cadence: int = 11) -> None:
    for person in people:
        sim.state.add_to_cadence(1, {"person_id": person, "cadence_id": cadence}, "422")


def mirror(sim: SalesloftSimulator, rows: list[dict[str, Any]], **options: Any) -> Run:
    arguments = {"cadence_id": 11, "mode": "mirror", "max_removals": 1.0, **options}
    return execute(sim, SyncCadenceMembershipsOperator, rows=rows, **arguments)


def test_item_1_a_shared_email_keeps_everyone_it_matches_on_the_cadence() -> None:
    with SalesloftSimulator(people=20) as sim:
        put_on(sim, [9005, *range(1001, 1011)])
        run = mirror(sim, [{"email": "shared@example.com"}] + [{"person_id": p} for p in range(1001, 1011)])

        assert run.error is None and run.summary is not None
        assert (run.summary["ambiguous_email"], run.summary["removed"]) == (1, 0)
        assert 9005 in sim.memberships_on(11)


def test_item_2_short_pages_with_a_next_page_are_all_read() -> None:
    with SalesloftSimulator(people=120, page_size_cap=90) as sim:
        put_on(sim, range(1001, 1101))
        run = mirror(sim, [{"person_id": p} for p in range(1001, 1101)])

        assert run.error is None and run.summary is not None
        assert (run.summary["person_not_found"], run.summary["removed"]) == (0, 0)
        assert run.summary["already_on_cadence"] == 100
        assert len(sim.memberships_on(11)) == 100


def test_short_pages_without_paging_metadata_are_all_read() -> None:
    with SalesloftSimulator(people=120, page_size_cap=90, omit_paging=True) as sim:
        put_on(sim, range(1001, 1101))
        run = mirror(sim, [{"person_id": p} for p in range(1001, 1101)])

        assert run.summary is not None and (run.summary["person_not_found"], run.summary["removed"]) == (0, 0)
        assert len(sim.memberships_on(11)) == 100


def test_item_3_an_invalid_row_stops_the_mirror_before_any_removal() -> None:
    with SalesloftSimulator(people=30) as sim:
        put_on(sim, range(1001, 1021))
        rows = [{"person_id": p} for p in range(1001, 1019)] + [{"person_id": 1019, "step_id": "abc"}]
        run = mirror(sim, rows, max_failed_rows=0)

        assert run.error is not None and run.summary is not None
        assert run.summary["removed"] == 0
        assert "1 rows were invalid" in run.summary["mirror_refused"]
        assert "mirror refused, nothing removed" in str(run.error)
        assert sorted(sim.memberships_on(11)) == list(range(1001, 1021))  # 1020 too: nothing removed


def test_failed_adds_beyond_max_failed_rows_stop_the_mirror() -> None:
    with SalesloftSimulator(people=30) as sim:
        put_on(sim, range(1001, 1011))
        rows = [{"person_id": p} for p in range(1001, 1010)] + [
            {"person_id": 1020, "cadence_id": 12}
        ]  # 12: another user's own cadence: the add fails (403), the row is valid
        run = mirror(sim, rows, max_failed_rows=0)

        assert run.summary is not None and (run.summary["failed"], run.summary["removed"]) == (1, 0)
        assert "max_failed_rows=0" in run.summary["mirror_refused"]
        assert 1010 in sim.memberships_on(11)

        allowed = mirror(sim, rows, max_failed_rows=1)  # within the limit: the one left out goes
        assert allowed.summary is not None and allowed.summary["removed"] == 1
        assert 1010 not in sim.memberships_on(11)


def test_item_4_bulk_records_without_a_result_are_failed_and_looked_up() -> None:
    with SalesloftSimulator(people=10, lost_result_share=0.33, seed=4) as sim:
        rows = [{"email": f"new{n}@example.com", "first_name": "New"} for n in range(150)]
        run = execute(sim, UpsertPeopleOperator, rows=rows, bulk_threshold=1, poll_interval_s=0.05)

        lost = sim.stats.lost_results
        assert lost > 0 and run.summary is not None and run.error is not None  # max_failed_rows=0
        assert (run.summary["created"], run.summary["failed"]) == (150 - lost, lost)
        assert run.summary["samples"]["failed"][0]["reason"] == "Salesloft returned no result for this record"
        assert None not in run.summary["person_ids"]  # the people exist: found by email


def test_a_world_with_every_kind_of_row_keeps_every_promise() -> None:
    check_world(
        World(
            operation="mirror",
            rows=[
                {"email": " SHARED@example.com "},
                {"person_id": "1003"},
                {"person_id": 1500},
                {"email": "Person4@Example.com", "person_id": 1005},
                {"person_id": 1004, "cadence_id": "eleven"},
                {"person_id": 9001},
                {"email": "new1@example.com"},
                {"person_id": "1003"},
            ],
            members={9005: 1, 1003: 1, 1004: 2, 1006: 1, 1007: 1},
            faults={"page_size_cap": 3, "lost_response_share": 0.3},
            options={"max_failed_rows": 1000, "max_removals": 1000, "create_missing_people": True},
        )
    )


# -- worlds make fuzz found ----------------------------------------------------------------------------------
def test_world_58b39c1f() -> None:
    """A lost answer to an upsert that updated a person created moments before the run (the simulator's
    people were "new") was counted as a create: the harness's people are now old, as real ones are."""
    check_world(
        World(
            operation="upsert",
            rows=[{"email": "person5@example.com", "user_id": -2}],
            members={},
            faults={"lost_response_share": 0.2},
            email_lookup="primary",
            options={
                "max_concurrency": 1,
                "chunk_size": 4,
                "max_failed_rows": 0,
                "bulk_threshold": 1000,
                "upsert_key": "email_address",
            },
        )
    )


def test_world_removal_in_doubt() -> None:
    """A DELETE whose answer was lost and whose check got a 503 is reported ``removal_failed`` (in doubt)
    though Salesloft carried it out: the person was not named, and the count says so; the harness allowed
    for it since."""
    check_world(
        World(
            operation="mirror",
            rows=[
                {"person_id": 9006, "step_id": 100},
                {"email": "NEW6@EXAMPLE.COM", "first_name": "New"},
                {"email": "NEW6@EXAMPLE.COM", "first_name": "New"},
                {"email": "NEW6@EXAMPLE.COM", "first_name": "New"},
                {"email": "NEW6@EXAMPLE.COM", "first_name": "New"},
                {"person_id": 9006, "step_id": 100},
                {"email": "NEW6@EXAMPLE.COM", "first_name": "New"},
            ],
            members={
                1005: 1,
                1025: 2,
                1018: 1,
                2004: 2,
                1026: 2,
                1023: 1,
                1015: 2,
                1028: 2,
                2003: 1,
                1030: 2,
                9007: 1,
                1013: 2,
                1019: 2,
                1016: 2,
                1021: 1,
            },
            faults={
                "already_on_cadence": "200",
                "rate_limit_headers": False,
                "omit_paging": True,
                "page_size_cap": 3,
                "error_503_share": 0.2,
                "add_state": "processing",
                "lost_result_share": 0.3,
                "max_url_bytes": 400,
                "malformed_add_share": 0.3,
                "latency_ms": (0.0, 15.0),
                "rate_limit": 60,
                "drop_share": 0.1,
                "lost_response_share": 0.5,
            },
            email_lookup="primary",
            options={
                "max_concurrency": 3,
                "chunk_size": 4,
                "max_failed_rows": 1000,
                "on_duplicate_email": "most_recently_updated",
                "create_missing_people": True,
                "bulk_threshold": 1,
                "max_removals": 1000,
                "allow_empty_input": True,
                "remove_only_added_by": None,
            },
        )
    )


def paced_world(**faults: Any) -> World:
    """A sync that needs several windows of a small rate limit: 37 people by id, 12 created by email."""
    rows: list[Any] = [{"person_id": ident} for ident in EXISTING_IDS]
    rows += [{"email": f"new{n}@example.com", "first_name": "New"} for n in range(1, 13)]
    return World(
        operation="add",
        rows=rows,
        faults={"rate_limit": 25, **faults},
        window_s=PACED_WINDOW_S,
        options={
            "max_concurrency": 3,
            "chunk_size": 4,
            "max_failed_rows": 1000,
            "on_duplicate_email": "skip",
            "create_missing_people": True,
            "bulk_threshold": 1000,
        },
    )


def test_a_run_spans_only_the_windows_its_cost_needs_with_rate_limit_headers() -> None:
    check_world(paced_world())


def test_a_run_spans_only_the_windows_its_cost_needs_learning_the_limit_from_429s() -> None:
    check_world(paced_world(rate_limit_headers=False))


def test_a_run_spans_only_the_windows_its_cost_needs_through_faults() -> None:
    check_world(paced_world(error_503_share=0.2, lost_response_share=0.2, page_size_cap=3))


def test_world_6b103944() -> None:
    """Found by a 20-minute ``make fuzz``: a mirror of empty input over 17 members sends one removal each;
    the request bound counted no removals (19 requests, 18 allowed)."""
    check_world(
        World(
            operation="mirror",
            rows=[],
            members={person: 1 for person in range(1001, 1018)},
            faults={},
            email_lookup="primary",
            options={
                "max_concurrency": 1,
                "chunk_size": 4,
                "max_failed_rows": 0,
                "on_duplicate_email": "skip",
                "create_missing_people": False,
                "bulk_threshold": 1,
                "max_removals": 1.0,
                "allow_empty_input": True,
                "remove_only_added_by": None,
            },
            window_s=1.0,
        )
    )


def test_world_da246381() -> None:
    """Found by a 20-minute ``make fuzz``: a just-created person's add lost its answer and every check of it
    got a 503, so the row ended ``created`` in doubt while Salesloft had added them; the harness counted
    in-doubt removals but not in-doubt adds."""
    check_world(
        World(
            operation="mirror",
            rows=[
                {"person_id": 1020},
                {"person_id": 1500},
                {"person_id": "abc"},
                {"person_id": 1001},
                {"person_id": 1003},
                {"email": "new10@example.com", "first_name": "New"},
                {"person_id": 1015},
                {"person_id": "abc"},
                {"person_id": 2005},
                {"person_id": 1001},
                {"person_id": 1001},
                {"person_id": 1001},
                {"person_id": 1029},
                {"person_id": 2004},
                {"email": "person8@example.com"},
                {"person_id": 1020},
                {"person_id": 1020},
                {"person_id": 1020},
                {"email": "new10@example.com", "first_name": "New"},
                {"person_id": 1020},
            ],
            members={9004: 1},
            faults={
                "lost_result_share": 0.3,
                "omit_paging": True,
                "page_size_cap": 1,
                "max_url_bytes": 400,
                "drop_share": 0.1,
                "rate_limit_headers": False,
                "malformed_add_share": 0.3,
                "latency_ms": (0.0, 15.0),
                "rate_limit": 60,
                "already_on_cadence": "200",
                "add_state": "processing",
                "error_503_share": 0.2,
                "lost_response_share": 0.5,
            },
            email_lookup="primary",
            options={
                "max_concurrency": 1,
                "chunk_size": 4,
                "max_failed_rows": 0,
                "on_duplicate_email": "skip",
                "create_missing_people": True,
                "bulk_threshold": 1000,
                "max_removals": 1.0,
                "allow_empty_input": True,
                "remove_only_added_by": None,
            },
            window_s=1.0,
        )
    )
