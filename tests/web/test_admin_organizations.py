"""Administration → Organizations, driven as an admin would: domains one per line (a domain of
another organization refused with the reason beside the field), staff ticked and put in order,
deleting one nothing refers to; and agents, customers and visitors never reach any of it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

ORGS = "/support/agent/admin/organizations"


def logged_in(web: SimpleNamespace, user: Any) -> Any:
    client = web.client()
    client.log_in_as(user.id)
    return client


def org_url(org: Any, action: str = "") -> str:
    return f"{ORGS}/{org.id}" + (f"/{action}" if action else "")


def test_the_list_shows_domains_and_staff(web):
    cast = web.cast
    web.helpdesk.organizations.update(cast.ada_actor, cast.acme.id, staff=[cast.bill.id])
    page = logged_in(web, cast.ada).get(ORGS)
    assert page.status == 200
    assert f'href="{org_url(cast.acme)}">Acme</a>' in page.text
    assert "acme.example.com" in page.text and "globex.example.com" in page.text
    assert "Bill" in page.text


def test_an_admin_creates_an_organization(web):
    cast = web.cast
    ada = logged_in(web, cast.ada)
    form = ada.get(f"{ORGS}/new")
    assert form.status == 200
    assert '<label for="f-domains">Email domains' in form.text
    assert f'<label for="f-staff-{cast.ann.id}">Ann (ann@help.example.com)' in form.text

    made = ada.post(
        f"{ORGS}/new",
        {
            "name": "Initech",
            "domains": "initech.example.com\r\n\r\n  @Initech.example.org \r\n",
            "staff": [str(cast.ann.id), str(cast.bill.id)],
            "first": str(cast.bill.id),
        },
    )
    assert made.status == 200 and "Organization “Initech” created." in made.text
    (initech,) = [o for o in web.helpdesk.organizations.list() if o.name == "Initech"]
    assert initech.domains == ["initech.example.com", "initech.example.org"]
    assert initech.staff_ids == [cast.bill.id, cast.ann.id]  # Bill was chosen to come first
    # New customers at the domain join it, and their tickets go to Bill first.
    pete = web.helpdesk.users.create(cast.system, email="pete@initech.example.org")
    assert pete.organization_id == initech.id


def test_an_admin_edits_domains_and_staff(web):
    cast = web.cast
    ada = logged_in(web, cast.ada)
    page = ada.get(org_url(cast.acme))
    assert 'value="Acme"' in page.text
    assert ">acme.example.com</textarea>" in page.text

    saved = ada.post(
        org_url(cast.acme),
        {
            "name": "Acme Corp",
            "domains": "acme.example.com\nacme.example.net",
            "staff": [str(cast.ann.id), str(cast.bill.id)],
            "first": "",
        },
    )
    assert saved.status == 200 and "Organization “Acme Corp” saved." in saved.text
    acme = web.helpdesk.organizations.get(cast.acme.id)
    assert acme.name == "Acme Corp"
    assert acme.domains == ["acme.example.com", "acme.example.net"]
    assert acme.staff_ids == [cast.ann.id, cast.bill.id]

    page = ada.get(org_url(cast.acme))
    # The current staff come first on the form, in their order.
    assert page.text.index(f'id="f-staff-{cast.ann.id}"') < page.text.index(
        f'id="f-staff-{cast.bill.id}"'
    )
    assert page.text.index(f'id="f-staff-{cast.bill.id}"') < page.text.index(
        f'id="f-staff-{cast.ada.id}"'
    )
    ticket = web.helpdesk.tickets.create(cast.carol_actor, subject="Hi", body="b").ticket
    assert ticket.assignee is not None and ticket.assignee.id == cast.ann.id


def test_a_domain_of_another_organization_is_refused_beside_the_field(web):
    cast = web.cast
    ada = logged_in(web, cast.ada)
    refused = ada.post(
        org_url(cast.acme),
        {
            "name": "Acme",
            "domains": "acme.example.com\nglobex.example.com",
            "staff": [str(cast.bill.id)],
        },
    )
    assert refused.status == 400
    assert (
        'id="domains-error">already used by another organization: globex.example.com'
        in refused.text
    )
    assert "acme.example.com\nglobex.example.com</textarea>" in refused.text  # kept as typed
    ticked = (
        f'id="f-staff-{cast.bill.id}" name="staff" type="checkbox" value="{cast.bill.id}" checked'
    )
    assert ticked in refused.text
    acme = web.helpdesk.organizations.get(cast.acme.id)
    assert (acme.domains, acme.staff_ids) == (["acme.example.com"], [])

    not_a_domain = ada.post(org_url(cast.acme), {"name": "Acme", "domains": "acme dot com"})
    assert not_a_domain.status == 400
    assert "&#39;acme dot com&#39; is not a domain name" in not_a_domain.text


def test_deleting_an_organization(web):
    cast = web.cast
    helpdesk = web.helpdesk
    initech = helpdesk.organizations.create(cast.ada_actor, name="Initech")
    ada = logged_in(web, cast.ada)
    done = ada.post(org_url(initech, "delete"))
    assert done.status == 200 and "Organization “Initech” deleted." in done.text

    refused = ada.post(org_url(cast.acme, "delete"))
    assert refused.status == 409
    assert "Acme cannot be deleted: it still has 2 users." in refused.text
    assert 'value="Acme"' in refused.text
    assert [o.name for o in helpdesk.organizations.list()] == ["Acme", "Globex"]


@pytest.mark.parametrize("who", ["ann", "carol"])
def test_agents_and_customers_never_reach_organization_administration(web, who):
    cast = web.cast
    client = logged_in(web, getattr(cast, who))
    for url in (ORGS, f"{ORGS}/new", org_url(cast.acme)):
        assert client.get(url).status == 404, url
    attempts = [
        (f"{ORGS}/new", {"name": "Mine", "domains": "mine.example.com"}),
        (org_url(cast.acme), {"name": "Acme", "staff": [str(cast.ann.id)]}),
        (org_url(cast.globex, "delete"), {}),
    ]
    for url, data in attempts:
        assert client.post(url, data).status == 404, url
    assert [(o.name, o.staff_ids) for o in web.helpdesk.organizations.list()] == [
        ("Acme", []),
        ("Globex", []),
    ]


def test_an_unknown_organization_is_not_found(web):
    ada = logged_in(web, web.cast.ada)
    assert ada.get(f"{ORGS}/9999").status == 404
    assert ada.post(f"{ORGS}/9999/delete").status == 404


def test_visitors_are_sent_to_log_in(web):
    page = web.client().get(ORGS, follow=False)
    assert page.status in (302, 303) and "/support/account/login" in (page.location or "")
