"""Tasks: the agents' to-do list, each task with the tickets it belongs to.

Every agent sees every task (they are team work, not tickets); the tickets listed beside a task
are only those the agent may see, which the core decides. The form helpers here are shared with
the ticket page, where a task is created straight onto a ticket.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ....errors import InvalidInput
from ...context import RequestContext
from ...forms import Form
from ...http import Response
from ...routing import Router
from ...templating import gettext_ as _

LIST_TEMPLATE = "ticketcore/agent/tasks.html"
TASK_TEMPLATE = "ticketcore/agent/task.html"
TASK_FIELDS = ("title", "due_on", "done")


def register(router: Router, prefix: str) -> None:
    router.add(f"{prefix}/tasks", "agent.tasks", task_list)
    router.add(f"{prefix}/tasks", "agent.task_create", create, methods=("POST",))
    router.add(f"{prefix}/tasks/<int:task_id>", "agent.task", show)
    router.add(f"{prefix}/tasks/<int:task_id>", "agent.task_update", update, methods=("POST",))


# ---------------------------------------------------------------- form reading


def read_task_form(form: Form) -> dict[str, Any]:
    """The title and due date typed into `form`, or errors in it for what the core would only
    explain in its own words (an empty title, a date that is not one)."""
    title = form["title"].strip()
    if not title:
        form.error("title", _("Give the task a title."))
    due = form["due_on"].strip()
    due_on: date | None = None
    if due:
        try:
            due_on = date.fromisoformat(due)
        except ValueError:
            form.error("due_on", _("Enter the due date as YYYY-MM-DD, for example 2026-12-31."))
    return {"title": title, "due_on": due_on}


# ---------------------------------------------------------------- the list


def task_list(ctx: RequestContext) -> Response:
    return _render_list(ctx, Form())


def _render_list(ctx: RequestContext, form: Form, status: int = 200) -> Response:
    show_done = ctx.request.query.get("done") == "1"
    return ctx.render(
        LIST_TEMPLATE,
        status=status,
        tasks=ctx.helpdesk.tasks.list(ctx.actor, done=show_done),
        show_done=show_done,
        form=form,
    )


def create(ctx: RequestContext) -> Response:
    form = ctx.form()
    values = read_task_form(form)
    if form.ok:
        try:
            task = ctx.helpdesk.tasks.create(ctx.actor, **values)
        except InvalidInput as exc:
            form.absorb(exc, shown=("title", "due_on"))
        else:
            ctx.flash(_("Task “%(title)s” created.", title=task.title))
            return ctx.redirect("agent.tasks")
    return _render_list(ctx, form, status=400)


# ---------------------------------------------------------------- one task


def show(ctx: RequestContext, task_id: int) -> Response:
    task = ctx.helpdesk.tasks.get(ctx.actor, task_id)
    form = ctx.form(
        title=task.title,
        due_on=task.due_on.isoformat() if task.due_on else "",
        done="1" if task.done else "",
    )
    return ctx.render(TASK_TEMPLATE, task=task, form=form)


def update(ctx: RequestContext, task_id: int) -> Response:
    tasks = ctx.helpdesk.tasks
    task = tasks.get(ctx.actor, task_id)  # NotFound before anything is read from the form
    form = ctx.form()
    values = read_task_form(form)
    if form.ok:
        try:
            saved = tasks.update(ctx.actor, task.id, **values, done=form["done"] == "1")
        except InvalidInput as exc:
            form.absorb(exc, shown=TASK_FIELDS)
        else:
            ctx.flash(_("Task “%(title)s” saved.", title=saved.title))
            return ctx.redirect("agent.task", task_id=task.id)
    return ctx.render(TASK_TEMPLATE, status=400, task=task, form=form)
