""" "Was this helpful?" votes, the statistics agents read, and deflection: suggested articles
opened from the new-ticket form and what the visitor did next."""

from __future__ import annotations

import pytest
from kb_shelf import build_shelf

from ticketcore import Actor, InvalidInput, NotFound, PermissionDenied


@pytest.fixture
def shelf(helpdesk, cast):
    return build_shelf(helpdesk, cast)


def test_a_visitor_votes_once_and_a_second_vote_changes_nothing(helpdesk, cast, shelf):
    votes = helpdesk.kb.votes
    anonymous = Actor.anonymous()
    first = votes.vote(anonymous, shelf.setup.id, helpful=True, visitor_key="cookie-1")
    second = votes.vote(anonymous, shelf.setup.id, helpful=False, visitor_key="cookie-1")
    assert (first.counted, first.helpful) == (True, True)
    assert (second.counted, second.helpful) == (False, True)  # the first vote stands
    votes.vote(anonymous, shelf.setup.id, helpful=False, visitor_key="cookie-2")
    [stats] = votes.stats(cast.ann_actor, article_id=shelf.setup.id)
    assert (stats.helpful_yes, stats.helpful_no, stats.helpful_percent) == (1, 1, 50.0)


def test_a_logged_in_customer_votes_once_whatever_their_cookie(helpdesk, cast, shelf):
    votes = helpdesk.kb.votes
    assert votes.vote(cast.carol_actor, shelf.jams.id, helpful=False, visitor_key="a").counted
    again = votes.vote(cast.carol_actor, shelf.jams.id, helpful=True, visitor_key="b")
    assert again == again.__class__(counted=False, helpful=False)
    # A visitor's key can never pass for an account's.
    assert votes.vote(
        Actor.anonymous(), shelf.jams.id, helpful=True, visitor_key=f"user:{cast.carol.id}"
    ).counted


def test_a_comment_is_kept_with_a_no_only(helpdesk, cast, shelf, clock):
    votes = helpdesk.kb.votes
    anonymous = Actor.anonymous()
    votes.vote(anonymous, shelf.setup.id, helpful=True, comment="great", visitor_key="v1")
    votes.vote(anonymous, shelf.setup.id, helpful=False, comment="Step 2 fails", visitor_key="v2")
    clock.advance(minutes=5)
    votes.vote(anonymous, shelf.setup.id, helpful=False, comment="No driver", visitor_key="v3")
    votes.vote(anonymous, shelf.setup.id, helpful=False, visitor_key="v4")
    comments = votes.comments(cast.ann_actor, shelf.setup.id)
    assert [c.comment for c in comments] == ["No driver", "Step 2 fails"]
    assert comments[0].created_at == clock.now()


def test_votes_need_an_article_the_visitor_can_read(helpdesk, cast, shelf):
    votes = helpdesk.kb.votes
    for article in (shelf.draft, shelf.old, shelf.refunds):
        with pytest.raises(NotFound):
            votes.vote(Actor.anonymous(), article.id, helpful=True, visitor_key="v")
    assert votes.vote(cast.carol_actor, shelf.refunds.id, helpful=True, visitor_key="v").counted
    with pytest.raises(InvalidInput) as info:
        votes.vote(Actor.anonymous(), shelf.setup.id, helpful=True, visitor_key="")
    assert set(info.value.errors) == {"visitor_key"}


def test_statistics_are_for_staff(helpdesk, cast, shelf):
    votes = helpdesk.kb.votes
    helpdesk.kb.article(Actor.anonymous(), "printing", "paper-jams")
    stats = votes.stats(cast.ann_actor)
    assert stats[0].article_id == shelf.jams.id and stats[0].views == 1
    assert {s.article_id for s in stats} >= {shelf.draft.id, shelf.old.id}
    assert stats[-1].helpful_percent is None
    for actor in (cast.carol_actor, Actor.anonymous()):
        with pytest.raises(PermissionDenied):
            votes.stats(actor)
        with pytest.raises(PermissionDenied):
            votes.comments(actor, shelf.setup.id)
        with pytest.raises(PermissionDenied):
            helpdesk.kb.deflection.counts(actor)


def test_deflection_counts(helpdesk, cast, shelf, clock):
    deflection = helpdesk.kb.deflection
    visitor = Actor.anonymous()

    def opened(key: str, article=shelf.jams):
        return deflection.opened(visitor, article_id=article.id, visitor_key=key, subject="Jam")

    # Yesterday: one visitor left without a ticket, one opened a ticket anyway.
    first = opened("gone")
    assert (first.outcome, first.subject, first.decided_at) == ("opened", "Jam", None)
    assert opened("gone").id == first.id  # opening it again records nothing new
    opened("persistent")
    created = helpdesk.tickets.create(cast.carol_actor, subject="Jam", body="Still jammed")
    assert deflection.converted(cast.carol_actor, "persistent", created.ticket.id) == 1
    clock.advance(days=1)
    # Today: one says the article answered them, one is still reading.
    opened("solved", shelf.setup)
    assert deflection.deflected(visitor, "solved") == 1
    opened("reading")

    counts = deflection.counts(cast.ann_actor)
    assert (counts.deflected_today, counts.deflected_last_7_days) == (1, 2)
    assert (counts.converted_last_7_days, counts.opened_last_7_days) == (1, 4)

    clock.advance(hours=2)  # the reader left without opening a ticket
    counts = deflection.counts(cast.ann_actor)
    assert (counts.deflected_today, counts.deflected_last_7_days) == (2, 3)
    clock.advance(days=8)
    assert deflection.counts(cast.ann_actor).opened_last_7_days == 0
    assert [s.outcome for s in deflection.list(cast.ann_actor)] == [
        "opened",
        "deflected",
        "converted",
        "opened",
    ]


def test_converting_needs_a_ticket_the_visitor_can_see(helpdesk, cast, shelf):
    deflection = helpdesk.kb.deflection
    deflection.opened(cast.erin_actor, article_id=shelf.jams.id, visitor_key="k", subject="s")
    carols = helpdesk.tickets.create(cast.carol_actor, subject="Mine", body="b")
    with pytest.raises(NotFound):
        deflection.converted(cast.erin_actor, "k", carols.ticket.id)
    with pytest.raises(NotFound):  # a suggestion of an article the visitor cannot read
        deflection.opened(Actor.anonymous(), article_id=shelf.refunds.id, visitor_key="k")


def test_stats_for_the_articles_a_list_page_shows(helpdesk, cast, shelf):
    kb, votes = helpdesk.kb, helpdesk.kb.votes
    for _ in range(3):  # the most read article, which an unfiltered top-1 would give
        kb.article(cast.carol_actor, "printing", shelf.setup.slug)
    assert votes.stats(cast.ann_actor, limit=1)[0].article_id == shelf.setup.id
    [refunds] = votes.stats(cast.ann_actor, article_ids=[shelf.refunds.id], limit=1)
    assert refunds.article_id == shelf.refunds.id
    assert votes.stats(cast.ann_actor, article_ids=[]) == []
