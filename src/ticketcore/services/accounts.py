"""Users: creating customers, agents and admins, finding them, and turning them into actors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.orm import Session

from ..errors import Conflict, InvalidInput, NotFound
from ..models import OrganizationDomain, OrganizationStaff, Role, TeamMember, Ticket, User
from ..passwords import hash_password, verify_password
from ..permissions import Actor, ActorKind
from ..schemas import (
    Page,
    UserAdminOut,
    UserCreate,
    UserOut,
    UserSearch,
    UserUpdate,
    email_key,
    normalize_email,
    parse,
)
from .base import FieldErrors, Service, find_organization, find_team, require_admin
from .changes import audit
from .convert import ticket_out, user_out
from .unit_of_work import UnitOfWork

# Who a ticket can be assigned to.
_ACTIVE_STAFF = (User.role.in_([Role.AGENT, Role.ADMIN]), User.is_active.is_(True))
_STAFF_NAMES = (
    select(User.id, User.display_name).where(*_ACTIVE_STAFF).order_by(User.display_name, User.id)
)


class UserService(Service):
    def create(
        self, actor: Actor, data: UserCreate | Mapping[str, Any] | None = None, **fields: Any
    ) -> UserOut:
        """Create an account. Only admins and the system create staff; the email must be new.

        A customer with no organization named joins the organization that lists their email
        domain, if any.
        """
        values = parse(UserCreate, data, fields)
        if values.role != "customer" and actor.kind not in (ActorKind.SYSTEM, ActorKind.ADMIN):
            raise InvalidInput("only an administrator can create staff accounts", field="role")
        # Hashing is slow on purpose; doing it first keeps SQLite's write lock short.
        password_hash = hash_password(values.password) if values.password else None
        with self.transaction() as uow:
            user = self._create(uow.session, values, password_hash)
            return user_out(user)

    def _create(
        self,
        session: Session,
        values: UserCreate,
        password_hash: str | None = None,
        *,
        verified: bool = True,
    ) -> User:
        key = email_key(values.email)
        if session.scalar(select(User.id).where(User.email_key == key)) is not None:
            raise InvalidInput("an account with this email already exists", field="email")
        if values.teams and values.role == "customer":
            raise InvalidInput("customers cannot join teams", field="teams")
        if values.external_id and session.scalar(
            select(User.id).where(User.external_id == values.external_id)
        ):
            raise InvalidInput("this external id is already linked", field="external_id")
        if values.organization is not None:
            organization_id: int | None = find_organization(session, values.organization).id
        else:
            domain = key.rpartition("@")[2]
            organization_id = session.scalar(
                select(OrganizationDomain.organization_id).where(
                    OrganizationDomain.domain == domain
                )
            )
        user = User(
            email=values.email,
            email_key=key,
            display_name=values.display_name or values.email.partition("@")[0],
            role=Role(values.role),
            organization_id=organization_id,
            external_id=values.external_id,
            is_active=True,
            password_hash=password_hash,
            timezone=values.timezone,
            locale=values.locale,
            created_at=self.helpdesk.clock.now(),
            # Whoever creates an account (admin, command, email) vouches for its address; only
            # self-registration waits for the link.
            email_verified_at=self.helpdesk.clock.now() if verified else None,
        )
        session.add(user)
        session.flush()
        for ref in values.teams:
            session.add(TeamMember(team_id=find_team(session, ref, "teams").id, user_id=user.id))
        return user

    def get_or_create_customer(self, email: str, display_name: str = "") -> UserOut:
        """The customer with this address, created without a password if new (guests, email)."""
        with self.transaction() as uow:
            return user_out(self._get_or_create_customer(uow.session, email, display_name))

    def _get_or_create_customer(self, session: Session, email: str, display_name: str) -> User:
        try:
            normalized = normalize_email(email)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="email") from None
        user = session.scalar(select(User).where(User.email_key == email_key(normalized)))
        if user is None:
            values = UserCreate.model_validate({"email": normalized, "display_name": display_name})
            user = self._create(session, values)
        return user

    def sync_external_user(
        self, *, external_id: str, email: str, display_name: str = "", role: str | None = None
    ) -> UserOut:
        """The account of a host site's user: found by `external_id`, else claimed by email
        (linking the id), else created. The host is the authority on who its users are, so
        their email, name and (when given) role follow the host's."""
        if role is not None and role not in ("customer", "agent", "admin"):
            raise InvalidInput("must be customer, agent or admin", field="role")
        try:
            normalized = normalize_email(email)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="email") from None
        with self.transaction() as uow:
            session = uow.session
            user = session.scalar(select(User).where(User.external_id == external_id))
            if user is None:
                user = session.scalar(select(User).where(User.email_key == email_key(normalized)))
                if user is not None and user.external_id not in (None, external_id):
                    raise Conflict("this email belongs to another linked account")
            if user is None:
                values = UserCreate.model_validate(
                    {
                        "email": normalized,
                        "display_name": display_name,
                        "role": role or "customer",
                        "external_id": external_id,
                    }
                )
                return user_out(self._create(session, values))
            user.external_id = external_id
            if user.email_key != email_key(normalized) and not session.scalar(
                select(User.id).where(User.email_key == email_key(normalized))
            ):
                user.email, user.email_key = normalized, email_key(normalized)
            if display_name:
                user.display_name = display_name
            if role is not None:
                user.role = Role(role)
            return user_out(user)

    def get(self, user_id: int) -> UserOut:
        with self.reading() as uow:
            user = uow.session.get(User, user_id)
            if user is None:
                raise NotFound(f"no user {user_id}")
            return user_out(user)

    def find_by_email(self, email: str) -> UserOut | None:
        with self.reading() as uow:
            user = uow.session.scalar(
                select(User).where(User.email_key == email_key(email.strip()))
            )
            return user_out(user) if user else None

    def staff(self) -> list[UserOut]:
        """Active agents and admins, by name: who a ticket can be assigned to."""
        with self.reading() as uow:
            rows = uow.session.scalars(
                select(User).where(*_ACTIVE_STAFF).order_by(User.display_name, User.id)
            ).all()
            return [user_out(u) for u in rows]

    def staff_names(self) -> dict[int, str]:
        """Active agents' and admins' names by id, in name order: what an assignee choice
        needs, without the rest of each account."""
        with self.reading() as uow:
            return {row.id: row.display_name for row in uow.session.execute(_STAFF_NAMES)}

    def find_by_external_id(self, external_id: str) -> UserOut | None:
        with self.reading() as uow:
            user = uow.session.scalar(select(User).where(User.external_id == external_id))
            return user_out(user) if user else None

    def authenticate(self, email: str, password: str) -> UserOut | None:
        """The active user with this email and password, else None (never says which was wrong)."""
        with self.reading() as uow:
            user = uow.session.scalar(
                select(User).where(User.email_key == email_key(email.strip()))
            )
            if (
                user is None
                or not user.is_active
                or not verify_password(user.password_hash, password)
            ):
                return None
            return user_out(user)

    def set_password(self, actor: Actor, user_id: int, password: str) -> None:
        if len(password) < 8:
            raise InvalidInput("must be at least 8 characters", field="password")
        if actor.kind not in (ActorKind.SYSTEM, ActorKind.ADMIN) and actor.user_id != user_id:
            raise NotFound(f"no user {user_id}")
        password_hash = hash_password(password)
        with self.transaction() as uow:
            user = uow.session.get(User, user_id)
            if user is None:
                raise NotFound(f"no user {user_id}")
            user.password_hash = password_hash

    def deactivate(self, actor: Actor, user_id: int) -> UserOut:
        if actor.kind not in (ActorKind.SYSTEM, ActorKind.ADMIN):
            raise NotFound(f"no user {user_id}")
        with self.transaction() as uow:
            user = uow.session.get(User, user_id)
            if user is None:
                raise NotFound(f"no user {user_id}")
            if actor.user_id == user_id:
                raise Conflict("you cannot deactivate your own account")
            user.is_active = False
            return user_out(user)

    # ------------------------------------------------------------------ administration

    def update(
        self,
        actor: Actor,
        user_id: int,
        data: UserUpdate | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> UserOut:
        """An administrator changes an account's role, organization or active flag; only the
        fields given change. `organization=0` (or None, "none") takes the user out of theirs.

        Admins cannot change their own role or deactivate themselves (`InvalidInput` on `role`
        or `is_active`), so a site always keeps the admin who is acting. A user who becomes a
        customer leaves their teams and organizations' staff lists, and the tickets assigned to
        them are unassigned (audited): staff emails must not reach a customer.
        """
        require_admin(actor)
        values = parse(UserUpdate, data, fields)
        given = values.model_fields_set
        with self.transaction() as uow:
            session = uow.session
            user = session.get(User, user_id, with_for_update=True)
            if user is None:
                raise NotFound(f"no user {user_id}")
            errors = FieldErrors()
            own = actor.user_id == user.id
            role = Role(values.role) if values.role is not None else user.role
            if own and role is not user.role:
                errors.errors["role"] = [
                    "you cannot change your own role: ask another administrator"
                ]
            if own and values.is_active is False:
                errors.errors["is_active"] = ["you cannot deactivate your own account"]
            organization_id = user.organization_id
            if "organization" in given:
                organization_id = None
                if values.organization not in _NO_ORGANIZATION:
                    found = errors.check(find_organization, session, values.organization)
                    organization_id = found.id if found is not None else None
            errors.raise_if_any()
            if role is Role.CUSTOMER and user.role.is_staff:
                leave_staff(uow, actor, user)
            user.role = role
            user.organization_id = organization_id
            if values.is_active is not None:
                user.is_active = values.is_active
            session.flush()
            return user_out(user)

    def search(
        self,
        actor: Actor,
        text: str = "",
        role: str | None = None,
        page: int = 1,
        per_page: int = 25,
    ) -> Page[UserAdminOut]:
        """Accounts whose name or email contains `text` (any case), of one `role` or all, by
        name; three SQL statements whatever the page holds. Admins only."""
        require_admin(actor)
        query = parse(
            UserSearch, None, {"text": text, "role": role, "page": page, "per_page": per_page}
        )
        where: list[ColumnElement[bool]] = []
        needle = query.text.strip().lower()
        if needle:
            where.append(
                or_(
                    func.lower(User.display_name).contains(needle, autoescape=True),
                    User.email_key.contains(needle, autoescape=True),
                )
            )
        if query.role is not None:
            where.append(User.role == Role(query.role))
        with self.reading() as uow:
            session = uow.session
            total = session.scalar(select(func.count()).select_from(User).where(*where)) or 0
            rows = session.scalars(
                select(User)
                .where(*where)
                .order_by(func.lower(User.display_name), User.id)
                .offset((query.page - 1) * query.per_page)
                .limit(query.per_page)
            ).all()
            teams = _team_ids(session, [u.id for u in rows])
            return Page[UserAdminOut](
                items=[admin_user_out(u, teams.get(u.id, [])) for u in rows],
                total=total,
                page=query.page,
                per_page=query.per_page,
            )

    def details(self, actor: Actor, user_id: int) -> UserAdminOut:
        """One account as the administration screens show it. Admins only."""
        require_admin(actor)
        with self.reading() as uow:
            user = uow.session.get(User, user_id)
            if user is None:
                raise NotFound(f"no user {user_id}")
            return admin_user_out(user, _team_ids(uow.session, [user.id]).get(user.id, []))

    def with_actor(self, user_id: int) -> tuple[UserOut, Actor] | None:
        """An active account and the actor it acts as, from one read; None when there is no
        such active account."""
        with self.reading() as uow:
            row = active_account(uow.session, user_id)
            return (user_out(row), actor_from_user(row)) if row is not None else None

    def actor_for(self, user: int | UserOut) -> Actor:
        """The actor a logged-in user acts as. Inactive accounts act as nobody."""
        user_id = user if isinstance(user, int) else user.id
        with self.reading() as uow:
            row = active_account(uow.session, user_id)
            if row is None:
                raise NotFound(f"no active user {user_id}")
            return actor_from_user(row)


def active_account(session: Session, user_id: int, *, for_update: bool = False) -> User | None:
    """The account, unless there is none or it is deactivated: such an account acts as nobody.
    `for_update` locks its row until the transaction ends (a password or a second factor
    about to change)."""
    user = session.get(User, user_id, with_for_update=True if for_update else None)
    return user if user is not None and user.is_active else None


def actor_from_user(user: User) -> Actor:
    kind = {
        Role.CUSTOMER: ActorKind.CUSTOMER,
        Role.AGENT: ActorKind.AGENT,
        Role.ADMIN: ActorKind.ADMIN,
    }
    return Actor(
        kind=kind[user.role],
        user_id=user.id,
        organization_id=user.organization_id,
        email_key=user.email_key,
    )


# How forms say "no organization".
_NO_ORGANIZATION = (None, 0, "0", "none", "")


def admin_user_out(user: User, team_ids: list[int]) -> UserAdminOut:
    return UserAdminOut(
        **user_out(user).model_dump(),
        has_password=user.password_hash is not None,
        email_verified=user.email_verified_at is not None,
        team_ids=team_ids,
    )


def _team_ids(session: Session, user_ids: list[int]) -> dict[int, list[int]]:
    """The teams of each user, in one statement."""
    found: dict[int, list[int]] = {}
    if not user_ids:
        return found
    rows = session.execute(
        select(TeamMember.user_id, TeamMember.team_id)
        .where(TeamMember.user_id.in_(user_ids))
        .order_by(TeamMember.team_id)
    )
    for user_id, team_id in rows:
        found.setdefault(user_id, []).append(team_id)
    return found


def leave_staff(uow: UnitOfWork, actor: Actor, user: User) -> None:
    """What becoming a customer takes away: team memberships, places on organizations' staff
    lists, and the tickets assigned (unassigned with an audit record), so no staff email and
    no automatic assignment reaches a customer."""
    session = uow.session
    session.execute(delete(TeamMember).where(TeamMember.user_id == user.id))
    session.execute(delete(OrganizationStaff).where(OrganizationStaff.user_id == user.id))
    tickets = session.scalars(
        select(Ticket).where(Ticket.assignee_id == user.id).order_by(Ticket.id).with_for_update()
    ).all()
    now = uow.helpdesk.clock.now()
    for ticket in tickets:
        audit(uow, actor, ticket, "changed", "assignee", user.email, None)
        ticket.assignee = None
        ticket.updated_at = now
    session.flush()
    for ticket in tickets:
        uow.emit(
            "after_ticket_assigned",
            ticket=ticket_out(Actor.system(), ticket),
            assignee_id=None,
            actor=actor,
        )
