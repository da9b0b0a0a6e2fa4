"""CSRF protection: every portal form carries a token that must match the session's.

The token is random per session and compared in constant time. A host with its own CSRF
protection (Django's) passes its token and verdict as `Request.host_csrf` instead.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import MutableMapping
from typing import Any

from .http import Request

SESSION_KEY = "tc_csrf"
FIELD = "csrf_token"


def token(session: MutableMapping[str, Any]) -> str:
    value = session.get(SESSION_KEY)
    if not isinstance(value, str) or not value:
        value = secrets.token_urlsafe(32)
        session[SESSION_KEY] = value
    return value


def is_valid(request: Request) -> bool:
    if request.host_csrf is not None:
        return request.host_csrf.valid
    expected = request.session.get(SESSION_KEY)
    sent = request.form.get(FIELD) or request.headers.get("X-CSRF-Token", "")
    return (
        isinstance(expected, str)
        and bool(expected)
        and hmac.compare_digest(expected.encode(), sent.encode())
    )
