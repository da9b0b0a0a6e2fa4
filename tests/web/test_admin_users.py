"""Administration → Users, driven as an admin would: search and filter the list, change an
account's role, organization and active flag (never one's own role or activity), and invite
people by email — end to end through the outbox, the emailed link and the password form, with
the link working once. Agents, customers and visitors never reach any of it."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from ticketcore.models import OutboxMessage
from ticketcore.web import Portal
from ticketcore.web.http import HostUser
from ticketcore.web.testclient import PortalClient

USERS = "/support/agent/admin/users"
INVITE = f"{USERS}/invite"
PASSWORD = "correct horse 42"


def logged_in(web: SimpleNamespace, user: Any) -> Any:
    client = web.client()
    client.log_in_as(user.id)
    return client


def user_url(user: Any, action: str = "") -> str:
    return f"{USERS}/{user.id}" + (f"/{action}" if action else "")


def invitation_links(web: SimpleNamespace, email: str) -> list[str]:
    """The invitation link of each email to `email`, oldest first, as a path in the portal."""
    with web.helpdesk.sessionmaker() as session:
        mails = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.event == "account_invite", OutboxMessage.recipient == email)
            .order_by(OutboxMessage.id)
        ).all()
    links = []
    for mail in mails:
        (token,) = re.findall(r"/support/account/invite/([A-Za-z0-9_.-]+)", mail.body_text)
        links.append(f"/support/account/invite/{token}")
    return links


def logged_in_as(client: Any) -> str:
    """Who the portal's header says is logged in ("" for nobody)."""
    page = client.get("/support/account/profile", follow=False)
    if page.status != 200:
        return ""
    return re.search(r'id="f-display_name"[^>]*value="([^"]*)"', page.text).group(1)


# ---------------------------------------------------------------------------- the list


def test_the_list_searches_filters_and_pages(web):
    cast = web.cast
    ada = logged_in(web, cast.ada)
    page = ada.get(USERS)
    assert page.status == 200 and "7 users" in page.text
    assert f'href="{user_url(cast.carol)}">Carol</a>' in page.text
    assert '<label for="f-q">Name or email' in page.text and '<label for="f-role">Role' in page.text

    found = ada.get(f"{USERS}?q=ACME.example&role=")
    assert "2 users" in found.text and "Carol" in found.text and "Dave" in found.text
    assert "Erin" not in found.text
    assert 'value="ACME.example"' in found.text  # the search stays in its box

    agents = ada.get(f"{USERS}?role=agent")
    assert "2 users" in agents.text and ">Ann</a>" in agents.text and ">Bill</a>" in agents.text
    assert '<option value="agent" selected>' in agents.text
    row = agents.text[agents.text.index(">Ann</a>") :]
    assert "Support" in row[: row.index("</tr>")]  # her team

    for i in range(30):
        web.helpdesk.users.create(
            cast.system, email=f"c{i:02}@mail.example.com", display_name=f"Zed {i:02}"
        )
    first = ada.get(f"{USERS}?q=zed")
    assert "30 users" in first.text and "Page 1 of 2" in first.text
    assert 'href="/support/agent/admin/users?q=zed&amp;page=2"' in first.text
    second = ada.get(f"{USERS}?q=zed&page=2")
    assert "Zed 29" in second.text and "Zed 00" not in second.text
    nonsense = ada.get(f"{USERS}?role=boss&page=-3")
    assert nonsense.status == 200 and "37 users" in nonsense.text


# ---------------------------------------------------------------------------- one account


def test_an_admin_changes_role_organization_and_activity(web):
    cast = web.cast
    ada = logged_in(web, cast.ada)
    page = ada.get(user_url(cast.frank))
    assert page.status == 200 and "frank@mail.example.com" in page.text
    assert '<option value="customer" selected>' in page.text

    saved = ada.post(
        user_url(cast.frank),
        {"role": "agent", "organization": str(cast.globex.id), "is_active": "1"},
    )
    assert saved.status == 200 and "The account of Frank is saved." in saved.text
    frank = web.helpdesk.users.get(cast.frank.id)
    assert (frank.role, frank.organization_id, frank.is_active) == ("agent", cast.globex.id, True)

    # An unticked box deactivates: Bill's browser is logged out at once.
    bill = logged_in(web, cast.bill)
    ada.post(user_url(cast.bill), {"role": "agent", "organization": ""})
    assert not web.helpdesk.users.get(cast.bill.id).is_active
    assert logged_in_as(bill) == ""
    ada.post(user_url(cast.bill), {"role": "agent", "organization": "", "is_active": "1"})
    assert web.helpdesk.users.get(cast.bill.id).is_active


def test_an_admin_cannot_demote_or_deactivate_themselves(web):
    cast = web.cast
    ada = logged_in(web, cast.ada)
    page = ada.get(user_url(cast.ada))
    assert "This is your own account" in page.text
    refused = ada.post(user_url(cast.ada), {"role": "agent", "organization": ""})
    assert refused.status == 400
    assert 'id="role-error">you cannot change your own role' in refused.text
    assert 'id="is_active-error">you cannot deactivate your own account' in refused.text
    assert '<option value="agent" selected>' in refused.text  # what was chosen stays
    ada_now = web.helpdesk.users.get(cast.ada.id)
    assert (ada_now.role, ada_now.is_active) == ("admin", True)


# ---------------------------------------------------------------------------- invitations


def test_an_invited_agent_sets_a_password_and_lands_on_the_dashboard(web):
    cast = web.cast
    ada = logged_in(web, cast.ada)
    form = ada.get(INVITE)
    assert form.status == 200
    for label in ("Email address", "Name", "Role", "Organization"):
        assert f">{label}" in form.text, label
    assert f'<label for="f-teams-{cast.support.id}">Support' in form.text

    sent = ada.post(
        INVITE,
        {
            "email": "zoe@help.example.com",
            "display_name": "Zoe",
            "role": "agent",
            "teams": [str(cast.support.id)],
            "organization": "",
        },
    )
    assert (
        sent.status == 200 and "An invitation is on its way to zoe@help.example.com." in sent.text
    )
    zoe = web.helpdesk.users.find_by_email("zoe@help.example.com")
    assert zoe is not None and zoe.role == "agent"
    assert sent.url.split("?")[0] == user_url(zoe)
    assert "Not chosen yet" in sent.text and "Send an invitation" in sent.text
    assert web.helpdesk.teams.get(cast.support.id).member_ids == [cast.ann.id, zoe.id]
    (link,) = invitation_links(web, zoe.email)
    token = link.rsplit("/", 1)[1]

    browser = web.client()
    welcome = browser.get(link)
    assert welcome.status == 200
    assert "Welcome, Zoe" in welcome.text and "zoe@help.example.com" in welcome.text
    assert '<label for="f-password">Password' in welcome.text
    assert token not in welcome.text  # the form posts back to the link; the page never repeats it

    weak = browser.post(link, {"password": "short1", "password_repeat": "short1"})
    assert weak.status == 400
    assert 'id="password-error">must be at least 10 characters' in weak.text
    assert "short1" not in weak.text and token not in weak.text
    different = browser.post(link, {"password": PASSWORD, "password_repeat": PASSWORD + "!"})
    assert different.status == 400 and "The two passwords are not the same." in different.text
    assert PASSWORD not in different.text

    done = browser.post(link, {"password": PASSWORD, "password_repeat": PASSWORD})
    assert done.status == 200 and done.url.split("?")[0] == "/support/agent"
    assert "Welcome, Zoe! Your password is saved." in done.text
    assert logged_in_as(browser) == "Zoe"

    again = web.client().get(link)
    assert again.status == 400 and "This invitation cannot be used" in again.text
    assert 'href="/support/account/login"' in again.text
    assert 'href="/support/account/forgot"' in again.text
    reused = web.client().post(
        link, {"password": "other pass 99", "password_repeat": "other pass 99"}
    )
    assert reused.status == 400 and "This invitation cannot be used" in reused.text

    fresh = web.client()
    fresh.post("/support/account/login", {"email": "zoe@help.example.com", "password": PASSWORD})
    assert logged_in_as(fresh) == "Zoe"


def test_an_invited_customer_lands_on_the_portal_home(web):
    cast = web.cast
    ada = logged_in(web, cast.ada)
    ada.post(INVITE, {"email": "gus@acme.example.com", "role": "customer", "organization": ""})
    gus = web.helpdesk.users.find_by_email("gus@acme.example.com")
    assert gus is not None and gus.organization_id == cast.acme.id
    (link,) = invitation_links(web, gus.email)
    browser = web.client()
    done = browser.post(link, {"password": PASSWORD, "password_repeat": PASSWORD})
    assert done.status == 200 and done.url.split("?")[0] in ("/support/", "/support")
    assert "Welcome, gus! Your password is saved." in done.text
    assert browser.get("/support/agent").status == 404  # a customer, not staff


def test_inviting_again_sends_a_new_link_and_voids_the_old_one(web):
    cast = web.cast
    ada = logged_in(web, cast.ada)
    ada.post(INVITE, {"email": "zoe@help.example.com", "role": "agent"})
    zoe = web.helpdesk.users.find_by_email("zoe@help.example.com")
    again = ada.post(user_url(zoe, "invite"))
    assert (
        again.status == 200 and "An invitation is on its way to zoe@help.example.com." in again.text
    )
    old, new = invitation_links(web, zoe.email)
    browser = web.client()
    assert "This invitation cannot be used" in browser.get(old).text
    assert browser.post(new, {"password": PASSWORD, "password_repeat": PASSWORD}).status == 200
    assert logged_in_as(browser) == "zoe"

    # Once the password is chosen there is nothing to invite to.
    page = ada.get(user_url(zoe))
    assert "Send an invitation" not in page.text
    refused = ada.post(user_url(zoe, "invite"))
    assert refused.status == 400 and "already has an account that can log in" in refused.text
    assert len(invitation_links(web, zoe.email)) == 2


def test_the_invitation_form_shows_what_is_wrong_and_keeps_the_input(web):
    cast = web.cast
    web.helpdesk.users.set_password(cast.system, cast.ann.id, PASSWORD)
    ada = logged_in(web, cast.ada)
    taken = ada.post(
        INVITE,
        {"email": "ann@help.example.com", "display_name": "Ann Again", "role": "admin"},
    )
    assert taken.status == 400
    assert 'id="email-error">this address already has an account that can log in' in taken.text
    assert 'value="Ann Again"' in taken.text and '<option value="admin" selected>' in taken.text

    customer_in_team = ada.post(
        INVITE,
        {"email": "gus@acme.example.com", "role": "customer", "teams": [str(cast.support.id)]},
    )
    assert customer_in_team.status == 400
    assert 'id="teams-error">customers cannot join teams' in customer_in_team.text
    assert f'value="{cast.support.id}" checked' in customer_in_team.text

    bad = ada.post(INVITE, {"email": "not an address", "role": "agent"})
    assert bad.status == 400 and 'id="email-error"' in bad.text
    assert web.helpdesk.users.find_by_email("gus@acme.example.com") is None
    assert invitation_links(web, "ann@help.example.com") == []


def test_a_made_up_link_shows_the_way_forward(web):
    page = web.client().get("/support/account/invite/not-a-real-token")
    assert page.status == 400
    assert "This invitation has expired, was already used, or was replaced" in page.text
    assert 'href="/support/account/forgot"' in page.text


def test_an_expired_link_shows_the_way_forward(web):
    ada = logged_in(web, web.cast.ada)
    ada.post(INVITE, {"email": "zoe@help.example.com", "role": "agent"})
    (link,) = invitation_links(web, "zoe@help.example.com")
    web.clock.advance(days=web.helpdesk.settings.invitation_days, minutes=1)
    browser = web.client()
    expired = browser.post(link, {"password": PASSWORD, "password_repeat": PASSWORD})
    assert expired.status == 400 and "This invitation cannot be used" in expired.text
    assert logged_in_as(browser) == ""


def test_no_invitations_when_the_host_site_owns_logins(web):
    """Its users log in with the host's accounts: an invitation's password would open nothing."""
    cast = web.cast
    web.helpdesk.users.sync_external_user(
        external_id="u-1", email=cast.ada.email, display_name="Ada", role="admin"
    )
    portal = Portal(web.helpdesk, host_login_url="https://www.example.org/login")
    ada = PortalClient(
        portal, host_user=HostUser(external_id="u-1", email=cast.ada.email, role="admin")
    )
    listing = ada.get(USERS)
    assert listing.status == 200 and "Invite someone" not in listing.text
    assert ada.get(INVITE).status == 404
    assert ada.post(INVITE, {"email": "zoe@help.example.com", "role": "agent"}).status == 404
    assert "Send an invitation" not in ada.get(user_url(cast.frank)).text
    assert ada.post(user_url(cast.frank, "invite")).status == 404
    web.helpdesk.invitations.invite(cast.ada_actor, email="zoe@help.example.com")
    (link,) = invitation_links(web, "zoe@help.example.com")
    assert PortalClient(portal).get(link).status == 404


# ---------------------------------------------------------------------------- who may


@pytest.mark.parametrize("who", ["ann", "carol"])
def test_agents_and_customers_never_reach_user_administration(web, who):
    cast = web.cast
    client = logged_in(web, getattr(cast, who))
    for url in (USERS, INVITE, user_url(cast.frank), f"{USERS}?q=a"):
        assert client.get(url).status == 404, url
    attempts = [
        (INVITE, {"email": "zoe@help.example.com", "role": "admin"}),
        (user_url(getattr(cast, who)), {"role": "admin", "organization": "", "is_active": "1"}),
        (user_url(cast.ada), {"role": "customer", "organization": ""}),
        (user_url(cast.frank, "invite"), {}),
    ]
    for url, data in attempts:
        assert client.post(url, data).status == 404, url
    assert web.helpdesk.users.find_by_email("zoe@help.example.com") is None
    assert web.helpdesk.users.get(getattr(cast, who).id).role != "admin"
    ada = web.helpdesk.users.get(cast.ada.id)
    assert (ada.role, ada.is_active) == ("admin", True)
    assert invitation_links(web, cast.frank.email) == []


def test_visitors_are_sent_to_log_in(web):
    page = web.client().get(USERS, follow=False)
    assert page.status in (302, 303) and "/support/account/login" in (page.location or "")
