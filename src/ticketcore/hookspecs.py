"""Every pluggy hook a plugin can implement, in one documented place.

Hooks are called with keyword arguments only and receive `helpdesk` first. Families:
`before_*` run inside the transaction and may raise `InvalidInput` to veto; `after_*` run after
commit and receive read-only snapshots; `<noun>_for_<context>` are `firstresult` decisions where
returning `None` abstains.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from jinja2 import Environment

    from .helpdesk import Helpdesk
    from .models import Ticket
    from .notify.transports import MailTransport
    from .permissions import Access, Action, Actor
    from .schemas import FeedbackOut, MessageOut, TicketOut
    from .web.social import LoginProvider

PROJECT = "ticketcore"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def ticket_access(helpdesk: Helpdesk, actor: Actor) -> Access | None:
    """Widen or narrow which tickets `actor` sees, as SQL conditions on `Ticket`.

    Return an `Access(allow=..., deny=...)`; a deny wins over every allow. Applies to lists,
    counts, detail pages, messages and attachments alike.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def permission_for_ticket(
    helpdesk: Helpdesk, actor: Actor, ticket: Ticket, action: Action
) -> bool | None:
    """Allow (`True`) or forbid (`False`) one action on a ticket the actor can see.

    Return `None` to leave the decision to the next plugin or the built-in policy.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def assignee_for_ticket(helpdesk: Helpdesk, ticket: Ticket) -> int | None:
    """Choose the agent a new ticket is assigned to, instead of the built-in rules.

    Called inside the creating transaction with the ticket's number, team, organization and
    requester set; do not rely on its id (it may not be assigned yet). Return the id of an active agent or admin, or `None` to
    abstain. An id that is not an active staff member is ignored with a warning in the log.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def sla_policy_for_ticket(helpdesk: Helpdesk, ticket: Ticket) -> int | None:
    """Choose the SLA policy of a ticket instead of the built-in matching.

    Called when a ticket is opened and when its priority, team or organization change, inside
    that transaction; when it is opened, its row is not written yet, so do not rely on its id.
    Return a policy id, or `None` to let the policies' own conditions decide.

    .. versionadded:: 0.1
    """


@hookspec
def before_ticket_created(helpdesk: Helpdesk, actor: Actor, ticket: Ticket) -> None:
    """Inspect or adjust a ticket before it is saved; raise `InvalidInput` to refuse it.

    .. versionadded:: 0.1
    """


@hookspec
def after_ticket_created(helpdesk: Helpdesk, ticket: TicketOut) -> None:
    """A ticket was created and committed.

    .. versionadded:: 0.1
    """


@hookspec
def after_message_posted(helpdesk: Helpdesk, ticket: TicketOut, message: MessageOut) -> None:
    """A message was added and committed: `message.kind` says customer reply, agent reply or
    internal note.

    .. versionadded:: 0.1
    """


@hookspec
def after_ticket_assigned(
    helpdesk: Helpdesk, ticket: TicketOut, assignee_id: int | None, actor: Actor
) -> None:
    """A ticket got a new assignee (`None`: it was unassigned), on creation or later.

    .. versionadded:: 0.1
    """


@hookspec
def after_ticket_closed(helpdesk: Helpdesk, ticket: TicketOut, actor: Actor) -> None:
    """A ticket became Closed (by a person, or by the auto-close job).

    .. versionadded:: 0.1
    """


@hookspec
def after_ticket_reopened(helpdesk: Helpdesk, ticket: TicketOut, actor: Actor) -> None:
    """A Resolved or Closed ticket became active again (a reply or a status change).

    .. versionadded:: 0.1
    """


@hookspec
def after_feedback_received(
    helpdesk: Helpdesk, ticket: TicketOut, feedback: FeedbackOut, actor: Actor
) -> None:
    """A customer rated their resolved ticket (1 to 5) and the rating was committed.

    .. versionadded:: 0.1
    """


@hookspec
def prepare_notification_recipients(
    helpdesk: Helpdesk, event: str, ticket: Ticket, recipients: list[str]
) -> None:
    """Change who is emailed about `event` by editing `recipients` (addresses) in place.

    Called inside the transaction, once per event, after the built-in choice: requester and CC
    for customer-side events, the assignee (else the team) for staff-side ones.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def mail_transport(helpdesk: Helpdesk) -> MailTransport | None:
    """Supply the object that sends email (anything with `send(message: EmailMessage)`), for
    example an HTTP email API. Return `None` to use the `mail_transport` setting.

    .. versionadded:: 0.1
    """


@hookspec
def sla_at_risk(helpdesk: Helpdesk, ticket: TicketOut, target: str, due: datetime) -> None:
    """A running target (`target` is "response" or "resolution") crossed the at-risk line.

    Called after commit, once per ticket and target, however many checkers run.

    .. versionadded:: 0.1
    """


@hookspec
def sla_breached(helpdesk: Helpdesk, ticket: TicketOut, target: str, due: datetime) -> None:
    """A target's deadline `due` passed before it was met (seen by the checker, or by a late
    first reply or resolution). Called after commit, once per ticket and target.

    .. versionadded:: 0.1
    """


@hookspec
def after_status_changed(
    helpdesk: Helpdesk, ticket: TicketOut, old_status: str, new_status: str, actor: Actor
) -> None:
    """A ticket's status changed and was committed (by a person, a reply, or a job).

    .. versionadded:: 0.1
    """


# ---------------------------------------------------------------------------- portals


@hookspec
def register_template_dirs(helpdesk: Helpdesk) -> list[str] | None:
    """Directories searched for portal templates before the packaged ones (after the host's
    own `template_dirs`), so a plugin can override or add pages.

    .. versionadded:: 0.1
    """


@hookspec
def prepare_jinja_environment(helpdesk: Helpdesk, environment: Environment) -> None:
    """Change the portal's Jinja2 environment in place once, when the portal is built: add
    filters, globals or tests.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def captcha_html(helpdesk: Helpdesk, form: str) -> str | None:
    """Markup of a CAPTCHA widget (trusted HTML) for `form`: "register", "login" or "guest".

    Return None to show none. Pair it with `verify_captcha`.

    .. versionadded:: 0.1
    """


@hookspec
def verify_captcha(
    helpdesk: Helpdesk, form: str, values: Mapping[str, str], remote_addr: str
) -> str | None:
    """Check the CAPTCHA answer in the submitted `values` of `form`; return an error message to
    refuse the submission (the form re-renders with it, the input kept), or None to accept.

    .. versionadded:: 0.1
    """


@hookspec
def register_login_providers(helpdesk: Helpdesk) -> list[LoginProvider] | None:
    """Social login providers (see `ticketcore.web.social.LoginProvider`) offered on the login
    and register pages as "Continue with <label>".

    .. versionadded:: 0.1
    """
