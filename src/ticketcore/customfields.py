"""Validation of a ticket's custom field values against its template: pure, no database."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from .errors import InvalidInput

TEXT_MAX = 255
LONG_TEXT_MAX = 20_000


class FieldDefinition(Protocol):
    key: str
    label: str
    type: str
    required: bool
    options: list[Any]


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _coerce(field: FieldDefinition, value: Any) -> Any:
    """Turn a submitted value (a form string or a JSON value) into its stored form, or raise."""
    match str(field.type):
        case "text" | "long_text":
            if not isinstance(value, str):
                raise ValueError("must be text")
            limit = TEXT_MAX if field.type == "text" else LONG_TEXT_MAX
            if len(value) > limit:
                raise ValueError(f"must be at most {limit} characters")
            return value.strip()
        case "number":
            if isinstance(value, bool):
                raise ValueError("must be a number")
            try:
                number = float(value) if isinstance(value, str) else value
            except ValueError:
                raise ValueError("must be a number") from None
            if not isinstance(number, int | float) or not math.isfinite(number):
                raise ValueError("must be a number")
            return int(number) if float(number).is_integer() else float(number)
        case "select":
            if value not in field.options:
                raise ValueError("must be one of: " + ", ".join(map(str, field.options)))
            return value
        case "checkbox":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("on", "true", "1", "yes"):
                return True
            if isinstance(value, str) and value.lower() in ("off", "false", "0", "no", ""):
                return False
            raise ValueError("must be checked or unchecked")
        case "date":
            try:
                return date.fromisoformat(value).isoformat() if isinstance(value, str) else None
            except ValueError:
                pass
            raise ValueError("must be a date (YYYY-MM-DD)")
    raise ValueError(f"has an unknown type {field.type!r}")  # pragma: no cover


def clean_custom_fields(
    fields: Sequence[FieldDefinition], values: Mapping[str, Any], *, partial: bool = False
) -> dict[str, Any]:
    """Return the values to store; raise `InvalidInput` keyed `custom_fields.<key>` per problem.

    With `partial`, fields that are not given keep their value (an agent edits one field).
    """
    by_key = {f.key: f for f in fields}
    errors: dict[str, list[str]] = {}
    for key in values:
        if key not in by_key:
            errors[f"custom_fields.{key}"] = ["unknown field"]
    cleaned: dict[str, Any] = {}
    for key, field in by_key.items():
        if key not in values and partial:
            continue
        value = values.get(key)
        if _empty(value) and field.type != "checkbox":
            if field.required:
                errors[f"custom_fields.{key}"] = [f"{field.label} is required"]
            continue
        try:
            cleaned[key] = _coerce(field, value if value is not None else False)
        except ValueError as exc:
            errors[f"custom_fields.{key}"] = [f"{field.label} {exc}"]
            continue
        if field.type == "checkbox" and field.required and cleaned[key] is not True:
            errors[f"custom_fields.{key}"] = [f"{field.label} must be checked"]
    if errors:
        raise InvalidInput(errors)
    return cleaned
