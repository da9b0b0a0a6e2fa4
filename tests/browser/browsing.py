"""What the browser tests share: the running site, its mail sink, screenshots, registering."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from ticketcore import Actor, Helpdesk
from ticketcore.schemas import TicketOut, UserOut

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
screenshot_prefix = ""  # the site fixture names the adapter, so one's pictures keep the other's
SECRET = "browser-test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "Correct horse 42"
MOBILE = {"width": 375, "height": 812}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpSink:
    """Keeps every email the site sends; `wait_for` polls until one matches."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def wait_for(
        self, to: str, subject_contains: str = "", *, body_contains: str = "", timeout: float = 10.0
    ) -> EmailMessage:
        """The first email to `to` whose subject and text contain the given words."""
        deadline = time.monotonic() + timeout
        while True:
            for message in list(self.messages):
                if (
                    to.lower() in str(message["To"]).lower()
                    and subject_contains in str(message["Subject"])
                    and body_contains in text_of(message)
                ):
                    return message
            if time.monotonic() > deadline:
                seen = [(str(m["To"]), str(m["Subject"])) for m in self.messages]
                raise AssertionError(f"no email to {to!r} ({subject_contains!r}); got {seen}")
            time.sleep(0.05)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "email has no text/plain part"
    return str(part.get_content())  # type: ignore[attr-defined]


@dataclass
class Site:
    """The running example site: its address, its helpdesk and the mail it sent.

    `member_external_id` is how the site names its member Sam to ticketcore (each example has
    its own way).
    """

    url: str
    helpdesk: Helpdesk
    mail: SmtpSink
    member_external_id: str
    agent: Actor = field(init=False)
    agent_id: int = field(init=False)

    @property
    def portal(self) -> str:
        return f"{self.url}/support"

    def __post_init__(self) -> None:
        user = self.helpdesk.users.create(
            Actor.system(), email="ann@desk.example.com", display_name="Ann Agent", role="agent"
        )
        self.agent_id = user.id
        self.agent = self.helpdesk.users.actor_for(user)

    def ticket(self, track_id: str) -> TicketOut:
        """The ticket as the desk sees it."""
        return self.helpdesk.tickets.get_by_track_id(Actor.system(), track_id)

    def agent_reply(self, track_id: str, body: str) -> None:
        """Ann takes the ticket and answers it, as she would in the agent portal."""
        ticket = self.ticket(track_id)
        if ticket.assignee is None or ticket.assignee.id != self.agent_id:
            self.helpdesk.tickets.update(Actor.system(), ticket.id, assignee=self.agent_id)
        self.helpdesk.messages.reply(self.agent, ticket.id, body=body)


def screenshot(page: Page, name: str) -> None:
    """Save the page at desktop width and at 375 px, where nothing may scroll sideways."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = f"{screenshot_prefix}{name}"
    desktop = page.viewport_size
    page.screenshot(path=SCREENSHOTS / f"{name}-desktop.png", full_page=True)
    page.set_viewport_size(MOBILE)
    try:
        page.screenshot(path=SCREENSHOTS / f"{name}-375.png", full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= MOBILE["width"], f"{name}: {width}px wide at 375px ({page.url})"
    finally:
        if desktop is not None:
            page.set_viewport_size(desktop)


def label(text: str) -> re.Pattern[str]:
    """A field's label exactly, with or without the "*" that marks it required."""
    return re.compile(rf"^{re.escape(text)}( \*)?$")


def register(page: Page, name: str, email_address: str, password: str = PASSWORD) -> None:
    """Create an account through the registration form; the visitor ends up logged in."""
    page.goto("/support/account/register")
    page.get_by_label(label("Your name")).fill(name)
    page.get_by_label(label("Email address")).fill(email_address)
    page.get_by_label(label("Password")).fill(password)
    page.get_by_label(label("Repeat the password")).fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def log_in(page: Page, email_address: str, password: str = PASSWORD) -> None:
    """Log in with the portal's own account form."""
    page.goto("/support/account/login")
    page.get_by_label(label("Email address")).fill(email_address)
    page.get_by_label(label("Password")).fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def account(
    site: Site, email_address: str, name: str, role: str = "customer", teams: Sequence[int] = ()
) -> UserOut:
    """An account with `PASSWORD`, made through the site's helpdesk as an admin would make it;
    staff log in with it at /support/account/login like everyone else."""
    return site.helpdesk.users.create(
        Actor.system(),
        email=email_address,
        display_name=name,
        role=role,
        password=PASSWORD,
        teams=list(teams),
    )
