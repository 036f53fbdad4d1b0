"""What a new simulator holds: users, cadences, steps, tasks, and people of every kind real data has."""

from __future__ import annotations

from typing import Any

USERS: dict[int, dict[str, Any]] = {
    1: {"id": 1, "name": "Ada Admin", "first_name": "Ada", "last_name": "Admin", "email": "ada@example.com"},
    2: {"id": 2, "name": "Bo Rep", "first_name": "Bo", "last_name": "Rep", "email": "bo@example.com"},
    3: {"id": 3, "name": "Cy Rep", "first_name": "Cy", "last_name": "Rep", "email": "cy@example.com"},
}
#: Cadences as kept internally (``owner_id``, ``archived``); :func:`render_cadence` shows them as the API.
CADENCES: dict[int, dict[str, Any]] = {
    10: {"id": 10, "name": "Inbound Leads", "team_cadence": True, "owner_id": 1},
    11: {"id": 11, "name": "Outbound Q4", "team_cadence": True, "owner_id": 1},
    12: {"id": 12, "name": "Bo's Personal", "team_cadence": False, "owner_id": 2},
    13: {"id": 13, "name": "Archived Campaign", "team_cadence": True, "owner_id": 1, "archived": True},
    14: {"id": 14, "name": "Draft Sequence", "team_cadence": True, "owner_id": 1, "draft": True},
}
#: The team's custom fields (``GET /v2/custom_fields``): person fields a write may set.
CUSTOM_FIELDS: tuple[dict[str, Any], ...] = (
    {"id": 1, "name": "Segment", "field_type": "person", "value_type": "text"},
    {"id": 2, "name": "Lead Score", "field_type": "person", "value_type": "text"},
    {"id": 3, "name": "Region", "field_type": "company", "value_type": "text"},
)
STEPS: dict[int, dict[str, Any]] = {
    100: {"id": 100, "cadence_id": 10, "step_number": 1},
    101: {"id": 101, "cadence_id": 10, "step_number": 2},
    110: {"id": 110, "cadence_id": 11, "step_number": 1},
    120: {"id": 120, "cadence_id": 12, "step_number": 1},
}
#: People every simulator holds besides ``person<n>@example.com``: the kinds real warehouses meet.
SPECIAL_PEOPLE: tuple[dict[str, Any], ...] = (
    {"id": 9001, "email_address": "optout1@example.com", "do_not_contact": True},
    {"id": 9002, "email_address": "optout2@example.com", "do_not_contact": True},
    {
        "id": 9003,
        "email_address": "unreachable@example.com",
        "contact_restrictions": ["call", "email", "message"],
    },
    {"id": 9004, "email_address": "no-calls@example.com", "contact_restrictions": ["call"]},
    # Intentional duplicates by email (a team setting): two people share one address.
    {"id": 9005, "email_address": "shared@example.com", "updated_at": "2024-01-01T00:00:00.000000+00:00"},
    {"id": 9006, "email_address": "Shared@Example.com", "updated_at": "2025-06-01T00:00:00.000000+00:00"},
    {
        "id": 9007,
        "email_address": "primary7@example.com",
        "personal_email_address": "Personal7@Home.example",
        "secondary_email_address": "second7@example.org",
    },
)


def render_cadence(cadence: dict[str, Any]) -> dict[str, Any]:
    """A cadence as GET /v2/cadences shows it."""
    from airflow_provider_salesloft.testing.api import href

    return {
        "id": cadence["id"],
        "name": cadence["name"],
        "created_at": "2024-01-01T00:00:00.000000+00:00",
        "updated_at": "2024-01-01T00:00:00.000000+00:00",
        "archived_at": "2024-06-01T00:00:00.000000+00:00" if cadence.get("archived") else None,
        "team_cadence": cadence["team_cadence"],
        "shared": cadence["team_cadence"],
        "draft": bool(cadence.get("draft")),
        "owner": href("users", cadence["owner_id"]),
        "tags": [],
    }
