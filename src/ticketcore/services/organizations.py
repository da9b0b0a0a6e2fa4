"""Organizations: customer companies, their email domains and the staff assigned to them.

A domain belongs to one organization at most: a new customer whose address is at that domain
joins it. Assigned staff see the organization's tickets, and the first active one gets its new
tickets when `assignment` is `organization_then_round_robin`. An organization is deleted only
when no user, ticket or SLA policy refers to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..errors import Conflict, InvalidInput, NotFound
from ..models import (
    Organization,
    OrganizationDomain,
    OrganizationStaff,
    SlaPolicy,
    Ticket,
    User,
)
from ..permissions import Actor
from ..schemas import OrganizationCreate, OrganizationOut, OrganizationUpdate, parse
from .base import (
    FieldErrors,
    Service,
    count_phrase,
    find_organization,
    find_staff,
    require_admin,
    unique_slug,
)
from .convert import organization_out


class OrganizationService(Service):
    def create(
        self,
        actor: Actor,
        data: OrganizationCreate | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> OrganizationOut:
        require_admin(actor)
        values = parse(OrganizationCreate, data, fields)
        with self.transaction() as uow:
            session = uow.session
            _refuse_taken_domains(session, values.domains, None)
            org = Organization(
                name=values.name,
                slug=unique_slug(session, Organization, values.name),
                created_at=self.helpdesk.clock.now(),
            )
            org.domains = [OrganizationDomain(domain=d) for d in dict.fromkeys(values.domains)]
            org.staff = [
                OrganizationStaff(user_id=find_staff(session, ref, "staff").id, position=i)
                for i, ref in enumerate(values.staff)
            ]
            session.add(org)
            session.flush()
            return organization_out(org)

    def update(
        self,
        actor: Actor,
        organization: int | str,
        data: OrganizationUpdate | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> OrganizationOut:
        """Rename, or replace the domains or the staff list (in order: the first active one
        gets new tickets); only the fields given change. The slug stays, since settings and
        commands refer to it. A domain another organization lists is refused (`InvalidInput`
        on `domains`); users already in the organization stay when their domain is removed."""
        require_admin(actor)
        values = parse(OrganizationUpdate, data, fields)
        with self.transaction() as uow:
            session = uow.session
            org = _organization(session, organization)
            errors = FieldErrors()
            if values.domains is not None:
                errors.check(_refuse_taken_domains, session, values.domains, org.id)
            staff_ids: list[int] | None = None
            if values.staff is not None:
                found = [errors.check(find_staff, session, r, "staff") for r in values.staff]
                staff_ids = list(dict.fromkeys(u.id for u in found if u is not None))
            errors.raise_if_any()
            if values.name is not None:
                org.name = values.name
            # Rows that stay are kept, not re-created: SQLAlchemy inserts before it deletes,
            # which would trip the unique keys on a domain or a staff member kept.
            if values.domains is not None:
                wanted = list(dict.fromkeys(values.domains))
                org.domains = [d for d in org.domains if d.domain in wanted]
                kept = {d.domain for d in org.domains}
                org.domains.extend(OrganizationDomain(domain=d) for d in wanted if d not in kept)
            if staff_ids is not None:
                rows = {s.user_id: s for s in org.staff}
                org.staff = [rows.get(uid) or OrganizationStaff(user_id=uid) for uid in staff_ids]
                for position, row in enumerate(org.staff):
                    row.position = position
            session.flush()
            return organization_out(org)

    def delete(self, actor: Actor, organization: int | str) -> None:
        """Delete an organization no user, ticket or SLA policy refers to; else `Conflict`
        saying what still does."""
        require_admin(actor)
        with self.transaction() as uow:
            session = uow.session
            org = _organization(session, organization, lock=True)
            uses = [
                (_count(session, User.organization_id, org.id), "user", "users"),
                (_count(session, Ticket.organization_id, org.id), "ticket", "tickets"),
                (_count(session, SlaPolicy.organization_id, org.id), "SLA policy", "SLA policies"),
            ]
            in_use = count_phrase(uses)
            if in_use:
                raise Conflict(f"{org.name} cannot be deleted: it still has {in_use}.")
            session.delete(org)

    def get(self, ref: int | str) -> OrganizationOut:
        with self.reading() as uow:
            try:
                return organization_out(find_organization(uow.session, ref))
            except InvalidInput:
                raise NotFound(f"no organization {ref!r}") from None

    def names(self) -> dict[int, str]:
        """Every organization's name by id, in name order: what a filter or a choice needs,
        without the domains and staff that `list` loads for each."""
        with self.reading() as uow:
            query = select(Organization.id, Organization.name).order_by(Organization.name)
            return {row.id: row.name for row in uow.session.execute(query)}

    def list(self) -> list[OrganizationOut]:
        with self.reading() as uow:
            orgs = uow.session.scalars(
                select(Organization)
                .options(selectinload(Organization.domains), selectinload(Organization.staff))
                .order_by(Organization.name)
            ).all()
            return [organization_out(o) for o in orgs]


def _organization(session: Session, ref: int | str, *, lock: bool = False) -> Organization:
    """The organization to change; one that does not exist is not found (not a form error)."""
    try:
        org = find_organization(session, ref)
    except InvalidInput:
        raise NotFound(f"no organization {ref!r}") from None
    if lock:
        session.refresh(org, with_for_update=True)
    return org


def _refuse_taken_domains(session: Session, domains: list[str], own_id: int | None) -> None:
    """`InvalidInput` on `domains` naming each domain another organization already lists."""
    query = select(OrganizationDomain.domain).where(OrganizationDomain.domain.in_(domains))
    if own_id is not None:
        query = query.where(OrganizationDomain.organization_id != own_id)
    taken = session.scalars(query).all()
    if taken:
        raise InvalidInput(
            f"already used by another organization: {', '.join(sorted(taken))}",
            field="domains",
        )


def _count(session: Session, column: Any, organization_id: int) -> int:
    return session.scalar(select(func.count()).where(column == organization_id)) or 0
