"""Social login as a plugin contract: a provider sends the browser to its sign-in page and,
on return, says who the person is. The portal does the rest (state check, account, session)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ExternalIdentity:
    """Who a provider says signed in. Only a verified email may open or join an account."""

    email: str
    email_verified: bool
    display_name: str = ""


class LoginProvider(Protocol):
    name: str  # in URLs: /account/social/<name>
    label: str  # on the button: "Continue with <label>"

    def authorization_url(self, *, callback_url: str, state: str) -> str:
        """Where to send the browser to sign in; the provider must return to `callback_url`
        with `state` unchanged."""
        ...

    def complete(self, *, callback_url: str, query: Mapping[str, str]) -> ExternalIdentity:
        """Finish sign-in from the callback's query; raise `InvalidInput` if it failed."""
        ...
