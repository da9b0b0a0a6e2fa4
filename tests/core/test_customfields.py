"""Custom field validation against a template's field definitions, without a database."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from ticketcore import InvalidInput
from ticketcore.customfields import clean_custom_fields


@dataclass
class F:
    key: str
    type: str
    required: bool = False
    options: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.key.replace("_", " ").capitalize()


FIELDS = [
    F("steps", "long_text", required=True),
    F("version", "text"),
    F("seats", "number"),
    F("browser", "select", options=["Firefox", "Chrome"]),
    F("urgent", "checkbox"),
    F("seen_on", "date"),
]


def test_valid_values_are_coerced_from_form_strings():
    cleaned = clean_custom_fields(
        FIELDS,
        {
            "steps": "  1. click  ",
            "version": "2.1",
            "seats": "12",
            "browser": "Chrome",
            "urgent": "on",
            "seen_on": "2026-11-02",
        },
    )
    assert cleaned == {
        "steps": "1. click",
        "version": "2.1",
        "seats": 12,
        "browser": "Chrome",
        "urgent": True,
        "seen_on": "2026-11-02",
    }


def test_every_problem_is_reported_beside_its_field():
    with pytest.raises(InvalidInput) as info:
        clean_custom_fields(
            FIELDS,
            {"seats": "many", "browser": "Lynx", "seen_on": "31/12/2026", "colour": "red"},
        )
    errors = info.value.errors
    assert errors["custom_fields.steps"] == ["Steps is required"]
    assert errors["custom_fields.seats"] == ["Seats must be a number"]
    assert errors["custom_fields.browser"] == ["Browser must be one of: Firefox, Chrome"]
    assert errors["custom_fields.seen_on"] == ["Seen on must be a date (YYYY-MM-DD)"]
    assert errors["custom_fields.colour"] == ["unknown field"]


@pytest.mark.parametrize("bad", [True, "nan", "inf", [], "1e400"])
def test_numbers_reject_non_finite_and_non_numbers(bad):
    with pytest.raises(InvalidInput):
        clean_custom_fields([F("n", "number")], {"n": bad})


def test_text_length_is_bounded():
    with pytest.raises(InvalidInput, match="at most 255"):
        clean_custom_fields([F("t", "text")], {"t": "x" * 256})


def test_wrong_json_type_for_text_is_refused():
    with pytest.raises(InvalidInput, match="must be text"):
        clean_custom_fields([F("t", "text")], {"t": 12})


def test_required_checkbox_must_be_checked():
    terms = [F("terms", "checkbox", required=True)]
    with pytest.raises(InvalidInput, match="must be checked"):
        clean_custom_fields(terms, {"terms": "off"})
    assert clean_custom_fields(terms, {"terms": True}) == {"terms": True}


def test_partial_update_leaves_other_fields_alone():
    assert clean_custom_fields(FIELDS, {"seats": 3}, partial=True) == {"seats": 3}
