"""Emails about an account rather than a ticket: the verification link, the password-reset link,
the invitation an administrator sends to a new account, and the notice that someone tried to
register with an address that already has an account.

They go through the outbox like every other email (written in the transaction that caused them,
sent after commit or by a worker), rendered from `ticketcore/email/<kind>_*` templates in the
owner's language. The links in them are secrets: they are put into the email body and nowhere
else — never into a log line or a header.
"""

from __future__ import annotations

import enum
import logging
import secrets
from datetime import timedelta
from email.headerregistry import Address
from typing import TYPE_CHECKING, Any

from babel.units import format_unit

from ..models import OutboxMessage, OutboxStatus, User
from .queue import deliver_after_commit, known_locale
from .render import one_line, render_email

if TYPE_CHECKING:
    from ..services.unit_of_work import UnitOfWork

__all__ = ["AccountMail", "account_url", "queue_account_email"]

log = logging.getLogger("ticketcore.notify")


class AccountMail(enum.StrEnum):
    VERIFY = "account_verify"  # confirm the address of a new account
    RESET = "account_reset"  # choose a (new) password
    EXISTS = "account_exists"  # someone tried to register with this address
    INVITE = "account_invite"  # an administrator opened an account: choose your password


def account_url(site_url: str, path: str) -> str:
    """An address in the customer portal's account pages, e.g. `account_url(url, "login")`."""
    return f"{site_url.rstrip('/')}/account/{path}"


def queue_account_email(
    uow: UnitOfWork,
    kind: AccountMail,
    user: User,
    *,
    link: str = "",
    valid_for: timedelta | None = None,
) -> None:
    """Write the `kind` email to `user` into the outbox (sent after commit).

    `link` is the secret link the email carries (verification or reset), `valid_for` how long it
    works. Nothing is written while the helpdesk's notifications are muted.
    """
    helpdesk = uow.helpdesk
    if helpdesk.mute_notifications:
        return
    settings = helpdesk.settings
    locale = _locale(user.locale)
    site_url = settings.site_url.rstrip("/")
    context: dict[str, Any] = {
        "site_name": settings.site_name,
        "site_url": site_url,
        "brand_color": settings.brand_color,
        "logo_url": settings.logo_url,
        "event": kind.value,
        "recipient": {
            "name": user.display_name,
            "email": user.email,
            "is_staff": user.role.is_staff,
            "is_requester": False,
        },
        "link": link,
        "valid_for": _duration(valid_for, locale) if valid_for else "",
        "has_password": user.password_hash is not None,
        "login_url": account_url(site_url, "login"),
        "forgot_url": account_url(site_url, "forgot"),
    }
    rendered = render_email(helpdesk, kind.value, context, locale=locale)
    now = helpdesk.clock.now()
    domain = settings.reply_address.strip().rpartition("@")[2] or "localhost"
    row = OutboxMessage(
        event=kind.value,
        ticket_id=None,
        message_id=None,
        recipient=user.email,
        recipient_user_id=user.id,
        email_message_id=f"<tc-out-{secrets.token_hex(16)}@{domain}>",
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        headers={
            "To": str(Address(display_name=one_line(user.display_name, 200), addr_spec=user.email)),
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
            "X-Ticketcore-Event": kind.value,
        },
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    deliver_after_commit(uow, row.id)
    # The link is a secret: say what was queued, never what it contains.
    log.info("queued %s email %s for user %s", kind.value, row.id, user.id)


def _locale(value: str | None) -> str:
    """The owner's locale when babel knows it, else English (a bad profile value must not stop
    a password reset)."""
    return value if value and known_locale(value) else "en"


def _duration(span: timedelta, locale: str) -> str:
    """ "72 hours", "3 days", "45 minutes": exact, in the largest unit that divides the span."""
    minutes = int(span.total_seconds() // 60)
    for unit, size in (("day", 24 * 60), ("hour", 60), ("minute", 1)):
        if minutes % size == 0 and minutes >= size:
            return format_unit(minutes // size, f"duration-{unit}", length="long", locale=locale)
    return format_unit(minutes, "duration-minute", length="long", locale=locale)
