"""Many people at once: numbers and track IDs never repeat, and no reply is lost.

Runs on every backend; on PostgreSQL and MariaDB the threads really overlap (row locks), on
SQLite they queue on the database lock (BEGIN IMMEDIATE with a busy timeout).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from ticketcore import Status

WORKERS = 20


def run_together(count, action):
    """Start `count` calls of `action(i)` at the same instant; return results or raise."""
    barrier = threading.Barrier(count)

    def worker(i):
        barrier.wait(timeout=30)
        return action(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(worker, range(count)))


def test_concurrent_creation_gives_distinct_numbers_and_track_ids(helpdesk, cast):
    customers = [cast.carol_actor, cast.dave_actor, cast.erin_actor, cast.frank_actor]
    created = run_together(
        WORKERS,
        lambda i: (
            helpdesk.tickets.create(customers[i % 4], subject=f"Rush {i}", body="at once").ticket
        ),
    )
    assert sorted(t.number for t in created) == list(range(1, WORKERS + 1))
    assert len({t.track_id for t in created}) == WORKERS
    assert helpdesk.tickets.counts(cast.ada_actor).total == WORKERS


def test_concurrent_replies_are_all_kept_and_counted(helpdesk, cast):
    ticket = helpdesk.tickets.create(cast.carol_actor, subject="Busy", body="first").ticket
    helpdesk.messages.reply(cast.ann_actor, ticket.id, body="waiting on you", status="pending")
    people = [cast.carol_actor, cast.ann_actor]
    run_together(
        WORKERS, lambda i: helpdesk.messages.reply(people[i % 2], ticket.id, body=f"reply {i}")
    )
    after = helpdesk.tickets.get(cast.ann_actor, ticket.id)
    thread = helpdesk.messages.thread(cast.ann_actor, ticket.id)
    assert after.reply_count == WORKERS + 1  # the 20 plus the agent's "waiting on you"
    assert sorted(m.body for m in thread[2:]) == sorted(f"reply {i}" for i in range(WORKERS))
    assert after.status is Status.OPEN  # the customers' replies ended "waiting on you"


def test_concurrent_round_robin_spreads_tickets_evenly(helpdesk, cast):
    from ticketcore import Actor

    zoe = helpdesk.users.create(
        Actor.system(), email="zoe@help.example.com", role="agent", teams=["support"]
    )
    created = run_together(
        WORKERS,
        lambda i: helpdesk.tickets.create(cast.frank_actor, subject=f"t{i}", body="b").ticket,
    )
    per_agent = {cast.ann.id: 0, zoe.id: 0}
    for ticket in created:
        per_agent[ticket.assignee.id] += 1
    assert per_agent == {cast.ann.id: WORKERS // 2, zoe.id: WORKERS // 2}
