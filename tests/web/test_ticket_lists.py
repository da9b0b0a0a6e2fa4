"""The customer's ticket lists (own, organization) and the public tickets."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

from ticketcore import Actor

LIST = "/support/tickets"
PUBLIC = "/support/public"
SYSTEM = Actor.system()


def logged_in(web: SimpleNamespace, user: Any) -> Any:
    client = web.client()
    client.log_in_as(user.id)
    return client


def open_ticket(web: SimpleNamespace, who: str, subject: str, **fields: Any) -> Any:
    actor = getattr(web.cast, f"{who}_actor")
    return web.helpdesk.tickets.create(actor, subject=subject, body="text", **fields).ticket


def rows(page: Any) -> list[str]:
    """The track IDs listed, in order."""
    return re.findall(r'data-label="Track ID"><a href="[^"]+">([^<]+)</a>', page.text)


# ------------------------------------------------------------------ my tickets


def test_login_required(web: SimpleNamespace) -> None:
    page = web.client().get(LIST, follow=False)
    assert page.status in (302, 303)
    assert "/support/account/login" in (page.location or "")


def test_customers_see_only_their_own_tickets(web: SimpleNamespace) -> None:
    carol = open_ticket(web, "carol", "Carol's printer")
    erin = open_ticket(web, "erin", "Erin's secret")
    dave = open_ticket(web, "dave", "Dave's laptop")
    page = logged_in(web, web.cast.carol).get(LIST)
    assert page.status == 200
    assert rows(page) == [carol.track_id]
    assert "Erin&#39;s secret" not in page.text and erin.track_id not in page.text
    assert dave.track_id not in page.text
    # Without organization visibility the switch is absent and asking for it changes nothing.
    assert "My organization" not in page.text
    assert rows(logged_in(web, web.cast.carol).get(LIST + "?view=organization")) == [carol.track_id]
    # Erin searching for Carol's ticket by its track ID finds nothing.
    assert rows(logged_in(web, web.cast.erin).get(f"{LIST}?show=all&q={carol.track_id}")) == []


def test_columns_and_empty_state(web: SimpleNamespace) -> None:
    client = logged_in(web, web.cast.frank)
    empty = client.get(LIST)
    assert "No tickets here." in empty.text and 'href="/support/tickets/new"' in empty.text
    ticket = open_ticket(web, "frank", "Columns", priority="high", team="billing")
    page = client.get(LIST)
    for label in (
        "Track ID",
        "Subject",
        "Status",
        "Priority",
        "Team",
        "Created",
        "Last reply",
        "Replies",
        "Response by",
        "Resolution by",
    ):
        assert f'<th scope="col">{label}</th>' in page.text
        assert f'data-label="{label}"' in page.text
    assert f'href="/support/tickets/{ticket.track_id}"' in page.text
    assert 'class="tc-badge tc-status-open">Open<' in page.text
    assert ">High<" in page.text and ">Billing<" in page.text


def test_status_tabs_with_counts(web: SimpleNamespace) -> None:
    active = open_ticket(web, "carol", "Active one")
    waiting = open_ticket(web, "carol", "Waiting one")
    closed = open_ticket(web, "carol", "Closed one")
    web.helpdesk.messages.reply(
        web.cast.ann_actor, waiting.id, body="Which model?", status="pending"
    )
    web.helpdesk.tickets.close(web.cast.carol_actor, closed.id)
    client = logged_in(web, web.cast.carol)

    default = client.get(LIST)
    assert rows(default) == [active.track_id]
    assert re.search(r'aria-current="page">Active \(1\)</a>', default.text)
    assert "Waiting on you (1)" in default.text and "Closed (1)" in default.text
    assert "All (3)" in default.text
    assert rows(client.get(LIST + "?show=waiting")) == [waiting.track_id]
    assert rows(client.get(LIST + "?show=closed")) == [closed.track_id]
    assert set(rows(client.get(LIST + "?show=all"))) == {
        active.track_id,
        waiting.track_id,
        closed.track_id,
    }


def test_search_by_track_id_and_subject(web: SimpleNamespace) -> None:
    first = open_ticket(web, "carol", "Invoice missing")
    second = open_ticket(web, "carol", "Password reset")
    client = logged_in(web, web.cast.carol)
    by_id = client.get(f"{LIST}?q={first.track_id.lower()}")
    assert rows(by_id) == [first.track_id]
    assert f'value="{first.track_id.lower()}"' in by_id.text
    assert rows(client.get(f"{LIST}?q=password")) == [second.track_id]
    assert "No tickets here." in client.get(f"{LIST}?q=nothing+like+it").text


def test_sort_by_created_or_last_reply(web: SimpleNamespace) -> None:
    older = open_ticket(web, "carol", "Older")
    web.clock.advance(minutes=5)
    newer = open_ticket(web, "carol", "Newer")
    web.clock.advance(minutes=5)
    web.helpdesk.messages.reply(web.cast.carol_actor, older.id, body="Any news?")
    client = logged_in(web, web.cast.carol)
    assert rows(client.get(LIST)) == [older.track_id, newer.track_id]
    by_created = client.get(LIST + "?sort=created")
    assert rows(by_created) == [newer.track_id, older.track_id]
    assert '<option value="created" selected>' in by_created.text


def test_pagination_across_25_tickets(web: SimpleNamespace) -> None:
    made = []
    for i in range(25):
        made.append(open_ticket(web, "carol", f"Ticket number {i}"))
        web.clock.advance(seconds=1)
    client = logged_in(web, web.cast.carol)
    first = client.get(LIST)
    assert len(rows(first)) == 20
    assert "Page 1 of 2" in first.text and "Previous" not in first.text
    assert rows(first)[0] == made[-1].track_id
    next_url = re.search(r'<a href="([^"]+)" rel="next">Next</a>', first.text)
    assert next_url
    second = client.get(next_url.group(1).replace("&amp;", "&"))
    assert rows(second) == [t.track_id for t in reversed(made[:5])]
    assert "Page 2 of 2" in second.text and 'rel="prev">Previous<' in second.text
    assert ">Next<" not in second.text
    # An old link past the end shows the last page; nonsense shows the first.
    assert rows(client.get(LIST + "?page=99")) == rows(second)
    for junk in (
        "page=abc",
        "page=-1",
        "page=0",
        "page=99999999999",
        "show=bogus",
        "sort=drop+table",
        "view=everyone",
        "q=" + "x" * 500,
    ):
        page = client.get(f"{LIST}?{junk}")
        assert page.status == 200, junk


def test_filters_survive_paging(web: SimpleNamespace) -> None:
    for i in range(21):
        open_ticket(web, "carol", f"Match {i}")
    open_ticket(web, "carol", "Other")
    page = logged_in(web, web.cast.carol).get(LIST + "?show=all&q=match&sort=created")
    assert "Page 1 of 2" in page.text
    link = re.search(r'<a href="([^"]+)" rel="next">', page.text)
    assert link and all(
        p in link.group(1) for p in ("show=all", "q=match", "sort=created", "page=2")
    )


def test_organization_view(web_factory: Any) -> None:
    web = web_factory(organization_visibility="view")
    carol = open_ticket(web, "carol", "Carol's own")
    dave = open_ticket(web, "dave", "Dave's request")
    erin = open_ticket(web, "erin", "Erin's request")
    client = logged_in(web, web.cast.carol)
    mine = client.get(LIST)
    assert "My organization" in mine.text
    assert rows(mine) == [carol.track_id]
    org = client.get(LIST + "?view=organization")
    assert set(rows(org)) == {carol.track_id, dave.track_id}
    assert erin.track_id not in org.text
    assert re.search(r'aria-current="page">My organization<', org.text)
    # Frank belongs to no organization: no switch, and asking for it shows his own list.
    frank = logged_in(web, web.cast.frank)
    assert "My organization" not in frank.get(LIST).text
    assert rows(frank.get(LIST + "?view=organization")) == []


def test_quick_reply_on_open_tickets_only(web: SimpleNamespace) -> None:
    active = open_ticket(web, "carol", "Still open")
    closed = open_ticket(web, "carol", "Done")
    web.helpdesk.tickets.close(web.cast.carol_actor, closed.id)
    client = logged_in(web, web.cast.carol)
    page = client.get(LIST + "?show=all")
    assert page.text.count('<details class="tc-quick-reply">') == 1
    assert "<summary>Quick reply</summary>" in page.text
    assert f'<label for="qr-{active.track_id}">Reply to {active.track_id}</label>' in page.text
    assert f'action="/support/tickets/{active.track_id}/reply"' in page.text
    assert 'name="next" value="/support/tickets?show=all"' in page.text
    assert f"Reply to {closed.track_id}" not in page.text

    answer = client.post(
        f"/support/tickets/{active.track_id}/reply",
        {"body": "Quick answer", "next": "/support/tickets?show=all"},
    )
    assert answer.status == 200 and answer.url.startswith("/support/tickets")
    assert "<h1>My tickets</h1>" in answer.text  # back on the list, as `next` asked
    thread = web.helpdesk.messages.thread(web.cast.carol_actor, active.id)
    assert thread[-1].body == "Quick answer"


def test_subject_markup_is_escaped(web: SimpleNamespace) -> None:
    open_ticket(web, "carol", '<img src=x onerror="alert(1)">')
    page = logged_in(web, web.cast.carol).get(LIST)
    assert "<img src=x" not in page.text and "&lt;img src=x" in page.text


# ------------------------------------------------------------------ public tickets


def test_public_list_is_absent_when_switched_off(web: SimpleNamespace) -> None:
    assert web.client().get(PUBLIC).status == 404
    assert logged_in(web, web.cast.carol).get(PUBLIC).status == 404


def test_public_list_hides_requester_emails(web_factory: Any) -> None:
    web = web_factory(public_tickets=True)
    shared = open_ticket(web, "carol", "How do I export?", is_public=True)
    private = open_ticket(web, "carol", "My invoice")
    other = open_ticket(web, "erin", "Also shared")
    web.helpdesk.tickets.set_public(web.cast.erin_actor, other.id, True)
    page = web.client().get(PUBLIC)
    assert page.status == 200
    assert set(rows(page)) == {shared.track_id, other.track_id}
    assert private.track_id not in page.text and "My invoice" not in page.text
    assert "carol@acme.example.com" not in page.text and "@" not in page.text.split("<main")[1]
    assert f'href="/support/tickets/{shared.track_id}"' in page.text
    assert rows(web.client().get(PUBLIC + "?q=export")) == [shared.track_id]
    assert web.client().get(PUBLIC + "?page=abc").status == 200
    # A logged-in customer sees the same public list, not their private tickets.
    assert set(rows(logged_in(web, web.cast.carol).get(PUBLIC))) == {
        shared.track_id,
        other.track_id,
    }
