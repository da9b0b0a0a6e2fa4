"""Customers' journeys through the portal of the example Flask and Django sites, in a real
browser.

Each test drives the pages by their labels and button texts, as a person does; the agent's side
goes through the core API, as the agent portal would.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from browsing import PASSWORD, Site, log_in, register, screenshot, text_of
from playwright.sync_api import BrowserContext, Locator, Page, expect

from ticketcore import Actor
from ticketcore.trackid import TRACK_ID_IN_TEXT

# A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2271dd20000000049454e44ae426082"
)

LOG = b"Traceback: the widget fell over\n"


def attachment_link(page: Page, filename: str) -> Locator:
    """The file's own link (an image also has a thumbnail link with the name as alt text)."""
    return page.locator(".tc-attachments a[download]", has_text=filename)


def attach_files(tmp_path: Path) -> list[Path]:
    image = tmp_path / "screen.png"
    image.write_bytes(PNG)
    log = tmp_path / "error-log.txt"
    log.write_bytes(LOG)
    return [image, log]


def submit_ticket(
    page: Page,
    subject: str,
    body: str,
    *,
    files: list[Path] | None = None,
    guest_email: str = "",
    guest_name: str = "",
    shots: bool = False,
) -> str:
    """Fill in the new-ticket form and send it; returns the track ID the confirmation shows."""
    page.goto("/support/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New ticket").click()
    expect(page.get_by_role("heading", name="New ticket")).to_be_visible()
    if guest_email:
        page.get_by_label("Your name").fill(guest_name)
        page.get_by_label("Your email").fill(guest_email)
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Description").fill(body)
    if files:
        page.get_by_label("Attachments").set_input_files(files)
    if shots:
        screenshot(page, "new-ticket")
    page.get_by_role("button", name="Submit ticket").click()
    expect(page.get_by_role("heading", name="Thank you, we have your request")).to_be_visible()
    shown = page.locator(".tc-track-id").inner_text()
    found = TRACK_ID_IN_TEXT.search(shown)
    assert found, f"no track ID on the confirmation: {shown!r}"
    if shots:
        screenshot(page, "ticket-created")
    return found.group(0)


def reply_on_page(page: Page, text: str) -> None:
    page.get_by_label("Your reply").fill(text)
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".tc-thread")).to_contain_text(text)


def test_a_visitor_registers_opens_a_ticket_follows_it_and_rates_it(
    page: Page, site: Site, tmp_path: Path
) -> None:
    page.goto("/support/")
    expect(page.get_by_role("heading", name="How can we help?")).to_be_visible()
    screenshot(page, "portal-home")

    page.get_by_role("link", name="Register").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    screenshot(page, "register")
    register(page, "Vera Visitor", "vera@example.net")
    expect(page.get_by_role("status")).to_contain_text("Welcome, Vera Visitor!")

    track_id = submit_ticket(
        page,
        "The widget will not start",
        "It beeps twice and stops.",
        files=attach_files(tmp_path),
        shots=True,
    )
    page.get_by_role("link", name="View your ticket").click()
    expect(page.get_by_role("heading", name="The widget will not start")).to_be_visible()
    expect(page.get_by_text("It beeps twice and stops.")).to_be_visible()
    attachments = page.locator(".tc-attachments")
    expect(attachments.get_by_role("img", name="screen.png")).to_be_visible()
    # The attachments download with what was uploaded.
    for name, content in (("error-log.txt", LOG), ("screen.png", PNG)):
        href = attachment_link(page, name).get_attribute("href")
        assert href
        download = page.request.get(href)
        assert download.status == 200, name
        assert download.body() == content, name

    site.agent_reply(track_id, "Please hold the reset button for ten seconds.")
    site.mail.wait_for("vera@example.net", body_contains="hold the reset button")
    page.reload()
    thread = page.locator(".tc-thread")
    expect(thread).to_contain_text("Please hold the reset button for ten seconds.")
    expect(thread).to_contain_text("Ann Agent")
    screenshot(page, "ticket-page")

    reply_on_page(page, "That worked, thank you!")
    page.get_by_role("button", name="Mark as resolved").click()
    expect(page.locator(".tc-ticket-id .tc-status-resolved")).to_have_text("Resolved")

    page.get_by_label("5 \N{EN DASH} Excellent").check()
    page.get_by_label("Comment").fill("Quick and friendly.")
    page.get_by_role("button", name="Send rating").click()
    expect(page.get_by_role("heading", name="Your rating")).to_be_visible()
    expect(page.get_by_text("You rated this ticket 5/5")).to_be_visible()
    expect(page.get_by_text("Quick and friendly.")).to_be_visible()
    ticket = site.ticket(track_id)
    feedback = site.helpdesk.tickets.feedback(Actor.system(), ticket.id)
    assert feedback is not None and feedback.rating == 5

    page.get_by_role("link", name="My tickets").first.click()
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    expect(page.get_by_role("link", name="Active (0)")).to_be_visible()
    page.get_by_role("link", name="Closed (1)").click()  # resolved counts as closed
    expect(page.get_by_role("link", name=track_id)).to_be_visible()
    screenshot(page, "my-tickets")


def test_a_guest_follows_the_emailed_link_and_replies(
    page: Page, site: Site, new_context: Callable[..., BrowserContext]
) -> None:
    track_id = submit_ticket(
        page,
        "Invoice missing",
        "I paid but got no invoice.",
        guest_email="gus@example.net",
        guest_name="Gus Guest",
    )
    email = site.mail.wait_for("gus@example.net", track_id)
    link = re.search(r"https?://\S+\?token=\S+", text_of(email))
    assert link, text_of(email)
    assert link.group(0).startswith(f"{site.portal}/tickets/{track_id}?token=")

    other = new_context().new_page()  # another device: nothing in its session
    response = other.goto(link.group(0))
    assert response is not None and response.status == 200
    assert "token=" not in other.url  # the secret leaves the address bar
    expect(other.get_by_role("heading", name="Invoice missing")).to_be_visible()
    expect(other.get_by_text("I paid but got no invoice.")).to_be_visible()
    reply_on_page(other, "Here is my order number: 4711.")
    ticket = site.ticket(track_id)
    bodies = [m.body for m in site.helpdesk.messages.thread(Actor.system(), ticket.id)]
    assert any("4711" in body for body in bodies)


def test_another_customer_gets_404_for_a_ticket_and_its_attachment(
    page: Page, site: Site, new_context: Callable[..., BrowserContext], tmp_path: Path
) -> None:
    register(page, "Alice Owner", "alice@example.net")
    track_id = submit_ticket(page, "Private matter", "Only for me.", files=attach_files(tmp_path))
    page.get_by_role("link", name="View your ticket").click()
    ticket_url = page.url
    attachment_url = attachment_link(page, "screen.png").get_attribute("href")
    assert attachment_url and track_id in ticket_url

    bob = new_context().new_page()
    register(bob, "Bob Other", "bob@example.net")
    for url in (ticket_url, attachment_url):
        response = bob.goto(url)
        assert response is not None and response.status == 404, url
        expect(bob.get_by_text("Private matter")).to_have_count(0)
        expect(bob.get_by_text("Only for me.")).to_have_count(0)
    anonymous = new_context().new_page()
    for url in (ticket_url, attachment_url):
        response = anonymous.goto(url)
        assert response is not None and response.status == 404, url


def test_the_portal_works_without_javascript(
    site: Site, new_context: Callable[..., BrowserContext]
) -> None:
    site.helpdesk.users.create(
        Actor.system(), email="nojs@example.net", display_name="Noah Script", password=PASSWORD
    )
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, "nojs@example.net")
    track_id = submit_ticket(page, "No scripts here", "I browse with JavaScript off.")
    page.get_by_role("link", name="View your ticket").click()
    expect(page.get_by_role("heading", name="No scripts here")).to_be_visible()
    reply_on_page(page, "Still no scripts.")
    ticket = site.ticket(track_id)
    assert ticket.requester.email == "nojs@example.net"


def test_a_site_member_is_known_to_the_portal_without_logging_in_again(
    page: Page, site: Site
) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill("sam@members.example.org")
    page.get_by_label("Password").fill("member-password")
    page.get_by_role("button", name="Log in to the site").click()
    expect(page.get_by_text("Welcome back!")).to_be_visible()

    page.get_by_role("link", name="support desk").click()
    expect(page.get_by_role("heading", name="Hello, Sam Member")).to_be_visible()
    expect(page.get_by_role("link", name="Log in", exact=True)).to_have_count(0)
    track_id = submit_ticket(page, "Member question", "Can I change my plan?")
    page.get_by_role("link", name="View your ticket").click()
    expect(page.get_by_role("heading", name="Member question")).to_be_visible()
    ticket = site.ticket(track_id)
    assert ticket.requester.email == "sam@members.example.org"
    assert site.helpdesk.users.find_by_external_id(site.member_external_id) is not None
