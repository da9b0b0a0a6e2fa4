"""Who is asking: the session's ticketcore account, or the host site's logged-in user.

Sessions end after `session_idle_minutes` without a request and when the password changes
(`helpdesk.accounts.session_user`). Logging in starts a new session, so a session id planted
before login is worth nothing after it.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..permissions import Actor
from ..schemas import UserOut
from .http import HostUser

if TYPE_CHECKING:
    from ..helpdesk import Helpdesk

USER_KEY = "tc_uid"
AUTH_AT_KEY = "tc_auth_at"
SEEN_KEY = "tc_seen"
HOST_KEY = "tc_host"
GUEST_KEY = "tc_guest"
# The last-seen time is rewritten at most once a minute, not on every page: a changed session
# is saved by the host on every request (a database write on Django, a new cookie on Flask).
# A session may so end up to a minute before `session_idle_minutes` have passed.
SEEN_EVERY_SECONDS = 60


def log_in(helpdesk: Helpdesk, session: MutableMapping[str, Any], user_id: int) -> None:
    guests = session.get(GUEST_KEY)
    session.clear()
    now = helpdesk.clock.now().timestamp()
    session[USER_KEY] = user_id
    session[AUTH_AT_KEY] = now
    session[SEEN_KEY] = now
    if guests:  # secret links opened before logging in keep working
        session[GUEST_KEY] = guests


def log_out(session: MutableMapping[str, Any]) -> None:
    session.clear()


def identify(
    helpdesk: Helpdesk, session: MutableMapping[str, Any], host_user: HostUser | None
) -> tuple[UserOut | None, Actor, bool]:
    """The user, their actor, and whether a session just ran out (to tell them why)."""
    if host_user is not None:
        user, actor = _host_account(helpdesk, session, host_user)
        return user, actor, False
    user_id = session.get(USER_KEY)
    if not isinstance(user_id, int):
        return None, Actor.anonymous(), False
    now = helpdesk.clock.now()
    seen = float(session.get(SEEN_KEY, 0))
    auth_at = float(session.get(AUTH_AT_KEY, 0))
    idle = helpdesk.settings.session_idle_minutes * 60
    found = (
        helpdesk.accounts.session_user(user_id, datetime.fromtimestamp(auth_at, UTC))
        if now.timestamp() - seen <= idle
        else None
    )
    if found is None:
        log_out(session)
        return None, Actor.anonymous(), True
    user, actor = found
    if now.timestamp() - seen >= SEEN_EVERY_SECONDS:
        session[SEEN_KEY] = now.timestamp()
    return user, actor, False


def _host_account(
    helpdesk: Helpdesk, session: MutableMapping[str, Any], host_user: HostUser
) -> tuple[UserOut, Actor]:
    """The ticketcore account of the host's user and its actor; the account is looked up by
    the host's id once per session, then read by its own id (one statement a page)."""
    remembered = session.get(HOST_KEY)
    if isinstance(remembered, list) and remembered[0] == host_user.external_id:
        found = helpdesk.users.with_actor(int(remembered[1]))
        if found is not None and _same_role(found[0], host_user):
            return found
    user = helpdesk.users.sync_external_user(
        external_id=host_user.external_id,
        email=host_user.email,
        display_name=host_user.display_name,
        role=host_user.role,
    )
    session[HOST_KEY] = [host_user.external_id, user.id]
    return user, helpdesk.users.actor_for(user.id)


def _same_role(user: UserOut, host_user: HostUser) -> bool:
    return host_user.role is None or host_user.role == user.role
