"""The status rules, without a database."""

from __future__ import annotations

import pytest

from ticketcore import InvalidInput, InvalidTransition, Priority, Status, StatusGroup
from ticketcore.workflow import (
    TRANSITIONS,
    ReplyOnClosed,
    check_transition,
    status_after_customer_reply,
)


def test_customer_groups_cover_every_status_once():
    grouped = [s for g in StatusGroup for s in g.statuses]
    assert sorted(grouped) == sorted(Status)
    assert StatusGroup.ACTIVE.statuses == (Status.OPEN, Status.IN_PROGRESS)
    assert StatusGroup.WAITING_ON_YOU.statuses == (Status.PENDING,)
    assert StatusGroup.CLOSED.statuses == (Status.RESOLVED, Status.CLOSED)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Status.OPEN, Status.PENDING),
        (Status.PENDING, Status.OPEN),
        (Status.IN_PROGRESS, Status.RESOLVED),
        (Status.RESOLVED, Status.CLOSED),
        (Status.RESOLVED, Status.OPEN),
        (Status.CLOSED, Status.OPEN),
    ],
)
def test_allowed_transitions_pass(current, target):
    check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target", "message"),
    [
        (Status.CLOSED, Status.PENDING, "cannot go from Closed to Pending. Reopen it first."),
        (Status.CLOSED, Status.RESOLVED, "cannot go from Closed to Resolved"),
        (Status.RESOLVED, Status.PENDING, "cannot go from Resolved to Pending"),
        (Status.OPEN, Status.OPEN, "already Open"),
    ],
)
def test_impossible_transitions_say_why(current, target, message):
    with pytest.raises(InvalidTransition) as info:
        check_transition(current, target)
    assert isinstance(info.value, InvalidInput)
    assert message in info.value.errors["status"][0]


def test_closed_only_reopens():
    assert TRANSITIONS[Status.CLOSED] == {Status.OPEN}


@pytest.mark.parametrize("policy", list(ReplyOnClosed))
def test_customer_reply_on_pending_reopens_whatever_the_policy(policy):
    assert status_after_customer_reply(Status.PENDING, policy) is Status.OPEN


@pytest.mark.parametrize("status", [Status.OPEN, Status.IN_PROGRESS])
def test_customer_reply_on_active_ticket_keeps_status(status):
    assert status_after_customer_reply(status, ReplyOnClosed.REOPEN) is status


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED])
def test_customer_reply_on_finished_ticket_follows_policy(status):
    assert status_after_customer_reply(status, ReplyOnClosed.REOPEN) is Status.OPEN
    assert status_after_customer_reply(status, ReplyOnClosed.ALLOW) is status
    with pytest.raises(InvalidTransition, match="no longer takes replies"):
        status_after_customer_reply(status, ReplyOnClosed.REFUSE)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("urgent", Priority.URGENT),
        ("Low", Priority.LOW),
        (30, Priority.HIGH),
        ("20", Priority.NORMAL),
    ],
)
def test_priority_parses_names_and_ranks(given, expected):
    assert Priority.parse(given) is expected


def test_priorities_sort_by_rank():
    assert sorted([Priority.URGENT, Priority.LOW, Priority.HIGH]) == [
        Priority.LOW,
        Priority.HIGH,
        Priority.URGENT,
    ]
