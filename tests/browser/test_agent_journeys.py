"""Agents' and admins' journeys through the agent portal of the example Flask and Django sites,
in a real browser, with the customer's side open in a second browser where the journey crosses
it.

Staff log in with ticketcore's own accounts at /support/account/login and drive the pages by
their labels and button texts, as a person does. What a test does not walk through itself (the
accounts, a ticket opened earlier) it makes through the site's helpdesk.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from browsing import PASSWORD, Site, account, label, log_in, screenshot, text_of
from playwright.sync_api import BrowserContext, Locator, Page, expect
from test_customer_journeys import attachment_link, submit_ticket

from ticketcore import Actor
from ticketcore.schemas import TeamOut, TicketOut, UserOut

# A tiny but well-formed PDF: the document the customer is asked for.
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

Browser = Callable[..., BrowserContext]


@dataclass
class Desk:
    """The people of a small desk: Ann (agent, Support, the default team) and Carol (customer)."""

    site: Site
    support: TeamOut
    carol: UserOut

    def ticket_of_carol(self, subject: str, body: str) -> TicketOut:
        """A ticket Carol opened earlier (the journeys that need one do not type it again)."""
        actor = self.site.helpdesk.users.actor_for(self.carol)
        return self.site.helpdesk.tickets.create(actor, subject=subject, body=body).ticket


@pytest.fixture
def desk(site: Site) -> Desk:
    helpdesk = site.helpdesk
    helpdesk.users.set_password(Actor.system(), site.agent_id, PASSWORD)
    support = helpdesk.teams.create(
        Actor.system(), name="Support", is_default=True, members=[site.agent_id]
    )
    carol = account(site, "carol@customer.example.net", "Carol Customer")
    return Desk(site=site, support=support, carol=carol)


def staff_browser(new_context: Browser, email_address: str = "ann@desk.example.com") -> Page:
    """A browser in which a staff member logged in and opened the agent portal."""
    page = new_context().new_page()
    log_in(page, email_address)
    page.goto("/support/agent")
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    return page


def customer_browser(new_context: Browser, email_address: str) -> Page:
    page = new_context().new_page()
    log_in(page, email_address)
    return page


def agent_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Agent portal")


def flash(page: Page, text: str) -> Locator:
    return page.get_by_role("status").filter(has_text=text)


def ticket_link(ticket: TicketOut) -> re.Pattern[str]:
    """How the agent portal names a ticket in its lists: "#12 Subject"."""
    return re.compile(rf"^#{ticket.number} {re.escape(ticket.subject)}$")


def open_agent_ticket(page: Page, ticket: TicketOut) -> None:
    page.goto(f"/support/agent/tickets/{ticket.track_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"#{ticket.number} {ticket.subject}")


def status_badge(page: Page) -> Locator:
    return page.locator(".tc-ticket-id .tc-badge").first


# ---------------------------------------------------------------- 1. the daily round


def test_an_agent_answers_a_new_ticket_from_the_dashboard(desk: Desk, new_context: Browser) -> None:
    site = desk.site
    customer = customer_browser(new_context, desk.carol.email)
    track_id = submit_ticket(customer, "The printer jams", "Every third page jams in tray 2.")
    ticket = site.ticket(track_id)
    assert ticket.team_id == desk.support.id  # the default team: Ann's
    customer.get_by_role("link", name="View your ticket").click()
    expect(customer.get_by_role("heading", name="The printer jams")).to_be_visible()

    agent = staff_browser(new_context)
    waiting = agent.get_by_role("region", name=re.compile(r"^Waiting for us"))
    expect(waiting.get_by_role("link", name=ticket_link(ticket))).to_be_visible()
    screenshot(agent, "agent-dashboard")

    agent_nav(agent).get_by_role("link", name="Queues").click()
    expect(agent.get_by_role("heading", name=re.compile(r"^Queue: "))).to_be_visible()
    row = agent.get_by_role("row").filter(has_text=track_id)
    expect(row.get_by_role("link", name="The printer jams")).to_be_visible()
    expect(row).to_contain_text("Ann Agent")  # the default team's round-robin chose her
    screenshot(agent, "agent-queue")

    agent_nav(agent).get_by_role("link", name="Dashboard").click()
    waiting.get_by_role("link", name=ticket_link(ticket)).click()
    expect(agent.get_by_role("heading", level=1)).to_have_text(f"#{ticket.number} The printer jams")
    timeline = agent.locator(".tc-timeline")
    expect(timeline).to_contain_text("Every third page jams in tray 2.")

    # The answer goes to the customer; the ticket stays open for the properties form below.
    agent.get_by_label("Your reply").fill("Please try the paper from the sealed pack.")
    agent.get_by_label("Leave ticket as").select_option(label="Open (unchanged)")
    agent.get_by_role("button", name="Send reply").click()
    expect(flash(agent, "Your reply was sent to the customer.")).to_be_visible()
    expect(timeline).to_contain_text("Please try the paper from the sealed pack.")
    site.mail.wait_for(desk.carol.email, body_contains="paper from the sealed pack")

    agent.get_by_label("Note for the team").fill("Tray 2 rollers are worn on this model.")
    agent.get_by_role("button", name="Add internal note").click()
    expect(flash(agent, "Your internal note was added.")).to_be_visible()
    note = timeline.locator(".tc-message-note")
    expect(note).to_contain_text("Tray 2 rollers are worn on this model.")
    expect(note).to_contain_text("Internal note")

    properties = agent.get_by_role("region", name="Properties")
    properties.get_by_label("Status").select_option(label="Pending")
    properties.get_by_role("button", name="Save changes").click()
    expect(flash(agent, "Your changes were saved.")).to_be_visible()
    expect(status_badge(agent)).to_have_text("Pending")
    expect(timeline).to_contain_text("Ann Agent changed the status from Open to Pending")
    screenshot(agent, "agent-ticket")

    customer.reload()
    thread = customer.locator(".tc-thread")
    expect(thread).to_contain_text("Please try the paper from the sealed pack.")
    expect(thread).to_contain_text("Ann Agent")
    expect(customer.get_by_text("Tray 2 rollers")).to_have_count(0)
    expect(customer.get_by_text("Internal note")).to_have_count(0)
    # Mail leaves as the change commits: had the note been sent, it would be here by now.
    assert not any("Tray 2 rollers" in text_of(m) for m in site.mail.messages)
    assert site.ticket(track_id).status.value == "pending"


# ---------------------------------------------------------------- 2. a document request


def test_a_document_request_is_answered_with_the_file(
    desk: Desk, new_context: Browser, tmp_path: Path
) -> None:
    site = desk.site
    agent = staff_browser(new_context)
    agent_nav(agent).get_by_role("link", name="Message Client").click()
    expect(agent.get_by_role("heading", name="Message Client")).to_be_visible()
    agent.get_by_label(label("Customer email")).fill(desk.carol.email)
    agent.get_by_label("Document request", exact=True).check()
    agent.get_by_label("Document requested").fill("Signed contract (PDF)")
    agent.get_by_label(label("Subject")).fill("Your new contract")
    agent.get_by_label(label("Message")).fill("Please sign the contract and send it back to us.")
    screenshot(agent, "agent-message-client")
    agent.get_by_role("button", name="Send message").click()
    expect(flash(agent, "Document request sent to the customer.")).to_be_visible()
    header = agent.locator(".tc-ticket-id")
    expect(header).to_contain_text("Document request")
    expect(header).to_contain_text("Awaiting: Signed contract (PDF)")
    track_id = header.locator("strong").inner_text()
    site.mail.wait_for(desk.carol.email, body_contains="sign the contract")

    customer = customer_browser(new_context, desk.carol.email)
    customer.get_by_role("link", name="My tickets").first.click()
    row = customer.get_by_role("row").filter(has_text="Your new contract")
    expect(row).to_be_visible()
    row.get_by_role("link", name=track_id).click()
    expect(customer.get_by_role("heading", name="Your new contract")).to_be_visible()
    awaited = customer.locator(".tc-awaited")
    expect(awaited).to_contain_text("We are waiting for a document from you:")
    expect(awaited).to_contain_text("Signed contract (PDF)")

    contract = tmp_path / "contract-signed.pdf"
    contract.write_bytes(PDF)
    customer.get_by_label("Your reply").fill("Here it is, signed.")
    customer.get_by_label("Attach files").set_input_files(contract)
    customer.get_by_role("button", name="Send reply").click()
    expect(customer.locator(".tc-thread")).to_contain_text("Here it is, signed.")
    expect(awaited).to_contain_text("Document received on")

    agent.reload()
    expect(header).to_contain_text("Document received on")
    expect(header).not_to_contain_text("Awaiting:")
    link = attachment_link(agent, "contract-signed.pdf")
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    assert href
    download = agent.request.get(href)
    assert download.status == 200 and download.body() == PDF


# ---------------------------------------------------------------- 3. tasks and merging


def test_an_agent_adds_a_task_to_a_ticket_and_merges_two_tickets(
    desk: Desk, new_context: Browser
) -> None:
    site = desk.site
    target = desk.ticket_of_carol("Cannot log in", "The password reset mail never comes.")
    source = desk.ticket_of_carol("Still locked out", "Tried again this morning, no mail.")
    due = date.today() + timedelta(days=7)

    agent = staff_browser(new_context)
    open_agent_ticket(agent, target)
    tasks = agent.get_by_role("region", name="Tasks")
    tasks.get_by_label("Task title").fill("Check the mail server logs")
    tasks.get_by_label("Task due date").fill(due.isoformat())
    tasks.get_by_role("button", name="Add task").click()
    expect(flash(agent, "Task “Check the mail server logs” added to this ticket.")).to_be_visible()
    expect(tasks.get_by_role("link", name="Check the mail server logs")).to_be_visible()
    expect(agent.locator(".tc-timeline")).to_contain_text(
        "Ann Agent linked the task “Check the mail server logs”"
    )

    agent_nav(agent).get_by_role("link", name="Tasks").click()
    expect(agent.get_by_role("heading", name="Tasks", exact=True)).to_be_visible()
    row = agent.get_by_role("row").filter(has_text="Check the mail server logs")
    expect(row).to_contain_text(due.isoformat())
    expect(row.get_by_role("link", name=ticket_link(target))).to_be_visible()

    open_agent_ticket(agent, source)
    merge = agent.get_by_role("region", name="Merge")
    merge.get_by_label("Or another ticket of this requester").select_option(
        label=f"#{target.number} Cannot log in (Open)"
    )
    merge.get_by_label("I understand the thread moves and this ticket closes").check()
    merge.get_by_role("button", name="Merge tickets").click()
    expect(flash(agent, f"Ticket #{source.number} was merged into this ticket")).to_be_visible()
    expect(agent.get_by_role("heading", level=1)).to_have_text(f"#{target.number} Cannot log in")
    timeline = agent.locator(".tc-timeline")
    expect(timeline).to_contain_text("The password reset mail never comes.")
    expect(timeline).to_contain_text("Tried again this morning, no mail.")

    open_agent_ticket(agent, source)
    expect(agent.locator(".tc-merged")).to_contain_text(f"Merged into {target.track_id}")
    expect(status_badge(agent)).to_have_text("Closed")
    expect(agent.locator(".tc-timeline")).not_to_contain_text("Tried again this morning")
    assert site.ticket(source.track_id).merged_into_track_id == target.track_id


# ---------------------------------------------------------------- 4. administration


def test_an_admin_sets_up_a_team_and_its_sla(desk: Desk, new_context: Browser) -> None:
    """The admin makes a team and an SLA policy for it, previewing its deadlines first; a
    ticket moved into the team then gets the policy's deadlines."""
    site = desk.site
    account(site, "ada@desk.example.com", "Ada Admin", role="admin")
    ticket = desk.ticket_of_carol("Server down", "Nothing answers on port 443.")

    admin = staff_browser(new_context, "ada@desk.example.com")
    agent_nav(admin).get_by_role("link", name="Administration").click()
    expect(admin.get_by_role("heading", name="Administration")).to_be_visible()
    admin.get_by_role("main").get_by_role("link", name="Teams", exact=True).click()
    expect(admin.get_by_role("heading", name="Teams", exact=True)).to_be_visible()
    admin.get_by_role("link", name="New team").click()
    admin.get_by_label(label("Name")).fill("Escalations")
    admin.get_by_label(re.compile(r"^Ann Agent")).check()
    admin.get_by_role("button", name="Create the team").click()
    expect(flash(admin, "Team “Escalations” created.")).to_be_visible()
    row = admin.get_by_role("row").filter(has_text="Escalations")
    expect(row).to_contain_text("Ann Agent")
    escalations = site.helpdesk.teams.get("escalations")
    assert escalations.member_ids == [site.agent_id]

    agent_nav(admin).get_by_role("link", name="Administration").click()
    admin.get_by_role("link", name="SLA policies and calendars").click()
    expect(admin.get_by_role("heading", name="SLA policies and calendars")).to_be_visible()
    admin.get_by_role("link", name="New policy").click()
    admin.get_by_label(label("Name")).fill("Escalations: within the hour")
    admin.get_by_label("First response: hours").fill("1")
    admin.get_by_label("Resolution: hours").fill("4")
    admin.get_by_label("Team").select_option(label="Escalations")
    admin.get_by_role("button", name="Preview deadlines").click()
    expect(
        admin.get_by_text(re.compile(r"A ticket opened now would be due for a first response by"))
    ).to_be_visible()
    expect(admin.get_by_label("Resolution: hours")).to_have_value("4")  # the form is kept
    admin.get_by_role("button", name="Create policy").click()
    expect(flash(admin, "SLA policy “Escalations: within the hour” created.")).to_be_visible()
    expect(admin.get_by_role("row").filter(has_text="Escalations: within the hour")).to_be_visible()
    [policy] = site.helpdesk.sla.policies()
    assert (policy.team_id, policy.first_response_minutes, policy.resolution_minutes) == (
        escalations.id,
        60,
        240,
    )

    open_agent_ticket(admin, ticket)
    expect(admin.get_by_role("region", name="Service level")).to_have_count(0)
    properties = admin.get_by_role("region", name="Properties")
    properties.get_by_label("Team").select_option(label="Escalations")
    properties.get_by_role("button", name="Save changes").click()
    expect(flash(admin, "Your changes were saved.")).to_be_visible()
    service_level = admin.get_by_role("region", name="Service level")
    expect(service_level).to_contain_text("Response by")
    expect(service_level).to_contain_text("Resolution by")
    moved = site.ticket(ticket.track_id)
    assert moved.response_by is not None and moved.resolution_by is not None
    assert moved.resolution_by - moved.response_by == timedelta(hours=3)


# ---------------------------------------------------------------- 5. the portal's gate


def test_customers_and_agents_get_page_not_found_beyond_their_portal(
    desk: Desk, new_context: Browser
) -> None:
    ticket = desk.ticket_of_carol("My own ticket", "Only a customer page for me.")
    customer = customer_browser(new_context, desk.carol.email)
    for path in (
        "/support/agent",
        "/support/agent/queue",
        f"/support/agent/tickets/{ticket.track_id}",
        "/support/agent/message",
        "/support/agent/admin",
    ):
        response = customer.goto(path)
        assert response is not None and response.status == 404, path
        expect(customer.get_by_role("heading", name="Page not found")).to_be_visible()
        expect(customer.get_by_text("Only a customer page for me.")).to_have_count(0)
        expect(customer.get_by_role("navigation", name="Agent portal")).to_have_count(0)

    agent = staff_browser(new_context)
    expect(agent_nav(agent).get_by_role("link", name="Administration")).to_have_count(0)
    response = agent.goto("/support/agent/admin")
    assert response is not None and response.status == 404
    expect(agent.get_by_role("heading", name="Page not found")).to_be_visible()

    anonymous = new_context().new_page()
    anonymous.goto(f"/support/agent/tickets/{ticket.track_id}")
    expect(anonymous).to_have_url(re.compile(r"/support/account/login"))
    expect(anonymous.get_by_text("Only a customer page for me.")).to_have_count(0)
