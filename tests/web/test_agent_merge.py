"""The side work on an agent's ticket page: merging tickets, copying people in, revealing and
purging secure data — and none of it for customers or agents outside the ticket's team."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from cryptography.fernet import Fernet

from ticketcore.workflow import Status

AGENT = "/support/agent"
CONFIRM = "I understand the thread moves and this ticket closes"


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


def fresh(web: SimpleNamespace, ticket: Any) -> Any:
    return web.helpdesk.tickets.get(web.cast.system, ticket.id)


def bodies(web: SimpleNamespace, ticket: Any) -> list[str]:
    return [m.body for m in web.helpdesk.messages.thread(web.cast.system, ticket.id)]


# ---------------------------------------------------------------- merging


def test_merge_two_tickets_of_one_requester(web: SimpleNamespace) -> None:
    source = open_ticket(web, subject="Toner empty", body="SOURCE-BODY-1")
    target = open_ticket(web, subject="Printer on fire", body="TARGET-BODY-1")
    ann = logged_in(web, web.cast.ann)

    page = ann.get(ticket_url(source))
    assert f'<label for="merge-confirm">{CONFIRM}</label>' in page.text
    assert f'<option value="{target.track_id}">#{target.number} Printer on fire' in page.text
    assert f'<option value="{source.track_id}"' not in page.text  # not into itself

    merged = ann.post(ticket_url(source, "merge"), {"into": f"#{target.number}", "confirm": "1"})
    assert merged.status == 200 and merged.url == ticket_url(target)
    assert f"Ticket #{source.number} was merged into this ticket, and closed." in merged.text
    assert "SOURCE-BODY-1" in merged.text and "TARGET-BODY-1" in merged.text
    assert bodies(web, target) == ["SOURCE-BODY-1", "TARGET-BODY-1"]
    assert bodies(web, source) == []

    after = fresh(web, source)
    assert after.status is Status.CLOSED and after.merged_into_track_id == target.track_id
    shown = ann.get(ticket_url(source))
    assert "Merged into" in shown.text and f'href="{ticket_url(target)}"' in shown.text
    assert 'name="into"' not in shown.text  # nothing left to merge


def test_merge_by_choosing_a_candidate_or_track_id(web: SimpleNamespace) -> None:
    first = open_ticket(web, subject="First", body="FIRST")
    second = open_ticket(web, subject="Second", body="SECOND")
    third = open_ticket(web, subject="Third", body="THIRD")
    ann = logged_in(web, web.cast.ann)

    chosen = ann.post(
        ticket_url(first, "merge"), {"into": "", "candidate": second.track_id, "confirm": "1"}
    )
    assert chosen.url == ticket_url(second)
    typed = ann.post(ticket_url(second, "merge"), {"into": third.track_id, "confirm": "1"})
    assert typed.url == ticket_url(third)
    assert sorted(bodies(web, third)) == ["FIRST", "SECOND", "THIRD"]
    # Merged tickets are closed, and no longer offered as targets.
    page = ann.get(ticket_url(open_ticket(web, subject="Fourth")))
    assert f'<option value="{third.track_id}">' in page.text
    assert f'<option value="{first.track_id}">' not in page.text
    assert f'<option value="{second.track_id}">' not in page.text


def test_merge_refuses_another_requesters_ticket(web: SimpleNamespace) -> None:
    carols = open_ticket(web, body="CAROL-BODY")
    daves = open_ticket(web, who="dave", body="DAVE-BODY")
    ann = logged_in(web, web.cast.ann)

    page = ann.get(ticket_url(carols))
    assert f'<option value="{daves.track_id}"' not in page.text  # only Carol's are offered

    refused = ann.post(ticket_url(carols, "merge"), {"into": daves.track_id, "confirm": "1"})
    assert refused.status == 400
    assert 'id="merge-into-error">only tickets of the same requester can be merged' in refused.text
    assert f'value="{daves.track_id}"' in refused.text  # kept, to correct it
    assert fresh(web, carols).merged_into_track_id is None
    assert bodies(web, carols) == ["CAROL-BODY"] and bodies(web, daves) == ["DAVE-BODY"]

    unknown = ann.post(ticket_url(carols, "merge"), {"into": "#99999", "confirm": "1"})
    assert unknown.status == 400
    assert "There is no ticket #99999, or you may not see it." in unknown.text
    itself = ann.post(ticket_url(carols, "merge"), {"into": carols.track_id, "confirm": "1"})
    assert itself.status == 400 and "a ticket cannot be merged into itself" in itself.text
    assert fresh(web, carols).status is not Status.CLOSED


def test_merge_needs_the_confirmation(web: SimpleNamespace) -> None:
    source = open_ticket(web, body="SOURCE")
    target = open_ticket(web, body="TARGET")
    ann = logged_in(web, web.cast.ann)

    unconfirmed = ann.post(ticket_url(source, "merge"), {"into": target.track_id})
    assert unconfirmed.status == 400
    assert 'id="merge-confirm-error">Tick this box to merge' in unconfirmed.text
    assert f'value="{target.track_id}"' in unconfirmed.text
    nameless = ann.post(ticket_url(source, "merge"), {"into": " ", "confirm": "1"})
    assert nameless.status == 400
    assert 'id="merge-into-error">Name the ticket to merge this one into.' in nameless.text
    assert fresh(web, source).merged_into_track_id is None
    assert bodies(web, source) == ["SOURCE"] and bodies(web, target) == ["TARGET"]


# ---------------------------------------------------------------- copied people


def test_agents_copy_people_in_and_out(web: SimpleNamespace) -> None:
    ticket = open_ticket(web)
    ann = logged_in(web, web.cast.ann)

    added = ann.post(ticket_url(ticket, "cc"), {"email": " Boss@Acme.example.com "})
    assert added.url == ticket_url(ticket)
    assert "is copied on this ticket now." in added.text
    (address,) = fresh(web, ticket).cc
    assert address.lower() == "boss@acme.example.com"
    assert f"Remove {address}" in added.text

    twice = ann.post(ticket_url(ticket, "cc"), {"email": address})
    assert twice.status == 400
    assert 'id="ticket-cc-error"' in twice.text and "already follows this ticket" in twice.text
    broken = ann.post(ticket_url(ticket, "cc"), {"email": "not an address"})
    assert broken.status == 400 and 'value="not an address"' in broken.text
    assert fresh(web, ticket).cc == [address]

    removed = ann.post(ticket_url(ticket, "cc/remove"), {"email": address})
    assert f"{address} is no longer copied on this ticket." in removed.text
    assert fresh(web, ticket).cc == []
    again = ann.post(ticket_url(ticket, "cc/remove"), {"email": address})
    assert f"{address} is not copied on this ticket." in again.text


# ---------------------------------------------------------------- secure data


def secure_web(web_factory: Callable[..., SimpleNamespace]) -> SimpleNamespace:
    return web_factory(secure_data_key=Fernet.generate_key().decode())


def test_revealing_secure_data_shows_it_once_and_is_audited(
    web_factory: Callable[..., SimpleNamespace],
) -> None:
    web = secure_web(web_factory)
    ticket = open_ticket(web)
    secret = "hunter2-<b>not bold</b>"
    item = web.helpdesk.secure_data.send(
        web.cast.carol_actor, ticket.id, label="VPN password", secret=secret
    )
    ann = logged_in(web, web.cast.ann)

    page = ann.get(ticket_url(ticket))
    assert "VPN password" in page.text and "hunter2" not in page.text
    assert web.helpdesk.tickets.audit_trail(web.cast.system, ticket.id)[-1].action != (
        "secure_data_revealed"
    )

    shown = ann.post(ticket_url(ticket, f"secure-data/{item.id}/reveal"), {}, follow=False)
    assert shown.status == 200
    assert "hunter2-&lt;b&gt;not bold&lt;/b&gt;" in shown.text  # escaped, never markup
    assert shown.header("Cache-Control") == "private, no-store"
    assert "hunter2" not in (shown.header("Location") or "")
    reveals = [
        e
        for e in web.helpdesk.tickets.audit_trail(web.cast.system, ticket.id)
        if e.action == "secure_data_revealed"
    ]
    assert [(e.actor_id, e.new_value) for e in reveals] == [(web.cast.ann.id, "VPN password")]

    again = ann.get(ticket_url(ticket))
    assert "hunter2" not in again.text  # nothing kept in the session


def test_purging_secure_data(web_factory: Callable[..., SimpleNamespace]) -> None:
    web = secure_web(web_factory)
    ticket = open_ticket(web)
    item = web.helpdesk.secure_data.send(
        web.cast.carol_actor, ticket.id, label="PIN", secret="1234"
    )
    ann = logged_in(web, web.cast.ann)

    purged = ann.post(ticket_url(ticket, f"secure-data/{item.id}/purge"), {})
    assert purged.url == ticket_url(ticket)
    assert "The secure data was purged." in purged.text and "purged on" in purged.text
    assert "Reveal" not in purged.text
    (after,) = web.helpdesk.secure_data.list(web.cast.system, ticket.id)
    assert not after.available
    late = ann.post(ticket_url(ticket, f"secure-data/{item.id}/reveal"), {})
    assert "This secure data was purged: there is nothing left to reveal." in late.text
    twice = ann.post(ticket_url(ticket, f"secure-data/{item.id}/purge"), {})
    assert "This secure data was already purged." in twice.text


def test_secure_data_switched_off(web: SimpleNamespace) -> None:
    ticket = open_ticket(web)
    ann = logged_in(web, web.cast.ann)
    assert "Reveal" not in ann.get(ticket_url(ticket)).text
    assert ann.post(ticket_url(ticket, "secure-data/1/reveal"), {}).status == 404
    assert ann.post(ticket_url(ticket, "secure-data/1/purge"), {}).status == 404


# ---------------------------------------------------------------- who may


def _posts(ticket: Any, other: Any, item_id: int) -> dict[str, dict[str, str]]:
    return {
        ticket_url(ticket, "merge"): {"into": other.track_id, "confirm": "1"},
        ticket_url(other, "merge"): {"into": ticket.track_id, "confirm": "1"},
        ticket_url(ticket, "cc"): {"email": "spy@evil.example.com"},
        ticket_url(ticket, "cc/remove"): {"email": "boss@acme.example.com"},
        ticket_url(ticket, f"secure-data/{item_id}/reveal"): {},
        ticket_url(ticket, f"secure-data/{item_id}/purge"): {},
    }


def test_customers_and_other_teams_get_404_and_change_nothing(
    web_factory: Callable[..., SimpleNamespace],
) -> None:
    web = secure_web(web_factory)
    helpdesk, cast = web.helpdesk, web.cast
    ticket = open_ticket(web, body="MINE")
    other = open_ticket(web, body="ALSO MINE")
    helpdesk.tickets.add_cc(cast.ann_actor, ticket.id, "boss@acme.example.com")
    item = helpdesk.secure_data.send(cast.carol_actor, ticket.id, label="PIN", secret="4321")
    before = helpdesk.tickets.audit_trail(cast.system, ticket.id)

    carol, bill = logged_in(web, cast.carol), logged_in(web, cast.bill)
    for client in (carol, bill):
        for url, data in _posts(ticket, other, item.id).items():
            answer = client.post(url, data)
            assert answer.status == 404, url
            assert "4321" not in answer.text
    assert fresh(web, ticket).cc == ["boss@acme.example.com"]
    assert fresh(web, ticket).merged_into_track_id is None
    assert fresh(web, other).merged_into_track_id is None
    assert helpdesk.secure_data.list(cast.system, ticket.id)[0].available
    assert helpdesk.tickets.audit_trail(cast.system, ticket.id) == before  # no reveal either

    anonymous = web.client()
    answer = anonymous.post(ticket_url(ticket, f"secure-data/{item.id}/reveal"), {}, follow=False)
    assert answer.status in (302, 303) and "login" in (answer.header("Location") or "")


def test_an_agent_cannot_merge_into_a_ticket_they_cannot_see(web: SimpleNamespace) -> None:
    helpdesk, cast = web.helpdesk, web.cast
    mine = open_ticket(web, body="SUPPORT")
    billing = open_ticket(web, body="BILLING")
    helpdesk.tickets.update(cast.system, billing.id, team=cast.billing.id, assignee=0)
    ann = logged_in(web, cast.ann)

    page = ann.get(ticket_url(mine))
    assert billing.track_id not in page.text
    answer = ann.post(ticket_url(mine, "merge"), {"into": billing.track_id, "confirm": "1"})
    assert answer.status == 400
    assert f"There is no ticket {billing.track_id}, or you may not see it." in answer.text
    assert bodies(web, mine) == ["SUPPORT"] and bodies(web, billing) == ["BILLING"]
