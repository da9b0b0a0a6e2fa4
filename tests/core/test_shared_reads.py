"""`Helpdesk.shared_reads()`: the reads of a page share one transaction, and a write ends it,
so nothing read after a change is older than the change."""

from __future__ import annotations

import pytest

from engine_events import transactions_begun
from ticketcore import Helpdesk, NotFound
from ticketcore.services.unit_of_work import unit_of_work


@pytest.fixture
def ticket(helpdesk, cast):
    return helpdesk.tickets.create(cast.carol_actor, subject="Printer on fire", body="b").ticket


def read_a_page(helpdesk: Helpdesk, cast, ticket_id: int) -> None:
    helpdesk.users.get(cast.ann.id)
    helpdesk.tickets.get(cast.ann_actor, ticket_id)
    helpdesk.tickets.list(cast.ann_actor)
    helpdesk.teams.names()


def test_the_reads_of_a_block_share_one_transaction(helpdesk, cast, ticket) -> None:
    with transactions_begun(helpdesk) as begun:
        read_a_page(helpdesk, cast, ticket.id)
    assert len(begun) == 4  # on its own, each read is a transaction
    with transactions_begun(helpdesk) as begun, helpdesk.shared_reads():
        read_a_page(helpdesk, cast, ticket.id)
    assert len(begun) == 1


def test_a_read_after_a_write_in_the_block_sees_the_write(helpdesk, cast, ticket) -> None:
    with helpdesk.shared_reads():
        assert helpdesk.tickets.get(cast.ann_actor, ticket.id).status == "open"
        helpdesk.tickets.update(cast.ann_actor, ticket.id, status="pending")
        assert helpdesk.tickets.get(cast.ann_actor, ticket.id).status == "pending"
        [listed] = helpdesk.tickets.list(cast.ann_actor).items
        assert listed.status == "pending"


def test_a_write_begun_inside_a_read_ends_the_snapshot_when_the_read_ends(
    helpdesk, cast, ticket
) -> None:
    with helpdesk.shared_reads():
        with unit_of_work(helpdesk, read_only=True):
            assert helpdesk.tickets.get(cast.ann_actor, ticket.id).status == "open"
            helpdesk.tickets.update(cast.ann_actor, ticket.id, status="pending")
        assert helpdesk.tickets.get(cast.ann_actor, ticket.id).status == "pending"


def test_a_read_that_fails_leaves_the_next_one_working(helpdesk, cast, ticket) -> None:
    with helpdesk.shared_reads():
        with pytest.raises(NotFound):
            helpdesk.tickets.get(cast.carol_actor, ticket.id + 1000)
        assert helpdesk.tickets.get(cast.carol_actor, ticket.id).subject == "Printer on fire"


def test_another_helpdesk_on_the_same_database_is_not_shared(
    helpdesk, helpdesk_factory, cast, ticket
) -> None:
    other = helpdesk_factory()
    with helpdesk.shared_reads(), transactions_begun(other) as begun:
        helpdesk.tickets.get(cast.ann_actor, ticket.id)
        other.tickets.get(cast.ann_actor, ticket.id)
        other.tickets.get(cast.ann_actor, ticket.id)
    assert len(begun) == 2


def test_a_change_made_elsewhere_during_the_block_is_seen_after_it(
    helpdesk, helpdesk_factory, cast, ticket
) -> None:
    other = helpdesk_factory()
    with helpdesk.shared_reads():
        helpdesk.tickets.get(cast.ann_actor, ticket.id)
        other.tickets.update(cast.ann_actor, ticket.id, status="pending")
    assert helpdesk.tickets.get(cast.ann_actor, ticket.id).status == "pending"
