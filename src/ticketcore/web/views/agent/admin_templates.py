"""Ticket templates in administration: the forms customers fill in, and their custom fields.

The field editor works without JavaScript: the existing fields are rows of inputs, followed by
three empty rows for new ones; a row is removed with its "Remove" box, and rows are ordered by
their "Order" numbers. Tickets keep the values they have when a field is renamed or removed.
"""

from __future__ import annotations

from typing import Any

from ....errors import Conflict, InvalidInput
from ....schemas import TemplateDetail, TemplateFieldUpdate, parse
from ...context import RequestContext
from ...forms import Form
from ...http import Response
from ...routing import Router
from ...templating import gettext_ as _

LIST_TEMPLATE = "ticketcore/agent/admin/templates.html"
FORM_TEMPLATE = "ticketcore/agent/admin/templates_form.html"
NEW_ROWS = 3
ROW_PARTS = ("id", "key", "label", "type", "required", "help_text", "options", "order", "remove")
SHOWN = ("name", "description", "is_active")


def register(router: Router, prefix: str) -> None:
    base = f"{prefix}/admin/templates"
    router.add(base, "agent.admin.templates", template_list)
    router.add(f"{base}/new", "agent.admin.template_new", new)
    router.add(f"{base}/new", "agent.admin.template_create", create, methods=("POST",))
    router.add(f"{base}/<int:template_id>", "agent.admin.template", edit)
    router.add(
        f"{base}/<int:template_id>", "agent.admin.template_update", update, methods=("POST",)
    )
    router.add(
        f"{base}/<int:template_id>/delete",
        "agent.admin.template_delete",
        delete,
        methods=("POST",),
    )


def field_types() -> list[tuple[str, str]]:
    """The types `FieldSpec` accepts, in words."""
    return [
        ("text", _("Text (one line)")),
        ("long_text", _("Long text")),
        ("number", _("Number")),
        ("select", _("Choice from a list")),
        ("checkbox", _("Checkbox")),
        ("date", _("Date")),
    ]


# ---------------------------------------------------------------- pages


def template_list(ctx: RequestContext) -> Response:
    return ctx.render(LIST_TEMPLATE, templates=ctx.helpdesk.templates.all(ctx.actor))


def new(ctx: RequestContext) -> Response:
    return _render_form(ctx, _blank_form(0), None)


def create(ctx: RequestContext) -> Response:
    form = ctx.form()
    fields = _read_rows(form)
    if form.ok:
        try:
            created = ctx.helpdesk.templates.create(
                ctx.actor,
                name=form["name"],
                description=form["description"],
                fields=[{k: v for k, v in f.items() if k != "id"} for f, _row in fields],
            )
        except InvalidInput as exc:
            _absorb(form, exc, fields)
        else:
            ctx.flash(_("Template “%(name)s” created.", name=created.name))
            return ctx.redirect("agent.admin.template", template_id=created.id)
    return _render_form(ctx, form, None, status=400)


def edit(ctx: RequestContext, template_id: int) -> Response:
    template = ctx.helpdesk.templates.detail(ctx.actor, template_id)
    return _render_form(ctx, _template_form(template), template)


def update(ctx: RequestContext, template_id: int) -> Response:
    templates = ctx.helpdesk.templates
    template = templates.detail(ctx.actor, template_id)  # NotFound before the form is read
    form = ctx.form()
    fields = _read_rows(form)
    if form.ok:
        try:
            saved = templates.update(
                ctx.actor,
                template.id,
                name=form["name"],
                description=form["description"],
                is_active=form["is_active"] == "1",
                fields=[f for f, _row in fields],
            )
        except InvalidInput as exc:
            _absorb(form, exc, fields)
        else:
            ctx.flash(_("Template “%(name)s” saved.", name=saved.name))
            return ctx.redirect("agent.admin.template", template_id=saved.id)
    return _render_form(ctx, form, template, status=400)


def delete(ctx: RequestContext, template_id: int) -> Response:
    templates = ctx.helpdesk.templates
    template = templates.detail(ctx.actor, template_id)
    try:
        templates.delete(ctx.actor, template.id)
    except Conflict:
        ctx.flash(
            _(
                "Tickets use the template “%(name)s”, so it cannot be deleted. Switch it off "
                "instead: they keep it, and new tickets no longer offer it.",
                name=template.name,
            ),
            "error",
        )
        return ctx.redirect("agent.admin.template", template_id=template.id)
    ctx.flash(_("Template “%(name)s” deleted.", name=template.name))
    return ctx.redirect("agent.admin.templates")


# ---------------------------------------------------------------- the field rows


def _blank_form(existing: int) -> Form:
    """Rows `existing`… as empty rows for new fields, numbered after the existing ones."""
    form = Form({"rows": str(existing + NEW_ROWS), "is_active": "1"})
    for row in range(existing, existing + NEW_ROWS):
        form.values[f"field-{row}-type"] = "text"
        form.values[f"field-{row}-order"] = str(row + 1)
    return form


def _template_form(template: TemplateDetail) -> Form:
    form = _blank_form(len(template.fields))
    form.values.update(
        name=template.name,
        description=template.description,
        is_active="1" if template.is_active else "",
    )
    for row, field in enumerate(template.fields):
        form.values.update(
            {
                f"field-{row}-id": str(field.id),
                f"field-{row}-key": field.key,
                f"field-{row}-label": field.label,
                f"field-{row}-type": field.type,
                f"field-{row}-required": "1" if field.required else "",
                f"field-{row}-help_text": field.help_text,
                f"field-{row}-options": "\n".join(field.options),
                f"field-{row}-order": str(row + 1),
            }
        )
    return form


def _read_rows(form: Form) -> list[tuple[dict[str, Any], int]]:
    """The fields to keep or add, each with the row it came from, in the order asked for.

    Each row is checked on its own here (so a message lands beside its input); the rules
    across rows, such as duplicate keys, are the core's.
    """
    try:
        count = min(int(form["rows"]), 500)
    except ValueError:
        count = 0
    rows: list[tuple[int, int, dict[str, Any]]] = []
    for row in range(count):
        part = {name: form[f"field-{row}-{name}"].strip() for name in ROW_PARTS}
        if part["remove"] or not (part["id"] or part["key"] or part["label"]):
            continue  # removed, or an empty row for a new field left empty
        values: dict[str, Any] = {
            "id": int(part["id"]) if part["id"].isdigit() else None,
            "key": part["key"],
            "label": part["label"],
            "type": part["type"],
            "required": part["required"] == "1",
            "help_text": part["help_text"],
            # One option per line; a field that is no select has none (typing them was moot).
            "options": [o.strip() for o in part["options"].splitlines() if o.strip()]
            if part["type"] == "select"
            else [],
        }
        try:
            order = int(part["order"] or row + 1)
        except ValueError:
            form.error(f"field-{row}-order", _("Enter a whole number."))
            order = row + 1
        try:
            parse(TemplateFieldUpdate, values, {})
        except InvalidInput as exc:
            for name, messages in exc.errors.items():
                if name == "key":
                    messages = [
                        _(
                            "Give the field a key: lower-case letters, digits and _, starting with a letter."
                        )
                    ]
                elif name == "label" and not values["label"]:
                    messages = [_("Give the field a label.")]
                for message in messages:
                    form.error(f"field-{row}-{name}", message)
        rows.append((order, row, values))
    rows.sort(key=lambda item: (item[0], item[1]))
    return [(values, row) for _order, row, values in rows]


def _absorb(form: Form, exc: InvalidInput, fields: list[tuple[dict[str, Any], int]]) -> None:
    """The core's errors beside their inputs: `fields.<n>.<part>` names the n-th field sent."""
    for name, messages in exc.errors.items():
        parts = name.split(".")
        if parts[0] == "fields" and len(parts) == 3 and parts[1].isdigit():
            row = fields[int(parts[1])][1]
            target = f"field-{row}-{'key' if parts[2] == 'id' else parts[2]}"
        else:
            target = parts[0] if parts[0] in SHOWN else ""
        for message in messages:
            form.error(target, message)


def _render_form(
    ctx: RequestContext, form: Form, template: TemplateDetail | None, status: int = 200
) -> Response:
    try:
        count = min(int(form["rows"]), 500)
    except ValueError:
        count = NEW_ROWS
    return ctx.render(
        FORM_TEMPLATE,
        status=status,
        form=form,
        ticket_template=template,
        # (row, whether it is a saved field): only those have a "Remove" box.
        rows=[(row, form[f"field-{row}-id"] != "") for row in range(count)],
        field_types=field_types(),
    )
