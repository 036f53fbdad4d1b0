"""What counts as a do-not-contact write, and the task-log warning for a field_map that makes one
(Salesloft's definition: "If this person is currently in a cadence, they will be removed")."""

from __future__ import annotations

from airflow_provider_salesloft.person_fields import do_not_contact_warning, sets_do_not_contact


def test_what_sets_do_not_contact() -> None:
    for value in (True, "true", " TRUE ", "yes", "1", 1):
        assert sets_do_not_contact({"do_not_contact": value}), value
    for value in (False, "false", "", "0", 0, None, float("nan")):
        assert not sets_do_not_contact({"do_not_contact": value}), value
    assert not sets_do_not_contact({"title": "CEO"})


def test_a_field_map_writing_do_not_contact_is_warned_about() -> None:
    warning = do_not_contact_warning({"opted_out": "do_not_contact", "co": "person_company_name"})
    assert warning is not None
    assert "column 'opted_out'" in warning and "removes them from every cadence" in warning
    assert do_not_contact_warning({"co": "person_company_name"}) is None
