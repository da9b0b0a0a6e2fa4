"""Ticket templates and their custom fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from ..errors import InvalidInput, NotFound
from ..models import FieldType, TemplateField, TicketTemplate
from ..permissions import Actor
from ..schemas import TemplateCreate, TemplateOut, parse
from .base import Service, find_template, require_admin, unique_slug
from .convert import template_out


class TemplateService(Service):
    def create(
        self, actor: Actor, data: TemplateCreate | Mapping[str, Any] | None = None, **fields: Any
    ) -> TemplateOut:
        require_admin(actor)
        values = parse(TemplateCreate, data, fields)
        errors: dict[str, list[str]] = {}
        seen: set[str] = set()
        for i, spec in enumerate(values.fields):
            if spec.key in seen:
                errors[f"fields.{i}.key"] = [f"duplicate key {spec.key!r}"]
            seen.add(spec.key)
            if spec.type == "select" and not spec.options:
                errors[f"fields.{i}.options"] = ["a select field needs options"]
        if errors:
            raise InvalidInput(errors)
        with self.transaction() as uow:
            template = TicketTemplate(
                name=values.name,
                slug=unique_slug(uow.session, TicketTemplate, values.name),
                description=values.description,
                is_active=True,
                created_at=self.helpdesk.clock.now(),
            )
            template.fields = [
                TemplateField(
                    key=s.key,
                    label=s.label,
                    type=FieldType(s.type),
                    required=s.required,
                    help_text=s.help_text,
                    options=s.options,
                    position=i,
                )
                for i, s in enumerate(values.fields)
            ]
            uow.session.add(template)
            uow.session.flush()
            return template_out(template)

    def get(self, ref: int | str) -> TemplateOut:
        with self.reading() as uow:
            try:
                return template_out(find_template(uow.session, ref))
            except InvalidInput:
                raise NotFound(f"no template {ref!r}") from None

    def list(self) -> list[TemplateOut]:
        with self.reading() as uow:
            rows = uow.session.scalars(
                select(TicketTemplate)
                .where(TicketTemplate.is_active.is_(True))
                .order_by(TicketTemplate.name)
            ).all()
            return [template_out(t) for t in rows]
