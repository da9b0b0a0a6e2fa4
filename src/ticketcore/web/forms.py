"""Form state for re-rendering: what the user typed and the messages beside each field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..errors import InvalidInput


class Form:
    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self.values: dict[str, str] = dict(values or {})
        self.errors: dict[str, list[str]] = {}

    def __getitem__(self, name: str) -> str:
        return self.values.get(name, "")

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def error(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def absorb(
        self,
        exc: InvalidInput,
        fields: Mapping[str, str] | None = None,
        shown: Iterable[str] | None = None,
    ) -> None:
        """Take the errors of a service call. `fields` renames service fields to form fields;
        with `shown`, errors for fields the page has no input for go above the form ("")."""
        rename = dict(fields or {})
        visible = set(shown) if shown is not None else None
        for field, messages in exc.errors.items():
            name = rename.get(field, field.split(".")[0])
            if visible is not None and name not in visible:
                name = ""
            for message in messages:
                self.error(name, message)

    @property
    def ok(self) -> bool:
        return not self.errors
