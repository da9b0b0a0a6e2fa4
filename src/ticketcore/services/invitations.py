"""Invitations: an administrator opens an account for someone, who chooses their password by
following the emailed link.

The account exists from the moment of the invitation (so it can be put in teams, assigned an
organization, even be given tickets), but it has no password and cannot log in until the link
is followed. The link is made like a password-reset link (`AccountService`): signed with
`secret_key` under its own salt, dated by the helpdesk clock, and bound to a fingerprint of the
account's password and `password_changed_at`. Each invitation moves `password_changed_at`
forward, so inviting again voids the earlier link; choosing the password changes both, so the
link works once. An account without a password has no sessions or reset links worth keeping,
so moving that date costs nothing.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InvalidInput, NotFound
from ..models import Role, TeamMember, User
from ..notify.account_mail import AccountMail, account_url, queue_account_email
from ..permissions import Actor
from ..schemas import InvitationCreate, UserCreate, UserOut, email_key, parse
from .accounts import leave_staff
from .base import FieldErrors, Service, find_organization, find_team, require_admin
from .convert import user_out
from .unit_of_work import UnitOfWork

__all__ = ["InvitationService"]

_SALT = "ticketcore.account.invite"
_WRONG_LINK = "this invitation has expired or was already used"


class InvitationService(Service):
    def invite(
        self, actor: Actor, data: InvitationCreate | Mapping[str, Any] | None = None, **fields: Any
    ) -> UserOut:
        """Open an account for `email` and email its owner a link to choose a password.

        Fields: `email`, `display_name`, `role` (customer, agent or admin; agent by default),
        `teams` (ids or slugs, staff only) and `organization` (id or slug; None: the one that
        lists the email's domain, if any). Admins only (`NotFound` for anyone else).

        An address whose account has no password yet (an earlier invitation not accepted, or a
        customer created by a guest ticket or an email) is invited again: the account takes the
        role and teams of this invitation, and its name and organization when they are given;
        the earlier link stops working. An account that can already log in, or is deactivated,
        is refused with `InvalidInput` on `email`.
        """
        require_admin(actor)
        values = parse(InvitationCreate, data, fields)
        with self.transaction() as uow:
            session = uow.session
            user = session.scalar(select(User).where(User.email_key == email_key(values.email)))
            if user is None:
                created = UserCreate.model_validate(
                    {
                        "email": values.email,
                        "display_name": values.display_name,
                        "role": values.role,
                        "teams": values.teams,
                        "organization": values.organization,
                    }
                )
                # Unverified until the link is followed: following it proves the mailbox.
                user = self.helpdesk.users._create(session, created, verified=False)
            else:
                self._renew(uow, actor, user, values)
            self._send(uow, user)
            return user_out(user)

    def reinvite(self, actor: Actor, user_id: int) -> UserOut:
        """Send a new invitation to an account that has no password yet, as it is; the earlier
        link stops working. `InvalidInput` when the account can log in already or is
        deactivated."""
        require_admin(actor)
        with self.transaction() as uow:
            user = uow.session.get(User, user_id, with_for_update=True)
            if user is None:
                raise NotFound(f"no user {user_id}")
            _check_invitable(user)
            self._send(uow, user)
            return user_out(user)

    def invited_user(self, token: str) -> UserOut:
        """Whom an invitation link is for, while it still works; else `InvalidInput` on `token`.

        Lets the invitation page greet the person, or say at once that the link is spent,
        before they type a password.
        """
        payload = self._load(token)
        with self.reading() as uow:
            user = self._user_of(uow.session, payload)
            if user is None:
                raise InvalidInput(_WRONG_LINK, field="token")
            return user_out(user)

    def accept_invitation(self, token: str, password: str) -> UserOut:
        """Set the password of an invited account; its address then counts as verified.

        `InvalidInput` lists every problem at once: on `token` for a link that expired, was used
        or was replaced by a newer invitation, on `password` for each password rule broken. The
        caller logs the person in.
        """
        errors = FieldErrors()
        payload = errors.check(self._load, token)
        return self.helpdesk.accounts.password_from_link(
            payload, password, errors, self._user_of, _WRONG_LINK
        )

    # ------------------------------------------------------------------ internals

    def _renew(self, uow: UnitOfWork, actor: Actor, user: User, values: InvitationCreate) -> None:
        """Give an account that was invited before (or never had a password) the details of
        this invitation."""
        _check_invitable(user)
        session = uow.session
        role = Role(values.role)
        if values.teams and not role.is_staff:
            raise InvalidInput("customers cannot join teams", field="teams")
        team_ids = list(dict.fromkeys(find_team(session, ref, "teams").id for ref in values.teams))
        if values.organization is not None:
            user.organization_id = find_organization(session, values.organization).id
        if values.display_name:
            user.display_name = values.display_name
        if user.role.is_staff and not role.is_staff:
            leave_staff(uow, actor, user)
        user.role = role
        for membership in session.scalars(
            select(TeamMember).where(TeamMember.user_id == user.id)
        ).all():
            if membership.team_id in team_ids:
                team_ids.remove(membership.team_id)
            else:
                session.delete(membership)
        session.add_all(TeamMember(team_id=team_id, user_id=user.id) for team_id in team_ids)

    def _send(self, uow: UnitOfWork, user: User) -> None:
        """Void earlier links and queue the invitation email with a new one."""
        now = self.helpdesk.clock.now()
        previous = user.password_changed_at
        # Strictly later, even on a clock that has not moved, so the fingerprint changes.
        user.password_changed_at = (
            now if previous is None or now > previous else previous + timedelta(microseconds=1)
        )
        accounts = self.helpdesk.accounts
        token = accounts._dump({"u": user.id, "f": accounts._fingerprint(user)}, _SALT)
        queue_account_email(
            uow,
            AccountMail.INVITE,
            user,
            link=account_url(self.settings.site_url, f"invite/{token}"),
            valid_for=timedelta(days=self.settings.invitation_days),
        )

    def _load(self, token: str) -> dict[str, Any]:
        try:
            return self.helpdesk.accounts._load(token, _SALT, self.settings.invitation_days * 86400)
        except InvalidInput:
            raise InvalidInput(_WRONG_LINK, field="token") from None

    def _user_of(
        self, session: Session, payload: Mapping[str, Any], *, lock: bool = False
    ) -> User | None:
        """The active, password-less account the link names, while no newer invitation or
        password replaced the one it was made for."""
        user = session.get(User, payload["u"], with_for_update=lock)
        if user is None or not user.is_active or user.password_hash is not None:
            return None
        fingerprint = self.helpdesk.accounts._fingerprint(user)
        if not hmac.compare_digest(str(payload.get("f", "")), fingerprint):
            return None
        return user


def _check_invitable(user: User) -> None:
    if not user.is_active:
        raise InvalidInput(
            "this account is deactivated: reactivate it before inviting its owner", field="email"
        )
    if user.password_hash is not None:
        raise InvalidInput(
            "this address already has an account that can log in; its owner can reset the "
            "password if it is forgotten",
            field="email",
        )
