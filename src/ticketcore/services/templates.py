"""Ticket templates and their custom fields.

A ticket keeps the values it was given: editing its template later (a field's key renamed, a
field removed, the template switched off) changes what new tickets are asked, never what an
existing ticket says. That is why a template with tickets is switched off rather than deleted.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..errors import Conflict, InvalidInput, NotFound
from ..models import FieldType, TemplateField, Ticket, TicketTemplate
from ..permissions import Actor
from ..schemas import (
    FieldSpec,
    TemplateCreate,
    TemplateDetail,
    TemplateFieldDetail,
    TemplateOut,
    TemplateUpdate,
    parse,
)
from .base import Service, require_admin, unique_slug
from .convert import field_values, template_out


class TemplateService(Service):
    def create(
        self, actor: Actor, data: TemplateCreate | Mapping[str, Any] | None = None, **fields: Any
    ) -> TemplateOut:
        require_admin(actor)
        values = parse(TemplateCreate, data, fields)
        _check_fields(values.fields)
        with self.transaction() as uow:
            template = TicketTemplate(
                name=values.name,
                slug=unique_slug(uow.session, TicketTemplate, values.name),
                description=values.description,
                is_active=True,
                created_at=self.helpdesk.clock.now(),
            )
            template.fields = [_field(TemplateField(), s, i) for i, s in enumerate(values.fields)]
            uow.session.add(template)
            uow.session.flush()
            return template_out(template)

    def update(
        self,
        actor: Actor,
        template_id: int,
        data: TemplateUpdate | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> TemplateDetail:
        """Change what is given. `fields` replaces the whole list: a field keeps its row when
        its `id` is given (its key may change), rows left out are removed, rows without an id
        are added. Tickets keep the values they have under old keys. The slug never changes,
        so links that name the template keep working."""
        require_admin(actor)
        values = parse(TemplateUpdate, data, fields)
        if values.fields is not None:
            _check_fields(values.fields)
        with self.transaction() as uow:
            session = uow.session
            template = _load(session, template_id)
            if values.name is not None:
                template.name = values.name
            if values.description is not None:
                template.description = values.description
            if values.is_active is not None:
                template.is_active = values.is_active
            if values.fields is not None:
                _replace_fields(session, template, values.fields)
            session.flush()
            return _detail(template, _ticket_counts(session, [template.id]))

    def delete(self, actor: Actor, template_id: int) -> None:
        """Only a template no ticket used: the others are switched off (`is_active=False`)."""
        require_admin(actor)
        with self.transaction() as uow:
            session = uow.session
            template = _load(session, template_id)
            used = _ticket_counts(session, [template.id]).get(template.id, 0)
            if used:
                raise Conflict(
                    f"{used} ticket(s) use the template {template.name!r}; switch it off "
                    "instead, so they keep it"
                )
            session.delete(template)

    def get(self, ref: int | str) -> TemplateOut:
        """A template by id or slug, switched off or not: a ticket's page still shows the
        labels of the template it was opened with."""
        with self.reading() as uow:
            template = _by_ref(uow.session, ref)
            if template is None:
                raise NotFound(f"no template {ref!r}")
            return template_out(template)

    def list(self) -> builtins.list[TemplateOut]:
        """The templates offered for new tickets."""
        with self.reading() as uow:
            rows = uow.session.scalars(
                select(TicketTemplate)
                .where(TicketTemplate.is_active.is_(True))
                .order_by(TicketTemplate.name)
            ).all()
            return [template_out(t) for t in rows]

    def all(self, actor: Actor) -> builtins.list[TemplateDetail]:
        """Every template, switched off or not, by name (administration)."""
        require_admin(actor)
        with self.reading() as uow:
            session = uow.session
            rows = session.scalars(
                select(TicketTemplate).options(selectinload(TicketTemplate.fields))
            ).all()
            counts = _ticket_counts(session, [t.id for t in rows])
            # Sorted here: databases disagree on how capitals and accents sort.
            ordered = sorted(rows, key=lambda t: (t.name.casefold(), t.name, t.id))
            return [_detail(t, counts) for t in ordered]

    def detail(self, actor: Actor, template_id: int) -> TemplateDetail:
        require_admin(actor)
        with self.reading() as uow:
            template = _load(uow.session, template_id)
            return _detail(template, _ticket_counts(uow.session, [template.id]))


# ---------------------------------------------------------------- fields


def _check_fields(specs: Sequence[FieldSpec]) -> None:
    """Rules across fields, all reported at once under `fields.<index>.<part>`."""
    errors: dict[str, list[str]] = {}
    keys: set[str] = set()
    ids: set[int] = set()
    for i, spec in enumerate(specs):
        if spec.key in keys:
            errors[f"fields.{i}.key"] = [f"duplicate key {spec.key!r}"]
        keys.add(spec.key)
        field_id = getattr(spec, "id", None)
        if field_id is not None:
            if field_id in ids:
                errors[f"fields.{i}.id"] = ["the same field is listed twice"]
            ids.add(field_id)
        problem = _options_problem(spec)
        if problem:
            errors[f"fields.{i}.options"] = [problem]
    if errors:
        raise InvalidInput(errors)


def _options_problem(spec: FieldSpec) -> str | None:
    if spec.type != "select":
        return "only a select field has options" if spec.options else None
    if not spec.options:
        return "a select field needs options"
    if any(not option for option in spec.options):
        return "an option cannot be empty"
    seen: set[str] = set()
    for option in spec.options:
        if option in seen:
            return f"duplicate option {option!r}"
        seen.add(option)
    return None


def _field(row: TemplateField, spec: FieldSpec, position: int) -> TemplateField:
    row.key = spec.key
    row.label = spec.label
    row.type = FieldType(spec.type)
    row.required = spec.required
    row.help_text = spec.help_text
    row.options = list(spec.options)
    row.position = position
    return row


def _replace_fields(session: Session, template: TicketTemplate, specs: Sequence[Any]) -> None:
    existing = {f.id: f for f in template.fields}
    unknown = {
        f"fields.{i}.id": ["not a field of this template"]
        for i, spec in enumerate(specs)
        if spec.id is not None and spec.id not in existing
    }
    if unknown:
        raise InvalidInput(unknown)
    kept = {spec.id for spec in specs if spec.id is not None}
    # Removed rows go first, and renamed ones pass through a key no field can have, so that
    # keys may move between fields (a swap, a new field taking a removed one's key) without
    # breaking the unique key of a template's fields halfway through.
    template.fields = [f for f in template.fields if f.id in kept]
    session.flush()
    renamed = [existing[s.id] for s in specs if s.id is not None and existing[s.id].key != s.key]
    for row in renamed:
        row.key = f"~{row.id}"
    if renamed:
        session.flush()
    template.fields = [
        _field(existing[s.id] if s.id is not None else TemplateField(), s, i)
        for i, s in enumerate(specs)
    ]


# ---------------------------------------------------------------- loading


def _by_ref(session: Session, ref: int | str) -> TicketTemplate | None:
    if isinstance(ref, int) or ref.isdigit():
        return session.get(TicketTemplate, int(ref))
    return session.scalar(select(TicketTemplate).where(TicketTemplate.slug == ref.strip().lower()))


def _load(session: Session, template_id: int) -> TicketTemplate:
    template = session.get(TicketTemplate, template_id)
    if template is None:
        raise NotFound(f"no template {template_id}")
    return template


def _ticket_counts(session: Session, template_ids: Sequence[int]) -> dict[int, int]:
    if not template_ids:
        return {}
    rows = session.execute(
        select(Ticket.template_id, func.count())
        .where(Ticket.template_id.in_(template_ids))
        .group_by(Ticket.template_id)
    ).all()
    return {template_id: count for template_id, count in rows if template_id is not None}


def _detail(template: TicketTemplate, counts: Mapping[int, int]) -> TemplateDetail:
    return TemplateDetail(
        **template_out(template).model_dump(exclude={"fields"}),
        fields=[TemplateFieldDetail(id=f.id, **field_values(f)) for f in template.fields],
        ticket_count=counts.get(template.id, 0),
    )
