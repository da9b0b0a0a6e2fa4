"""SLA policies and business calendars in administration.

Targets are typed in hours and minutes, opening hours as "09:00-17:00" per weekday, holidays
as dated rows. Both the policy form and the calendar page preview what a ticket opened now
would be promised, computed by the core's SLA maths — so an admin sees the effect of a holiday
or a late opening before a customer does. Saving changes new tickets only, unless the admin asks
for open tickets' deadlines to be recalculated.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from markupsafe import Markup

from ....errors import Conflict, InvalidInput
from ....schemas import CalendarDetail, SlaPolicyOut
from ....sla import text
from ....sla.calendar import DAYS
from ....workflow import Priority
from ...context import RequestContext
from ...forms import Form
from ...http import Response
from ...routing import Router
from ...templating import gettext_ as _

INDEX_TEMPLATE = "ticketcore/agent/admin/sla.html"
POLICY_TEMPLATE = "ticketcore/agent/admin/sla_policy.html"
CALENDAR_TEMPLATE = "ticketcore/agent/admin/calendar.html"
NEW_HOLIDAY_ROWS = 3
POLICY_FIELDS = (
    "name",
    "response_hours",
    "response_minutes",
    "resolution_hours",
    "resolution_minutes",
    "calendar",
    "priority",
    "team",
    "organization",
    "is_default",
)
TARGET_FIELDS = {
    "first_response_minutes": "response_hours",
    "resolution_minutes": "resolution_hours",
}
_WINDOW = re.compile(r"([0-9]{1,2}):([0-9]{2})\s*[-–]\s*([0-9]{1,2}):([0-9]{2})")  # noqa: RUF001
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_YEARLY = re.compile(r"([0-9]{2})-([0-9]{2})")
# Attributes of the number inputs for hours and minutes (constants, not user text).
NUMBER_ATTRS = {"count_attrs": Markup('min="0"'), "minute_attrs": Markup('min="0" max="59"')}


def register(router: Router, prefix: str) -> None:
    base = f"{prefix}/admin/sla"
    policy = f"{base}/policies/<int:policy_id>"
    calendar = f"{base}/calendars/<int:calendar_id>"
    post = ("POST",)
    router.add(base, "agent.admin.sla", sla_index)
    router.add(f"{base}/policies/new", "agent.admin.sla_policy_new", policy_new)
    router.add(f"{base}/policies/new", "agent.admin.sla_policy_create", policy_create, methods=post)
    router.add(policy, "agent.admin.sla_policy", policy_edit)
    router.add(policy, "agent.admin.sla_policy_update", policy_update, methods=post)
    router.add(f"{policy}/move", "agent.admin.sla_policy_move", policy_move, methods=post)
    router.add(f"{policy}/delete", "agent.admin.sla_policy_delete", policy_delete, methods=post)
    router.add(f"{base}/calendars/new", "agent.admin.sla_calendar_new", calendar_new)
    router.add(
        f"{base}/calendars/new", "agent.admin.sla_calendar_create", calendar_create, methods=post
    )
    router.add(calendar, "agent.admin.sla_calendar", calendar_edit)
    router.add(calendar, "agent.admin.sla_calendar_update", calendar_update, methods=post)
    router.add(
        f"{calendar}/delete", "agent.admin.sla_calendar_delete", calendar_delete, methods=post
    )


# ---------------------------------------------------------------- the overview


def sla_index(ctx: RequestContext) -> Response:
    helpdesk = ctx.helpdesk
    calendars = helpdesk.sla.calendars(ctx.actor)
    calendar_names = {c.id: c.name for c in calendars}
    teams = helpdesk.teams.names()
    organizations = helpdesk.organizations.names()
    policies = helpdesk.sla.policies()
    movable = [p.id for p in policies if not p.is_default]
    rows = [
        {
            "policy": p,
            "conditions": _conditions(p, teams, organizations),
            "response": _duration(ctx, p.first_response_minutes),
            "resolution": _duration(ctx, p.resolution_minutes),
            "calendar": calendar_names.get(p.calendar_id or 0, _("Around the clock (UTC)")),
            "up": not p.is_default and movable.index(p.id) > 0,
            "down": not p.is_default and movable.index(p.id) < len(movable) - 1,
        }
        for p in policies
    ]
    return ctx.render(
        INDEX_TEMPLATE,
        rows=rows,
        calendars=[(c, _zone_of(c)) for c in calendars],
    )


def _conditions(policy: SlaPolicyOut, teams: dict[int, str], orgs: dict[int, str]) -> str:
    if policy.is_default:
        return _("Every ticket no other policy matches")
    parts = []
    if policy.priority is not None:
        parts.append(_("Priority: %(value)s", value=_(policy.priority.label)))
    if policy.team_id is not None:
        parts.append(_("Team: %(value)s", value=teams.get(policy.team_id, "?")))
    if policy.organization_id is not None:
        parts.append(_("Organization: %(value)s", value=orgs.get(policy.organization_id, "?")))
    return " · ".join(parts) if parts else _("Every ticket")


def _duration(ctx: RequestContext, minutes: int | None) -> str:
    if minutes is None:
        return _("No target")
    if minutes == 0:
        return _("At once")
    return text.describe_duration(minutes, ctx.user.locale if ctx.user else "en")


def _zone_of(calendar: CalendarDetail) -> str:
    return str(calendar.definition.get("timezone", "UTC"))


# ---------------------------------------------------------------- policies


def policy_new(ctx: RequestContext) -> Response:
    return _render_policy(ctx, ctx.form(), None)


def policy_create(ctx: RequestContext) -> Response:
    form = ctx.form()
    values = _read_policy(form)
    if form["action"] == "preview":
        return _render_policy(ctx, form, None, preview_values=values)
    _require_name(form, _("Give the policy a name."))
    if form.ok:
        try:
            created = ctx.helpdesk.sla.create_policy(ctx.actor, **values)
        except InvalidInput as exc:
            form.absorb(exc, fields=TARGET_FIELDS, shown=POLICY_FIELDS)
        else:
            ctx.flash(_("SLA policy “%(name)s” created.", name=created.name))
            return ctx.redirect("agent.admin.sla")
    return _render_policy(ctx, form, None, status=400)


def policy_edit(ctx: RequestContext, policy_id: int) -> Response:
    policy = ctx.helpdesk.sla.policy(ctx.actor, policy_id)
    response_hours, response_minutes = _split(policy.first_response_minutes)
    resolution_hours, resolution_minutes = _split(policy.resolution_minutes)
    form = ctx.form(
        name=policy.name,
        response_hours=response_hours,
        response_minutes=response_minutes,
        resolution_hours=resolution_hours,
        resolution_minutes=resolution_minutes,
        calendar=policy.calendar_id or "",
        priority=policy.priority.name.lower() if policy.priority is not None else "",
        team=policy.team_id or "",
        organization=policy.organization_id or "",
        is_default="1" if policy.is_default else "",
    )
    return _render_policy(ctx, form, policy, preview_values={"policy": policy.id})


def policy_update(ctx: RequestContext, policy_id: int) -> Response:
    sla = ctx.helpdesk.sla
    policy = sla.policy(ctx.actor, policy_id)  # NotFound before the form is read
    form = ctx.form()
    values = _read_policy(form)
    if form["action"] == "preview":
        return _render_policy(ctx, form, policy, preview_values=values)
    _require_name(form, _("Give the policy a name."))
    if form.ok:
        recalculate = form["recalculate"] == "1"
        try:
            saved = sla.update_policy(
                ctx.actor, policy.id, **values, recalculate_open_tickets=recalculate
            )
        except InvalidInput as exc:
            form.absorb(exc, fields=TARGET_FIELDS, shown=POLICY_FIELDS)
        else:
            if recalculate:
                ctx.flash(
                    _(
                        "SLA policy “%(name)s” saved; open tickets under it have new deadlines.",
                        name=saved.name,
                    )
                )
            else:
                ctx.flash(_("SLA policy “%(name)s” saved.", name=saved.name))
            return ctx.redirect("agent.admin.sla")
    return _render_policy(ctx, form, policy, status=400)


def policy_move(ctx: RequestContext, policy_id: int) -> Response:
    direction = ctx.request.form.get("direction")
    ctx.helpdesk.sla.move_policy(ctx.actor, policy_id, "up" if direction == "up" else "down")
    return ctx.redirect("agent.admin.sla")


def policy_delete(ctx: RequestContext, policy_id: int) -> Response:
    sla = ctx.helpdesk.sla
    policy = sla.policy(ctx.actor, policy_id)
    if sla.delete_policy(ctx.actor, policy.id):
        ctx.flash(_("SLA policy “%(name)s” deleted.", name=policy.name))
    else:
        ctx.flash(
            _(
                "SLA policy “%(name)s” removed. Tickets that had it keep their deadlines.",
                name=policy.name,
            )
        )
    return ctx.redirect("agent.admin.sla")


def _require_name(form: Form, message: str) -> None:
    if not form["name"].strip():
        form.error("name", message)


def _split(minutes: int | None) -> tuple[str, str]:
    if minutes is None:
        return "", ""
    hours, rest = divmod(minutes, 60)
    return str(hours), str(rest)


def _read_policy(form: Form) -> dict[str, Any]:
    """The core's fields from the form; errors in `form` for targets that are not numbers."""
    return {
        "name": form["name"],
        "first_response_minutes": _target(form, "response"),
        "resolution_minutes": _target(form, "resolution"),
        "calendar": _ref(form["calendar"]),
        "priority": form["priority"].strip() or None,
        "team": _ref(form["team"]),
        "organization": _ref(form["organization"]),
        "is_default": form["is_default"] == "1",
    }


def _target(form: Form, prefix: str) -> int | None:
    """Hours and minutes as minutes; both empty: no target."""
    hours_text = form[f"{prefix}_hours"].strip()
    minutes_text = form[f"{prefix}_minutes"].strip()
    if not hours_text and not minutes_text:
        return None
    hours = int(hours_text) if hours_text.isdigit() else None
    minutes = int(minutes_text) if minutes_text.isdigit() else None
    if hours_text and hours is None:
        form.error(f"{prefix}_hours", _("Enter a whole number of hours."))
    if minutes_text and (minutes is None or minutes > 59):
        form.error(f"{prefix}_minutes", _("Enter minutes from 0 to 59."))
        return None
    return (hours or 0) * 60 + (minutes or 0)


def _ref(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() else None


def _render_policy(
    ctx: RequestContext,
    form: Form,
    policy: SlaPolicyOut | None,
    *,
    preview_values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    helpdesk = ctx.helpdesk
    preview = None
    if preview_values is not None and form.ok:
        preview = _preview(ctx, form, preview_values)
    return ctx.render(
        POLICY_TEMPLATE,
        status=status,
        **NUMBER_ATTRS,
        form=form,
        policy=policy,
        preview=preview,
        calendars=[("", _("Around the clock (UTC)"))]
        + [(str(c.id), c.name) for c in helpdesk.sla.calendars(ctx.actor)],
        priorities=[("", _("Any priority"))]
        + [(p.name.lower(), _(p.label)) for p in sorted(Priority, reverse=True)],
        teams=[("", _("Any team"))]
        + [(str(i), name) for i, name in helpdesk.teams.names().items()],
        organizations=[("", _("Any organization"))]
        + [(str(i), name) for i, name in helpdesk.organizations.names().items()],
    )


def _preview(
    ctx: RequestContext, form: Form, values: dict[str, Any]
) -> tuple[datetime | None, datetime | None] | None:
    """A saved policy's deadlines, or those of the targets typed into the form."""
    try:
        if "policy" in values:
            return ctx.helpdesk.sla.preview(ctx.actor, policy=values["policy"])
        return ctx.helpdesk.sla.preview(
            ctx.actor,
            first_response_minutes=values["first_response_minutes"],
            resolution_minutes=values["resolution_minutes"],
            calendar=values["calendar"],
        )
    except InvalidInput as exc:
        form.absorb(exc, fields=TARGET_FIELDS, shown=POLICY_FIELDS)
        return None


# ---------------------------------------------------------------- calendars


def calendar_new(ctx: RequestContext) -> Response:
    form = _calendar_form(None)
    return _render_calendar(ctx, form, None)


def calendar_create(ctx: RequestContext) -> Response:
    form = ctx.form()
    definition = _read_calendar(form)
    _require_name(form, _("Give the calendar a name."))
    if form.ok:
        try:
            created = ctx.helpdesk.sla.create_calendar(
                ctx.actor, name=form["name"], definition=definition
            )
        except InvalidInput as exc:
            _absorb_calendar(form, exc)
        else:
            ctx.flash(_("Calendar “%(name)s” created.", name=created.name))
            return ctx.redirect("agent.admin.sla_calendar", calendar_id=created.id)
    return _render_calendar(ctx, form, None, status=400)


def calendar_edit(ctx: RequestContext, calendar_id: int) -> Response:
    calendar = ctx.helpdesk.sla.calendar_detail(ctx.actor, calendar_id)
    return _render_calendar(ctx, _calendar_form(calendar), calendar)


def calendar_update(ctx: RequestContext, calendar_id: int) -> Response:
    sla = ctx.helpdesk.sla
    calendar = sla.calendar_detail(ctx.actor, calendar_id)
    form = ctx.form()
    definition = _read_calendar(form)
    _require_name(form, _("Give the calendar a name."))
    if form.ok:
        recalculate = form["recalculate"] == "1"
        try:
            saved = sla.update_calendar(
                ctx.actor,
                calendar.id,
                name=form["name"],
                definition=definition,
                recalculate_open_tickets=recalculate,
            )
        except InvalidInput as exc:
            _absorb_calendar(form, exc)
        else:
            if recalculate:
                ctx.flash(
                    _(
                        "Calendar “%(name)s” saved; open tickets following it have new deadlines.",
                        name=saved.name,
                    )
                )
            else:
                ctx.flash(_("Calendar “%(name)s” saved.", name=saved.name))
            return ctx.redirect("agent.admin.sla_calendar", calendar_id=saved.id)
    return _render_calendar(ctx, form, calendar, status=400)


def calendar_delete(ctx: RequestContext, calendar_id: int) -> Response:
    sla = ctx.helpdesk.sla
    calendar = sla.calendar_detail(ctx.actor, calendar_id)
    try:
        sla.delete_calendar(ctx.actor, calendar.id)
    except Conflict:
        ctx.flash(
            _(
                "SLA policies use the calendar “%(name)s” (or did, for tickets still open), so "
                "it cannot be deleted.",
                name=calendar.name,
            ),
            "error",
        )
        return ctx.redirect("agent.admin.sla_calendar", calendar_id=calendar.id)
    ctx.flash(_("Calendar “%(name)s” deleted.", name=calendar.name))
    return ctx.redirect("agent.admin.sla")


def _calendar_form(calendar: CalendarDetail | None) -> Form:
    definition: dict[str, Any] = (
        calendar.definition
        if calendar is not None
        else {
            "timezone": "UTC",
            "hours": {day: [["09:00", "17:00"]] for day in DAYS[:5]},
            "holidays": [],
        }
    )
    holidays = definition.get("holidays", [])
    values = {
        "name": calendar.name if calendar is not None else "",
        "timezone": str(definition.get("timezone", "UTC")),
        "holiday_rows": str(len(holidays) + NEW_HOLIDAY_ROWS),
    }
    for day in DAYS:
        windows = definition.get("hours", {}).get(day) or []
        values[f"hours_{day}"] = ", ".join(f"{a}-{b}" for a, b in windows)
    for row, holiday in enumerate(holidays):
        named = isinstance(holiday, dict)
        values[f"holiday-{row}-date"] = str(holiday["date"] if named else holiday)
        values[f"holiday-{row}-name"] = str(holiday.get("name", "")) if named else ""
    return Form(values)


def _read_calendar(form: Form) -> dict[str, Any]:
    """The definition the core reads; errors in `form` for hours or dates it cannot parse."""
    hours: dict[str, list[list[str]]] = {}
    for day in DAYS:
        windows = []
        for part in filter(None, (p.strip() for p in form[f"hours_{day}"].split(","))):
            match = _WINDOW.fullmatch(part)
            if match is None:
                form.error(
                    f"hours_{day}",
                    _("Write opening hours as 09:00-17:00; separate several with commas."),
                )
                break
            a, b, c, d = match.groups()
            windows.append([f"{int(a):02d}:{b}", f"{int(c):02d}:{d}"])
        hours[day] = windows
    holidays: list[Any] = []
    for row in range(_rows(form, "holiday_rows")):
        day = form[f"holiday-{row}-date"].strip()
        name = form[f"holiday-{row}-name"].strip()
        if form[f"holiday-{row}-remove"] or not (day or name):
            continue
        if not _is_holiday(day):
            form.error(
                f"holiday-{row}-date",
                _("Enter a date as YYYY-MM-DD, or MM-DD for a holiday every year."),
            )
            continue
        holidays.append({"date": day, "name": name} if name else day)
    return {"timezone": form["timezone"].strip(), "hours": hours, "holidays": holidays}


def _is_holiday(value: str) -> bool:
    try:
        if _DATE.fullmatch(value):
            date.fromisoformat(value)
            return True
        match = _YEARLY.fullmatch(value)
        if match:
            date(2024, int(match.group(1)), int(match.group(2)))  # 2024: 02-29 exists
            return True
    except ValueError:
        pass
    return False


def _rows(form: Form, name: str) -> int:
    try:
        return max(0, min(int(form[name]), 500))
    except ValueError:
        return 0


def _absorb_calendar(form: Form, exc: InvalidInput) -> None:
    """`definition.hours.mon` belongs beside Monday's hours, `definition.timezone` beside the
    zone; what concerns all hours or all holidays goes above their group."""
    for name, messages in exc.errors.items():
        parts = name.split(".")
        if parts[0] == "name":
            target = "name"
        elif parts[:2] == ["definition", "hours"] and len(parts) == 3:
            target = f"hours_{parts[2]}"
        elif parts[0] == "definition" and len(parts) == 2:
            target = parts[1]
        else:
            target = ""
        for message in messages:
            form.error(target, message)


@cache
def _timezones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def _render_calendar(
    ctx: RequestContext, form: Form, calendar: CalendarDetail | None, status: int = 200
) -> Response:
    helpdesk = ctx.helpdesk
    locale = ctx.user.locale if ctx.user else "en"
    policies: list[tuple[SlaPolicyOut, tuple[datetime | None, datetime | None]]] = []
    summary = None
    trial = Form(ctx.request.query.to_dict())
    trial_preview = None
    if calendar is not None:
        business = helpdesk.sla.calendar(calendar.id)
        summary = text.working_hours_line(business, helpdesk.clock.now(), locale=locale)
        policies = [
            (p, helpdesk.sla.preview(ctx.actor, policy=p.id))
            for p in helpdesk.sla.policies()
            if p.calendar_id == calendar.id
        ]
        if any(trial[k] for k in ("response_hours", "response_minutes", "resolution_hours")):
            response = _target(trial, "response")
            resolution = _target(trial, "resolution")
            if trial.ok:
                trial_preview = helpdesk.sla.preview(
                    ctx.actor,
                    first_response_minutes=response,
                    resolution_minutes=resolution,
                    calendar=calendar.id,
                )
    return ctx.render(
        CALENDAR_TEMPLATE,
        status=status,
        **NUMBER_ATTRS,
        form=form,
        calendar=calendar,
        days=[(day, name) for day, name in zip(DAYS, _day_names(), strict=True)],
        holiday_rows=[
            (row, row < _saved_holidays(calendar)) for row in range(_rows(form, "holiday_rows"))
        ],
        timezones=[(zone, zone) for zone in _timezones()],
        summary=summary,
        policies=policies,
        trial=trial,
        trial_preview=trial_preview,
    )


def _saved_holidays(calendar: CalendarDetail | None) -> int:
    return len(calendar.definition.get("holidays", [])) if calendar is not None else 0


def _day_names() -> list[str]:
    return [
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    ]
