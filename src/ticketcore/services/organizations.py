"""Organizations: customer companies, their email domains and the staff assigned to them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from ..errors import InvalidInput, NotFound
from ..models import Organization, OrganizationDomain, OrganizationStaff
from ..permissions import Actor
from ..schemas import OrganizationCreate, OrganizationOut, parse
from .base import Service, find_organization, find_staff, require_admin, unique_slug
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
            taken = session.scalars(
                select(OrganizationDomain.domain).where(
                    OrganizationDomain.domain.in_(values.domains)
                )
            ).all()
            if taken:
                raise InvalidInput(
                    f"already used by another organization: {', '.join(sorted(taken))}",
                    field="domains",
                )
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

    def get(self, ref: int | str) -> OrganizationOut:
        with self.reading() as uow:
            try:
                return organization_out(find_organization(uow.session, ref))
            except InvalidInput:
                raise NotFound(f"no organization {ref!r}") from None

    def list(self) -> list[OrganizationOut]:
        with self.reading() as uow:
            orgs = uow.session.scalars(select(Organization).order_by(Organization.name)).all()
            return [organization_out(o) for o in orgs]
