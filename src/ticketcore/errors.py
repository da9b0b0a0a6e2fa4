"""One exception hierarchy, so every caller (web layer, CLI, host code) can map failures uniformly.

The web layer turns `NotFound` and `PermissionDenied` into 404 (never revealing that a ticket
exists), `InvalidInput` into a re-rendered form, and `Conflict` into 409; the CLI prints one line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class TicketcoreError(Exception):
    """Base class of every error ticketcore raises on purpose."""


class NotFound(TicketcoreError):
    """The object does not exist, or the actor may not know that it exists."""


class PermissionDenied(TicketcoreError):
    """The actor can see the object but may not do this to it."""


class Conflict(TicketcoreError):
    """The request is valid but clashes with the current state (a duplicate, a stale edit)."""


class StaleTicket(Conflict):
    """Someone else changed the ticket after the form was shown; `changes` says what, one line
    each ("Bill replied at 14:02"), so the form can warn and keep what was typed."""

    def __init__(self, changes: Sequence[str]) -> None:
        self.changes: list[str] = list(changes)
        super().__init__("the ticket changed meanwhile: " + "; ".join(self.changes))


class InvalidInput(TicketcoreError):
    """Input failed validation; `errors` maps each field name to its messages.

    Forms show each message beside its field; the empty-string key holds messages that
    belong to no single field.
    """

    def __init__(self, errors: Mapping[str, Sequence[str]] | str, field: str = "") -> None:
        if isinstance(errors, str):
            errors = {field: [errors]}
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in errors.items()}
        super().__init__(self._summary())

    def _summary(self) -> str:
        parts = []
        for field, messages in self.errors.items():
            text = "; ".join(messages)
            parts.append(f"{field}: {text}" if field else text)
        return " | ".join(parts)


class InvalidTransition(InvalidInput):
    """A status change the workflow does not allow (for example Closed to Pending)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="status")


class ConfigurationError(TicketcoreError):
    """A setting is missing or malformed, so the site cannot do this until its owner fixes it."""


class LoginFailed(InvalidInput):
    """The email or the password is wrong, or the account may not log in.

    One message for every case, so a login form never tells whether an address has an account.
    """

    def __init__(self) -> None:
        super().__init__("email or password is wrong", field="password")


class RateLimited(TicketcoreError):
    """Too many failed attempts (logins, codes) in a short time: the caller must wait.

    `retry_after` is the number of seconds until the next attempt is accepted; the web layer
    answers 429 with a `Retry-After` header.
    """

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        minutes = -(-self.retry_after // 60)
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(f"too many failed attempts; try again in {minutes} {unit}")
