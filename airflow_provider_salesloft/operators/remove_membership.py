"""Take one person off a cadence: ``RemoveCadenceMembershipOperator``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from airflow_provider_salesloft.exceptions import SalesloftNotOnCadenceError
from airflow_provider_salesloft.operators.base import SalesloftBaseOperator
from airflow_provider_salesloft.outcomes import RunOutcomes
from airflow_provider_salesloft.validation import check_choice, coerce_id, coerce_optional_id

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

IfNotOnCadence = Literal["skip", "fail"]
_NOT_ON_CHOICES = ("skip", "fail")


class RemoveCadenceMembershipOperator(SalesloftBaseOperator):
    """Take a person off a Salesloft cadence and hand the membership, as it is after removal, downstream.

    Give ``membership_id``, or ``person_id`` and ``cadence_id`` (all templated; ints, strings of digits or
    ``XComArg``; validated in ``execute()`` before any request). A removal whose answer was lost is checked
    by looking the membership up, so retries and re-runs are safe.

    XCom: ``return_value`` is the membership after removal as Salesloft returns it; ``membership_id``;
    ``membership_state`` (``removed``, ``removed_no_action``, or ``not_on_cadence``). For someone not on the
    cadence, the last membership they had (and no ``membership_id`` if they never were on it).

    :param membership_id: the membership to end (templated).
    :param person_id: with ``cadence_id``: the person to take off (templated).
    :param cadence_id: with ``person_id``: the cadence to take them off (templated).
    :param if_not_on_cadence: ``"skip"`` (default): someone not on the cadence is not an error (a warning);
        ``"fail"``: fail the task.
    """

    template_fields: Sequence[str] = (
        *SalesloftBaseOperator.template_fields,
        "membership_id",
        "person_id",
        "cadence_id",
    )

    def __init__(
        self,
        *,
        membership_id: Any = None,
        person_id: Any = None,
        cadence_id: Any = None,
        if_not_on_cadence: IfNotOnCadence = "skip",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (membership_id is None) == (person_id is None and cadence_id is None):
            raise ValueError("give membership_id, or person_id and cadence_id (not both)")
        check_choice("if_not_on_cadence", if_not_on_cadence, _NOT_ON_CHOICES)
        self.membership_id = membership_id
        self.person_id = person_id
        self.cadence_id = cadence_id
        self.if_not_on_cadence = if_not_on_cadence
        self.declare_cadence_outlet(cadence_id)

    def execute(self, context: Context) -> dict[str, Any] | None:
        """Validate the ids, find the membership, end it, push it."""
        if self.membership_id is not None:
            ident = coerce_id("membership_id", self.membership_id)
            membership: dict[str, Any] | None = self.hook.get_cadence_membership(ident)
            what = f"membership {ident}"
        else:
            person, cadence = coerce_id("person_id", self.person_id), coerce_id("cadence_id", self.cadence_id)
            membership = self.hook.find_current_membership(person, cadence)
            if membership is None:  # not on it now: the last membership, if the person was ever on it
                past = self.hook.iter_cadence_memberships(person_id=person, cadence_id=cadence, per_page=1)
                membership = next(iter(past), None)
            what = f"person {person} (cadence {cadence})"
        ti = context["ti"]
        self.outcomes = RunOutcomes()
        cadence_of = _cadence_id(membership) or coerce_optional_id("cadence_id", self.cadence_id)
        if membership is None or not membership.get("currently_on_cadence"):
            if self.if_not_on_cadence == "fail":
                raise SalesloftNotOnCadenceError(what)
            self.log.warning("%s is not on the cadence: nothing to remove", what)
            if membership is not None:  # never push None: Airflow 3 reads it as a missing XCom
                ti.xcom_push(key="membership_id", value=membership["id"])
            ti.xcom_push(key="membership_state", value="not_on_cadence")
            if cadence_of is not None:
                self.outcomes.count(cadence_of, "not_on_cadence")
            self.emit_cadence_events(context)
            return membership
        self.hook.delete_cadence_membership(membership["id"])
        after = self.hook.get_cadence_membership(membership["id"])
        self.log.info(
            "Took %s off the cadence: membership %s, state %s", what, after["id"], after.get("current_state")
        )
        ti.xcom_push(key="membership_id", value=after["id"])
        ti.xcom_push(key="membership_state", value=after.get("current_state"))
        if cadence_of is not None:
            self.outcomes.count(cadence_of, "removed")
            self.publish_cadence_url(context, cadence_of)
        self.emit_cadence_events(context)
        return after


def _cadence_id(membership: dict[str, Any] | None) -> int | None:
    """The cadence a membership is on (its ``cadence`` reference), if it says."""
    ref = (membership or {}).get("cadence")
    return ref["id"] if isinstance(ref, dict) and isinstance(ref.get("id"), int) else None
