"""What every service shares: the helpdesk it serves and how to resolve references."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import InvalidInput, NotFound
from ..models import Calendar, Organization, Role, Team, TicketTemplate, User
from ..permissions import Actor, ActorKind
from ..schemas import email_key
from ..settings import Settings
from ..workflow import Priority
from .unit_of_work import UnitOfWork, unit_of_work

if TYPE_CHECKING:
    from ..helpdesk import Helpdesk


class Service:
    def __init__(self, helpdesk: Helpdesk) -> None:
        self.helpdesk = helpdesk

    @property
    def settings(self) -> Settings:
        return self.helpdesk.settings

    def transaction(self) -> AbstractContextManager[UnitOfWork]:
        return unit_of_work(self.helpdesk)

    def reading(self) -> AbstractContextManager[UnitOfWork]:
        """A transaction that only reads (on SQLite it never waits for a writer)."""
        return unit_of_work(self.helpdesk, read_only=True)


def find_user(session: Session, ref: int | str, field: str) -> User:
    """A user by id or email; `InvalidInput` on `field` when there is none."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        user = session.get(User, int(ref))
    else:
        user = session.scalar(select(User).where(User.email_key == email_key(ref.strip())))
    if user is None:
        raise InvalidInput(f"unknown user {ref!r}", field=field)
    return user


def find_staff(session: Session, ref: int | str, field: str) -> User:
    user = find_user(session, ref, field)
    if user.role not in (Role.AGENT, Role.ADMIN):
        raise InvalidInput(f"{user.email} is not an agent", field=field)
    return user


def find_team(session: Session, ref: int | str, field: str = "team") -> Team:
    team = _by_id_or_slug(session, Team, ref)
    if team is None:
        raise InvalidInput(f"unknown team {ref!r}", field=field)
    return team


def find_organization(
    session: Session, ref: int | str, field: str = "organization"
) -> Organization:
    org = _by_id_or_slug(session, Organization, ref)
    if org is None:
        raise InvalidInput(f"unknown organization {ref!r}", field=field)
    return org


def find_template(session: Session, ref: int | str, field: str = "template") -> TicketTemplate:
    template = _by_id_or_slug(session, TicketTemplate, ref)
    if template is None or not template.is_active:
        raise InvalidInput(f"unknown template {ref!r}", field=field)
    return template


_Sluggable = TypeVar("_Sluggable", Team, Organization, TicketTemplate, Calendar)


def _by_id_or_slug(session: Session, model: type[_Sluggable], ref: int | str) -> _Sluggable | None:
    if isinstance(ref, int) or ref.isdigit():
        return session.get(model, int(ref))
    return session.scalar(select(model).where(model.slug == ref.strip().lower()))


def find_calendar(session: Session, ref: int | str, field: str = "calendar") -> Calendar:
    calendar = _by_id_or_slug(session, Calendar, ref)
    if calendar is None:
        raise InvalidInput(f"unknown calendar {ref!r}", field=field)
    return calendar


def parse_priority(value: str | int | Priority) -> Priority:
    """A priority by name or rank, else `InvalidInput` on `priority` listing the choices."""
    try:
        return Priority.parse(value)
    except (KeyError, ValueError):
        raise InvalidInput(
            "must be one of: " + ", ".join(p.name.lower() for p in Priority), field="priority"
        ) from None


def require_admin(actor: Actor) -> None:
    """Configuration is for admins (and the system); to anyone else it does not exist."""
    if actor.kind not in (ActorKind.SYSTEM, ActorKind.ADMIN):
        raise NotFound("not found")


class FieldErrors:
    """Collects field errors from several checks so a form shows all of them at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def check(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InvalidInput as exc:
            for key, messages in exc.errors.items():
                self.errors.setdefault(key, []).extend(messages)
            return None

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)


def unique_slug(session: Session, model: Any, base: str) -> str:
    """`base`, or `base-2`, `base-3`… whichever is free."""
    from slugify import slugify

    root = slugify(base, max_length=180) or "item"
    taken = set(
        session.scalars(select(model.slug).where(func.lower(model.slug).like(f"{root}%"))).all()
    )
    slug, n = root, 1
    while slug in taken:
        n += 1
        slug = f"{root}-{n}"
    return slug


def count_phrase(counts: list[tuple[int, str, str]]) -> str:
    """ "2 tickets and 1 SLA policy" from (count, singular, plural) triples; zeros left out."""
    parts = [f"{n} {one if n == 1 else many}" for n, one, many in counts if n]
    return " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)
