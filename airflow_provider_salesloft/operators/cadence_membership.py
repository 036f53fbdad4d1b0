"""Add one person to a cadence: ``CreateCadenceMembershipOperator``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from airflow_provider_salesloft.exceptions import SalesloftAlreadyOnCadenceError
from airflow_provider_salesloft.operators.base import SalesloftBaseOperator
from airflow_provider_salesloft.outcomes import RunOutcomes
from airflow_provider_salesloft.validation import check_choice, coerce_id, coerce_optional_id

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

IfAlreadyOnCadence = Literal["skip", "fail"]
_ALREADY_ON_CHOICES = ("skip", "fail")


class CreateCadenceMembershipOperator(SalesloftBaseOperator):
    """Add a person to a Salesloft cadence and hand the membership to downstream tasks.

    Every id is templated and may be an ``int``, a string of digits (what Jinja renders from an XCom) or an
    ``XComArg`` (``upstream.output["person_id"]``); ids are validated in ``execute()`` before any request.

    XCom: ``return_value`` is the membership exactly as Salesloft returned it; ``membership_id`` its ``id``
    (int); ``membership_state`` its ``current_state`` (str).

    :param person_id: the person to add (required; templated).
    :param cadence_id: the cadence to add them to (required; templated).
    :param user_id: the user the person is added for (templated; default: the connection's user).
    :param step_id: the step to start on (templated; default: the cadence's first step).
    :param salesloft_task_id: a Salesloft task completed by this add (templated; named so to not clash
        with Airflow's ``task_id``).
    :param if_already_on_cadence: ``"skip"`` (default): a person already on the cadence is not an error;
        the existing membership is pushed as if just created, with a warning. ``"fail"``: fail the task.
    """

    template_fields: Sequence[str] = (
        *SalesloftBaseOperator.template_fields,
        "person_id",
        "cadence_id",
        "user_id",
        "step_id",
        "salesloft_task_id",
    )

    def __init__(
        self,
        *,
        person_id: Any,
        cadence_id: Any,
        user_id: Any = None,
        step_id: Any = None,
        salesloft_task_id: Any = None,
        if_already_on_cadence: IfAlreadyOnCadence = "skip",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_choice("if_already_on_cadence", if_already_on_cadence, _ALREADY_ON_CHOICES)
        self.person_id = person_id
        self.cadence_id = cadence_id
        self.user_id = user_id
        self.step_id = step_id
        self.salesloft_task_id = salesloft_task_id
        self.if_already_on_cadence = if_already_on_cadence
        self.declare_cadence_outlet(cadence_id)

    def execute(self, context: Context) -> dict[str, Any]:
        """Validate the ids, add the person, push the membership."""
        person_id = coerce_id("person_id", self.person_id)
        cadence_id = coerce_id("cadence_id", self.cadence_id)
        user_id = coerce_optional_id("user_id", self.user_id)
        step_id = coerce_optional_id("step_id", self.step_id)
        salesloft_task_id = coerce_optional_id("salesloft_task_id", self.salesloft_task_id)

        membership, added_now = self.hook.ensure_cadence_membership(
            person_id, cadence_id, user_id=user_id, step_id=step_id, task_id=salesloft_task_id
        )
        membership_id, state = membership.get("id"), membership.get("current_state")
        self.outcomes = RunOutcomes()
        self.outcomes.count(cadence_id, "added" if added_now else "already_on_cadence")
        if not added_now:
            if self.if_already_on_cadence == "fail":
                raise SalesloftAlreadyOnCadenceError(person_id, cadence_id, membership_id)
            self.log.warning(
                "Person %s was already on cadence %s: using existing membership %s (state %s)",
                person_id,
                cadence_id,
                membership_id,
                state,
            )
        else:
            self.log.info(
                "Added person %s to cadence %s: membership %s, state %s",
                person_id,
                cadence_id,
                membership_id,
                state,
            )
        ti = context["ti"]
        ti.xcom_push(key="membership_id", value=membership_id)
        ti.xcom_push(key="membership_state", value=state)
        self.publish_cadence_url(context, cadence_id)
        self.emit_cadence_events(context)
        return membership
