"""Tasks in the agent portal: made from a ticket or on the task list, linked and unlinked, edited,
marked done and overdue — and kept from customers and from agents outside the ticket's team."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

AGENT = "/support/agent"


def logged_in(web: SimpleNamespace, user: Any) -> Any:
    client = web.client()
    client.log_in_as(user.id)
    return client


def open_ticket(web: SimpleNamespace, who: str = "carol", **fields: Any) -> Any:
    fields.setdefault("subject", "Printer on fire")
    fields.setdefault("body", "It smokes since this morning.")
    actor = getattr(web.cast, f"{who}_actor")
    return web.helpdesk.tickets.create(actor, **fields).ticket


def ticket_url(ticket: Any, action: str = "") -> str:
    return f"{AGENT}/tickets/{ticket.track_id}" + (f"/{action}" if action else "")


def linked_titles(web: SimpleNamespace, ticket: Any) -> list[str]:
    return [t.title for t in web.helpdesk.tasks.for_ticket(web.cast.system, ticket.id)]


def test_a_task_made_on_a_ticket_shows_on_both_sides(web: SimpleNamespace) -> None:
    ticket = open_ticket(web)
    ann = logged_in(web, web.cast.ann)

    made = ann.post(
        ticket_url(ticket, "tasks"), {"title": "Call Carol back", "due_on": "2026-01-09"}
    )
    assert made.status == 200 and made.url == ticket_url(ticket)
    assert "Task “Call Carol back” added to this ticket." in made.text
    assert "Call Carol back" in made.text and "2026-01-09" in made.text
    (task,) = web.helpdesk.tasks.for_ticket(web.cast.system, ticket.id)
    assert task.due_on is not None and task.due_on.isoformat() == "2026-01-09"

    listing = ann.get(f"{AGENT}/tasks")
    assert listing.status == 200 and "Call Carol back" in listing.text
    assert f'href="{ticket_url(ticket)}"' in listing.text

    page = ann.get(f"{AGENT}/tasks/{task.id}")
    assert page.status == 200
    assert f'href="{ticket_url(ticket)}"' in page.text and "Printer on fire" in page.text
    assert 'value="Call Carol back"' in page.text and 'value="2026-01-09"' in page.text


def test_a_task_without_a_title_is_not_added_to_the_ticket(web: SimpleNamespace) -> None:
    ticket = open_ticket(web)
    ann = logged_in(web, web.cast.ann)
    refused = ann.post(ticket_url(ticket, "tasks"), {"title": "  ", "due_on": "2026-01-09"})
    assert refused.status == 400
    assert 'id="ticket-task-title-error">Give the task a title.' in refused.text
    assert 'name="due_on" type="date" value="2026-01-09"' in refused.text
    bad_date = ann.post(ticket_url(ticket, "tasks"), {"title": "Call back", "due_on": "soon"})
    assert bad_date.status == 400
    assert 'id="ticket-task-due-error">Enter the due date as YYYY-MM-DD' in bad_date.text
    assert 'name="title" type="text" required value="Call back"' in bad_date.text
    assert linked_titles(web, ticket) == []


def test_link_an_existing_task_and_unlink_it(web: SimpleNamespace) -> None:
    helpdesk, cast = web.helpdesk, web.cast
    ticket = open_ticket(web)
    task = helpdesk.tasks.create(cast.ann_actor, title="Order a new toner")
    done = helpdesk.tasks.create(cast.ann_actor, title="Finished long ago")
    helpdesk.tasks.update(cast.ann_actor, done.id, done=True)
    ann = logged_in(web, cast.ann)

    page = ann.get(ticket_url(ticket))
    assert f'<option value="{task.id}">Order a new toner</option>' in page.text
    assert "Finished long ago" not in page.text  # only open tasks are offered

    linked = ann.post(ticket_url(ticket, "tasks/link"), {"task": str(task.id)})
    assert "Task “Order a new toner” linked to this ticket." in linked.text
    assert f'<option value="{task.id}">' not in linked.text  # linked ones are not offered again
    assert linked_titles(web, ticket) == ["Order a new toner"]

    nothing = ann.post(ticket_url(ticket, "tasks/link"), {"task": ""})
    assert "Choose the task to link." in nothing.text

    unlinked = ann.post(ticket_url(ticket, f"tasks/{task.id}/unlink"), {})
    assert "Task “Order a new toner” is no longer linked to this ticket." in unlinked.text
    assert linked_titles(web, ticket) == []
    trail = helpdesk.tickets.audit_trail(cast.system, ticket.id)
    assert [e.action for e in trail if e.action.startswith("task_")] == [
        "task_linked",
        "task_unlinked",
    ]
    again = ann.post(ticket_url(ticket, f"tasks/{task.id}/unlink"), {})
    assert "That task is not linked to this ticket." in again.text


def test_mark_a_task_done(web: SimpleNamespace) -> None:
    ticket = open_ticket(web)
    task = web.helpdesk.tasks.create(
        web.cast.ann_actor, title="Replace the fuser", ticket=ticket.id
    )
    ann = logged_in(web, web.cast.ann)

    saved = ann.post(
        f"{AGENT}/tasks/{task.id}", {"title": "Replace the fuser unit", "due_on": "", "done": "1"}
    )
    assert saved.status == 200 and saved.url == f"{AGENT}/tasks/{task.id}"
    assert "Task “Replace the fuser unit” saved." in saved.text
    assert "Done on" in saved.text
    after = web.helpdesk.tasks.get(web.cast.system, task.id)
    assert after.done and after.title == "Replace the fuser unit"

    open_list = ann.get(f"{AGENT}/tasks")
    assert "Replace the fuser unit" not in open_list.text
    assert f'href="{AGENT}/tasks?done=1"' in open_list.text and "Show done tasks" in open_list.text
    done_list = ann.get(f"{AGENT}/tasks?done=1")
    assert "Replace the fuser unit" in done_list.text and "Show open tasks" in done_list.text

    reopened = ann.post(f"{AGENT}/tasks/{task.id}", {"title": "Replace the fuser unit"})
    assert "saved" in reopened.text
    assert not web.helpdesk.tasks.get(web.cast.system, task.id).done


def test_overdue_tasks_are_marked(web: SimpleNamespace) -> None:
    ticket = open_ticket(web)
    tasks = web.helpdesk.tasks
    tasks.create(web.cast.ann_actor, title="Due Wednesday", due_on="2026-01-07", ticket=ticket.id)
    tasks.create(web.cast.ann_actor, title="No hurry")
    ann = logged_in(web, web.cast.ann)

    assert "Overdue" not in ann.get(f"{AGENT}/tasks").text  # the clock says Monday 5 January
    assert "Overdue" not in ann.get(ticket_url(ticket)).text

    web.clock.advance(days=3)
    ann = logged_in(web, web.cast.ann)  # the old session has expired meanwhile
    listing = ann.get(f"{AGENT}/tasks").text
    assert listing.count("Overdue") == 1
    row = listing[listing.index("tc-task-overdue") :]
    assert row.index("Due Wednesday") < row.index("Overdue") < row.index("</tr>")
    assert "Overdue" in ann.get(ticket_url(ticket)).text


def test_new_task_on_the_list(web: SimpleNamespace) -> None:
    ann = logged_in(web, web.cast.ann)
    empty = ann.get(f"{AGENT}/tasks")
    assert "No open tasks." in empty.text
    assert (
        '<label for="f-title">Title' in empty.text
        and '<label for="f-due_on">Due date' in empty.text
    )

    made = ann.post(f"{AGENT}/tasks", {"title": "Renew the certificate", "due_on": "2026-02-01"})
    assert made.url == f"{AGENT}/tasks"
    assert "Task “Renew the certificate” created." in made.text
    (task,) = web.helpdesk.tasks.list(web.cast.system)
    assert task.title == "Renew the certificate" and task.tickets == []


def test_validation_errors_keep_what_was_typed(web: SimpleNamespace) -> None:
    ann = logged_in(web, web.cast.ann)
    bad = ann.post(f"{AGENT}/tasks", {"title": "", "due_on": "next friday"})
    assert bad.status == 400
    assert 'id="title-error">Give the task a title.' in bad.text
    assert 'id="due_on-error">Enter the due date as YYYY-MM-DD' in bad.text
    assert 'value="next friday"' in bad.text
    too_long = ann.post(f"{AGENT}/tasks", {"title": "x" * 201, "due_on": "2026-03-01"})
    assert too_long.status == 400 and 'id="title-error"' in too_long.text
    assert f'value="{"x" * 201}"' in too_long.text and 'value="2026-03-01"' in too_long.text
    assert web.helpdesk.tasks.list(web.cast.system) == []

    task = web.helpdesk.tasks.create(web.cast.ann_actor, title="Check the backups")
    edit = ann.post(f"{AGENT}/tasks/{task.id}", {"title": "", "due_on": "31/12", "done": "1"})
    assert edit.status == 400
    assert 'id="title-error">Give the task a title.' in edit.text
    assert 'value="31/12"' in edit.text and "checked" in edit.text
    assert web.helpdesk.tasks.get(web.cast.system, task.id).title == "Check the backups"


# ---------------------------------------------------------------- who may


def test_customers_find_no_task_pages(web: SimpleNamespace) -> None:
    ticket = open_ticket(web)
    task = web.helpdesk.tasks.create(web.cast.ann_actor, title="Secret plan", ticket=ticket.id)
    carol = logged_in(web, web.cast.carol)
    for url in (f"{AGENT}/tasks", f"{AGENT}/tasks?done=1", f"{AGENT}/tasks/{task.id}"):
        page = carol.get(url)
        assert page.status == 404 and "Secret plan" not in page.text
    posts = {
        f"{AGENT}/tasks": {"title": "Mine now"},
        f"{AGENT}/tasks/{task.id}": {"title": "Mine now", "done": "1"},
        ticket_url(ticket, "tasks"): {"title": "Mine now"},
        ticket_url(ticket, "tasks/link"): {"task": str(task.id)},
        ticket_url(ticket, f"tasks/{task.id}/unlink"): {},
    }
    for url, data in posts.items():
        assert carol.post(url, data).status == 404, url
    tasks = web.helpdesk.tasks.list(web.cast.system, done=None)
    assert [(t.title, t.done, len(t.tickets)) for t in tasks] == [("Secret plan", False, 1)]


def test_an_agent_outside_the_team_cannot_touch_the_tickets_tasks(web: SimpleNamespace) -> None:
    ticket = open_ticket(web)  # the Support team's; Bill is in Billing
    linked = web.helpdesk.tasks.create(web.cast.ann_actor, title="Support work", ticket=ticket.id)
    other = web.helpdesk.tasks.create(web.cast.bill_actor, title="Billing work")
    bill = logged_in(web, web.cast.bill)

    page = bill.get(f"{AGENT}/tasks/{linked.id}")  # tasks are every agent's; tickets are not
    assert page.status == 200 and "Support work" in page.text
    assert ticket.track_id not in page.text and "Printer on fire" not in page.text
    assert ticket.track_id not in bill.get(f"{AGENT}/tasks").text

    for url, data in {
        ticket_url(ticket, "tasks"): {"title": "Sneaky"},
        ticket_url(ticket, "tasks/link"): {"task": str(other.id)},
        ticket_url(ticket, f"tasks/{linked.id}/unlink"): {},
    }.items():
        assert bill.post(url, data).status == 404, url
    assert linked_titles(web, ticket) == ["Support work"]
    assert [t.title for t in web.helpdesk.tasks.list(web.cast.system)] == [
        "Support work",
        "Billing work",
    ]


@pytest.mark.parametrize("url", ["/support/agent/tasks/999999", "/support/agent/tasks/0"])
def test_a_missing_task_is_not_found(web: SimpleNamespace, url: str) -> None:
    ann = logged_in(web, web.cast.ann)
    assert ann.get(url).status == 404
    assert ann.post(url, {"title": "x"}).status == 404
