"""Checks made once per run, before any write, of what the rows and arguments point at: the cadence (it
exists, is not archived, is not a draft), step ids (they belong to their cadence) and custom fields (the
team has them). A wrong default cadence fails the task with an error naming it; a row pointing at a wrong
one is ``invalid`` with the reason, instead of failing one write at a time.

Salesloft's API definition: ``GET /v2/cadences/{id}`` gives ``archived_at`` and ``draft``;
``GET /v2/cadences`` "Excluding [archived] will result in both archived and unarchived Cadences to
return", so a cadence found by a list is not known to be usable; ``GET /v2/steps`` filters by
``cadence_id``; ``GET /v2/custom_fields`` lists the team's custom fields ("Custom fields are defined by the
user's team").
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from airflow_provider_salesloft.exceptions import (
    SalesloftError,
    SalesloftNotFoundError,
    SalesloftPermissionError,
)

if TYPE_CHECKING:
    from airflow_provider_salesloft.hooks.salesloft import SalesloftHook


class SalesloftUnusableCadenceError(SalesloftError):
    """The operator's cadence cannot take people (missing, archived or a draft); nothing was written."""


class Prechecks:
    """What one run checked, each thing asked once (thread-safe).

    :param hook: the Salesloft hook.
    """

    def __init__(self, hook: SalesloftHook) -> None:
        self.hook = hook
        self._lock = threading.Lock()
        self._cadences: dict[int, str | None] = {}
        self._steps: dict[int, set[int]] = {}
        self._custom_fields: dict[str, str] | None = None
        self._custom_fields_hidden = False

    def cadence_problem(self, cadence_id: int) -> str | None:
        """Why people cannot be added to the cadence, or None."""
        with self._lock:
            if cadence_id not in self._cadences:
                self._cadences[cadence_id] = self._ask_cadence(cadence_id)
            return self._cadences[cadence_id]

    def require_cadence(self, cadence_id: int | None, argument: str = "cadence_id") -> None:
        """Fail before any write when the operator's own cadence cannot take people."""
        if cadence_id is None:
            return
        problem = self.cadence_problem(cadence_id)
        if problem is not None:
            raise SalesloftUnusableCadenceError(f"{argument}={cadence_id}: {problem}; nothing was written")

    def step_problem(self, cadence_id: int, step_id: int | None) -> str | None:
        """Why ``step_id`` cannot be used on the cadence (it is not one of its steps), or None."""
        if step_id is None:
            return None
        with self._lock:
            if cadence_id not in self._steps:
                self._steps[cadence_id] = {
                    int(step["id"])
                    for step in self.hook.iter_steps(cadence_id)
                    if isinstance(step.get("id"), int)
                }
            steps = self._steps[cadence_id]
        if step_id in steps:
            return None
        listed = ", ".join(map(str, sorted(steps))) or "none"
        return f"step {step_id} is not a step of cadence {cadence_id} (its steps: {listed})"

    def row_problem(self, cadence_id: int, step_id: int | None = None) -> str | None:
        """Why a row's cadence or step cannot be used, or None."""
        return self.cadence_problem(cadence_id) or self.step_problem(cadence_id, step_id)

    def team_custom_fields(self, fields: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
        """``fields`` with each ``custom_fields`` name spelled as the team's field is (a name given in
        another case, ``segment`` for ``Segment``, would otherwise write a field beside the team's), and why
        they cannot be written (a name the team has no custom field for, or two names for one field), or
        None. Names compare case-insensitively; unchanged when the key may not list custom fields."""
        checked = dict(fields)
        custom = fields.get("custom_fields")
        if not isinstance(custom, Mapping) or not custom:
            return checked, None
        known = self._known_custom_fields()
        if known is None:
            return checked, None
        unknown = sorted(str(name) for name in custom if _spelled(known, name) is None)
        if unknown:
            return checked, (
                f"custom field{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
                "not defined for people in Salesloft (GET /v2/custom_fields): create it there or fix "
                "the field_map"
            )
        spelled = {_spelled(known, name): value for name, value in custom.items()}
        if len(spelled) < len(custom):
            return checked, (
                f"custom fields {', '.join(map(repr, sorted(map(str, custom))))} name the same Salesloft "
                "field in different cases: map only one column to it"
            )
        checked["custom_fields"] = spelled
        return checked, None

    def _known_custom_fields(self) -> dict[str, str] | None:
        """The team's person custom fields, by name and lower-cased name (see :func:`_names`); None when the
        key may not list them (the check is then left to Salesloft's answer to each write)."""
        with self._lock:
            if self._custom_fields is None and not self._custom_fields_hidden:
                try:
                    self._custom_fields = _names(self.hook.iter_custom_fields("person"))
                except SalesloftPermissionError as error:
                    self._custom_fields_hidden = True
                    self.hook.log.warning("Custom fields not checked before writing: %s", error)
            return self._custom_fields

    def _ask_cadence(self, cadence_id: int) -> str | None:
        try:
            cadence = self.hook.get_cadence(cadence_id)
        except SalesloftNotFoundError as error:
            return f"cadence {cadence_id} not found or not visible to the connection's user: {error.message}"
        name = f"cadence {cadence_id} ({cadence.get('name')!r})"
        if cadence.get("archived_at"):
            return f"{name} is archived (since {cadence['archived_at']}): Salesloft adds nobody to it"
        if cadence.get("draft"):
            return f"{name} is a draft: publish it in Salesloft before adding people"
        return None


T = TypeVar("T")


def before_first(items: Iterable[T], check: Callable[[], None]) -> Iterator[T]:
    """``items``, with ``check`` run once the first item is read and before it is handed out (input errors
    are reported before pre-check requests; nothing is written before the pre-check)."""
    checked = False
    for item in items:
        if not checked:
            check()
            checked = True
        yield item


def _names(fields: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Each custom field's name and lower-cased name -> its name (an exact name wins over another field's
    lower-cased one)."""
    names = [str(field["name"]) for field in fields if field.get("name")]
    known = {name: name for name in names}
    for name in names:
        known.setdefault(name.lower(), name)
    return known


def _spelled(known: Mapping[str, str], name: Any) -> str | None:
    """The team's spelling of a custom field ``name`` (exactly, else ignoring case), or None."""
    return known.get(str(name)) or known.get(str(name).lower())
