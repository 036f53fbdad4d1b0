"""The records of one simulated Salesloft team (users, cadences, steps, tasks, people, memberships) and
the rules that change them."""

from __future__ import annotations

import copy
import threading
import time
from datetime import datetime, timezone
from typing import Any

from airflow_provider_salesloft.testing import seeds
from airflow_provider_salesloft.testing.api import (
    ApiError,
    as_list,
    href,
    invalid,
    not_found,
    optional_int,
    required_int,
)

ALREADY_ON_CADENCE_MESSAGE = "is already on this cadence"
#: The definition's words for the ``processing`` state, as a refused change answers them.
PROCESSING_MESSAGE = "Cadence-related changes cannot be made at this time"
DO_NOT_CONTACT_MESSAGE = "is marked do not contact and cannot be added to a cadence"
EMAIL_FIELDS = ("email_address", "personal_email_address", "secondary_email_address")


def now_iso() -> str:
    """The current time as Salesloft writes timestamps."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class SalesloftState:
    """The records of one simulated Salesloft team, and the rules that change them."""

    def __init__(
        self, people: int = 200, *, intentional_duplicates: bool = True, email_lookup: str = "primary"
    ) -> None:
        self.lock = threading.RLock()
        self.intentional_duplicates = intentional_duplicates
        self.email_lookup = email_lookup  # "primary": the filter matches email_address only; "all": any
        self.users = copy.deepcopy(seeds.USERS)
        self.cadences = copy.deepcopy(seeds.CADENCES)
        self.steps = copy.deepcopy(seeds.STEPS)
        self.custom_fields = copy.deepcopy(list(seeds.CUSTOM_FIELDS))
        self.tasks: dict[int, dict[str, Any]] = {
            900 + n: {"id": 900 + n, "state": "scheduled", "user_id": 1} for n in range(50)
        }
        self.people: dict[int, dict[str, Any]] = {}
        self.email_index: dict[str, list[int]] = {}  # primary email, lower-cased -> people
        for n in range(1, people + 1):
            self.add_person(1000 + n, f"person{n}@example.com")
        for special in seeds.SPECIAL_PEOPLE:
            if special["id"] in self.people:  # more than 8,000 regular people: their ids win
                continue
            fields = {key: value for key, value in special.items() if key not in ("id", "email_address")}
            self.add_person(special["id"], special["email_address"], **fields)
        self.next_person_id = max(200_000, max(self.people, default=0))  # people created through the API
        self.memberships: dict[int, dict[str, Any]] = {}
        self.membership_by_pair: dict[tuple[int, int], int] = {}
        self._next_membership_id = 50_000

    def add_person(self, person_id: int, email_address: str, **fields: Any) -> dict[str, Any]:
        """Create a person (tests and seeds), shaped as Salesloft returns people."""
        now = now_iso()
        person = {
            "id": person_id,
            "created_at": now,
            "updated_at": now,
            "first_name": "Test",
            "last_name": f"Person {person_id}",
            "display_name": f"Test Person {person_id}",
            "email_address": email_address,
            "personal_email_address": None,
            "secondary_email_address": None,
            "do_not_contact": False,
            "contact_restrictions": [],
            "crm_id": None,
            "account": None,
            "owner": href("users", 1),
            "custom_fields": {},
            **fields,
        }
        self.people[person_id] = person
        self.index_email(person)
        return person

    def index_email(self, person: dict[str, Any]) -> None:
        """Index a person by primary email (for writes that match on it)."""
        email = str(person.get("email_address") or "").strip().lower()
        if email:
            self.email_index.setdefault(email, []).append(person["id"])

    def unindex_email(self, person: dict[str, Any]) -> None:
        """Forget a person's primary email in the index (before it changes)."""
        email = str(person.get("email_address") or "").strip().lower()
        holders = self.email_index.get(email, [])
        if person["id"] in holders:
            holders.remove(person["id"])

    # -- memberships -------------------------------------------------------------------------------------
    def render_membership(self, membership: dict[str, Any]) -> dict[str, Any]:
        """A membership as the API shows it."""
        settle(membership)
        return {
            "id": membership["id"],
            "added_at": membership["added_at"],
            "created_at": membership["created_at"],
            "updated_at": membership["updated_at"],
            "person_deleted": False,
            "currently_on_cadence": membership["currently_on_cadence"],
            "current_state": membership["current_state"],
            "cadence": href("cadences", membership["cadence_id"]),
            "person": href("people", membership["person_id"]),
            "user": href("users", membership["user_id"]),
            "latest_action": None,
            "counts": {"views": 0, "clicks": 0, "replies": 0, "calls": 0, "sent_emails": 0, "bounces": 0},
        }

    def add_to_cadence(
        self,
        me: int,
        params: dict[str, Any],
        already_answer: str,
        new_state: str = "staged",
        processing_s: float | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Apply POST /v2/cadence_memberships; return (rendered membership, created-or-readded).

        A membership added ``processing`` becomes ``staged`` after ``processing_s`` (None: never)."""
        until = None if processing_s is None else time.monotonic() + processing_s
        person_id = required_int(params, "person_id")
        cadence_id = required_int(params, "cadence_id")
        user_id = optional_int(params, "user_id") or me
        step_id = optional_int(params, "step_id")
        task_id = optional_int(params, "task_id")
        if person_id not in self.people:
            raise not_found()
        cadence = self.cadences.get(cadence_id)
        if cadence is None or user_id not in self.users:
            raise not_found()
        if cadence.get("archived"):
            raise invalid("cadence_id", "cadence is archived and cannot have people added")
        if cadence.get("draft"):
            raise invalid("cadence_id", "cadence is a draft and cannot have people added")
        if self.people[person_id].get("do_not_contact"):
            raise invalid("person_id", DO_NOT_CONTACT_MESSAGE)
        if user_id != me and not cadence["team_cadence"] and cadence["owner_id"] != user_id:
            raise ApiError(
                403,
                {"error": "You do not have permission to add people to this cadence on behalf of this user"},
            )
        if not cadence["team_cadence"] and cadence["owner_id"] != user_id:
            raise ApiError(403, {"error": "The cadence must be owned by the user or be a team cadence"})
        if step_id is not None and self.steps.get(step_id, {}).get("cadence_id") != cadence_id:
            raise invalid("step_id", "does not belong to this cadence")
        if task_id is not None and task_id not in self.tasks:
            raise not_found()
        key = (person_id, cadence_id)
        existing_id = self.membership_by_pair.get(key)
        now = now_iso()
        if existing_id is not None:
            existing = self.memberships[existing_id]
            if existing["currently_on_cadence"]:
                if already_answer == "422":
                    raise invalid("person_id", ALREADY_ON_CADENCE_MESSAGE)
                return self.render_membership(existing), False
            existing.update(
                added_at=now,
                updated_at=now,
                currently_on_cadence=True,
                current_state=new_state,
                user_id=user_id,
                processing_until=until,
            )
            membership = existing
        else:
            self._next_membership_id += 1
            membership = {
                "id": self._next_membership_id,
                "person_id": person_id,
                "cadence_id": cadence_id,
                "user_id": user_id,
                "added_at": now,
                "created_at": now,
                "updated_at": now,
                "currently_on_cadence": True,
                "current_state": new_state,
                "processing_until": until,
            }
            self.memberships[membership["id"]] = membership
            self.membership_by_pair[key] = membership["id"]
        if task_id is not None:
            self.tasks[task_id]["state"] = "completed"
        return self.render_membership(membership), True

    def remove_membership(
        self, membership_id: int, processing_refuses: bool = False, refusals: int | None = None
    ) -> None:
        """Apply DELETE /v2/cadence_memberships/{id}: refused while ``processing`` if
        ``processing_refuses`` (after ``refusals`` refusals, the membership is ``staged``)."""
        membership = self.memberships.get(membership_id)
        if membership is None:
            raise not_found()
        settle(membership)
        if processing_refuses and membership["current_state"] == "processing":
            membership["refused"] = membership.get("refused", 0) + 1
            if refusals is None or membership["refused"] <= refusals:
                raise invalid("base", PROCESSING_MESSAGE)
            membership.update(current_state="staged", processing_until=None)
        self.end_membership(membership)

    def end_membership(self, membership: dict[str, Any]) -> None:
        """Take a membership's person off its cadence."""
        # A person taken off before any step acted on them ends "removed_no_action".
        untouched = membership["current_state"] in ("staged", "processing")
        state = "removed_no_action" if untouched else "removed"
        membership.update(currently_on_cadence=False, current_state=state, updated_at=now_iso())

    def remove_from_every_cadence(self, person_id: int) -> None:
        """Take a person off every cadence they are on (a ``do_not_contact`` write does)."""
        for membership in self.memberships.values():
            if membership["person_id"] == person_id and membership["currently_on_cadence"]:
                self.end_membership(membership)

    def list_memberships(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Filter and sort memberships as GET /v2/cadence_memberships does."""
        items = list(self.memberships.values())
        for name in ("person_id", "cadence_id"):
            wanted = optional_int(params, name)
            if wanted is not None:
                items = [m for m in items if m[name] == wanted]
        on = params.get("currently_on_cadence")
        if on is not None:
            flag = str(on).lower() == "true"
            items = [m for m in items if m["currently_on_cadence"] == flag]
        ids = params.get("ids[]")
        if ids:
            wanted_ids = {int(i) for i in as_list(ids)}
            items = [m for m in items if m["id"] in wanted_ids]
        for op in ("gt", "gte", "lt", "lte"):
            bound = params.get(f"updated_at[{op}]")
            if bound is not None:
                items = [m for m in items if compare_timestamps(m["updated_at"], op, str(bound))]
        sort_by = params.get("sort_by") or "updated_at"
        if sort_by not in ("added_at", "updated_at"):
            raise invalid("sort_by", "is not a sortable field")
        descending = str(params.get("sort_direction") or "DESC").upper() == "DESC"
        items.sort(key=lambda m: (m[sort_by], m["id"]), reverse=descending)
        return [self.render_membership(m) for m in items]

    def find_people(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Filter people as GET /v2/people does (``email_addresses[]``, ``ids[]``), by id."""
        people = list(self.people.values())
        emails = params.get("email_addresses[]")
        if emails:
            wanted = {str(e).strip().lower() for e in as_list(emails)}
            if self.email_lookup == "all":
                people = [
                    p for p in people if any(str(p.get(f) or "").lower() in wanted for f in EMAIL_FIELDS)
                ]
            else:  # the primary address, through its index
                people = [self.people[i] for email in wanted for i in self.email_index.get(email, ())]
        ids = params.get("ids[]")
        if ids:
            wanted_ids = {int(i) for i in as_list(ids) if str(i).isdigit()}
            people = [p for p in people if p["id"] in wanted_ids]
        return sorted(people, key=lambda p: p["id"])

    def list_cadences(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Filter cadences as GET /v2/cadences does (``name[]``, ``team_cadence``, ``archived``): "Excluding
        [archived] will result in both archived and unarchived Cadences to return".

        Returns the internal records (render them with :func:`seeds.render_cadence`)."""
        cadences = list(self.cadences.values())
        if params.get("archived") is not None:
            archived = str(params["archived"]).lower() == "true"
            cadences = [c for c in cadences if bool(c.get("archived")) == archived]
        names = params.get("name[]")
        if names:
            cadences = [c for c in cadences if c["name"] in set(as_list(names))]
        if params.get("team_cadence") is not None:
            flag = str(params["team_cadence"]).lower() == "true"
            cadences = [c for c in cadences if c["team_cadence"] == flag]
        return cadences

    def list_custom_fields(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Filter custom fields as GET /v2/custom_fields does (``field_type``)."""
        kind = params.get("field_type")
        return [dict(f) for f in self.custom_fields if kind is None or f["field_type"] == kind]

    def list_steps(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Filter steps as GET /v2/steps does (``cadence_id``), shaped as the API shows them."""
        steps = list(self.steps.values())
        wanted_cadence = optional_int(params, "cadence_id")
        if wanted_cadence is not None:
            steps = [s for s in steps if s["cadence_id"] == wanted_cadence]
        return [
            {"id": s["id"], "step_number": s["step_number"], "cadence": href("cadences", s["cadence_id"])}
            for s in steps
        ]

    def record(self, kind: str, ident: int) -> dict[str, Any]:
        """One person, cadence or membership by id (404 when missing)."""
        table: dict[int, dict[str, Any]] = {
            "people": self.people,
            "cadences": self.cadences,
            "cadence_memberships": self.memberships,
        }[kind]
        found = table.get(ident)
        if found is None:
            raise not_found()
        if kind == "cadence_memberships":
            return self.render_membership(found)
        return seeds.render_cadence(found) if kind == "cadences" else found

    def clear_memberships(self) -> None:
        """Take everyone off every cadence and forget the memberships."""
        self.memberships.clear()
        self.membership_by_pair.clear()


def settle(membership: dict[str, Any]) -> None:
    """A ``processing`` membership whose processing time is over becomes ``staged``."""
    until = membership.get("processing_until")
    if membership["current_state"] == "processing" and until is not None and time.monotonic() >= until:
        membership.update(current_state="staged", processing_until=None, updated_at=now_iso())


def compare_timestamps(value: str, op: str, bound: str) -> bool:
    """``value <op> bound`` for two ISO timestamps (``op``: gt, gte, lt, lte)."""
    left, right = datetime.fromisoformat(value), datetime.fromisoformat(bound.replace("Z", "+00:00"))
    return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[op]
