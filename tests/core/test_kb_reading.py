"""The knowledge base as customers read it: what each kind of visitor may see, the home and
category pages, article pages with related articles, and view counts."""

from __future__ import annotations

import pytest
from kb_shelf import build_shelf

from ticketcore import Actor, NotFound
from ticketcore.permissions import ActorKind


@pytest.fixture
def shelf(helpdesk, cast):
    return build_shelf(helpdesk, cast)


def test_drafts_and_archived_articles_do_not_exist_for_customers(helpdesk, cast, shelf):
    kb = helpdesk.kb
    for actor in (cast.carol_actor, Actor.anonymous()):
        for hidden in (shelf.draft, shelf.old):
            with pytest.raises(NotFound):
                kb.articles.get(actor, hidden.id)
            with pytest.raises(NotFound):
                kb.article(actor, "printing", hidden.slug)
            with pytest.raises(NotFound):
                kb.related(actor, hidden.id)
        listed = {a.id for a in kb.articles.list(actor).items}
        assert not listed & {shelf.draft.id, shelf.old.id}
        found = {h.article.id for h in kb.search(actor, "printer firmware fax").hits}
        assert not found & {shelf.draft.id, shelf.old.id}
    # Staff open them by address (a preview of the page) and find them in the agent portal.
    assert kb.article(cast.ann_actor, "printing", shelf.draft.slug).article.status == "draft"
    assert kb.articles.get(cast.bill_actor, shelf.old.id).status == "archived"
    assert shelf.draft.id in {h.article.id for h in kb.search(cast.ann_actor, "firmware").hits}


def test_customers_only_articles_are_for_logged_in_customers(helpdesk, cast, shelf):
    kb = helpdesk.kb
    anonymous = Actor.anonymous()
    with pytest.raises(NotFound):
        kb.article(anonymous, "billing", "refunds")
    with pytest.raises(NotFound):
        kb.articles.get(anonymous, shelf.refunds.id)
    assert kb.search(anonymous, "refunds").hits == []
    assert kb.article(cast.carol_actor, "billing", "refunds").article.id == shelf.refunds.id
    assert [h.article.id for h in kb.search(cast.frank_actor, "refunds").hits] == [shelf.refunds.id]
    # A guest holds the link of one ticket, nothing more: public articles only.
    guest = Actor(ActorKind.GUEST, ticket_id=1)
    with pytest.raises(NotFound):
        kb.articles.get(guest, shelf.refunds.id)
    assert kb.articles.get(guest, shelf.setup.id).title == "Printer setup"


def test_home_shows_categories_popular_and_recent(helpdesk, cast, shelf, clock):
    kb = helpdesk.kb
    for _ in range(3):
        kb.article(cast.carol_actor, "printing", "paper-jams")
    kb.article(cast.carol_actor, "invoices", "downloading-an-invoice")
    clock.advance(hours=1)
    kb.articles.update(cast.ann_actor, shelf.setup.id, body="Updated steps.")

    home = kb.home(Actor.anonymous())
    assert [(c.slug, c.article_count) for c in home.categories] == [
        ("billing", 1),  # refunds is for customers; the invoice is in the subcategory
        ("printing", 2),  # not the draft, not the archived one
    ]
    assert [(c.slug, c.article_count) for c in home.categories[0].children] == [("invoices", 1)]
    assert [a.title for a in home.popular][:2] == ["Paper jams", "Downloading an invoice"]
    assert home.popular[0].view_count == 3
    assert home.recent[0].title == "Printer setup"
    assert {a.id for a in home.popular + home.recent} <= {
        shelf.setup.id,
        shelf.jams.id,
        shelf.invoice.id,
    }
    carol_home = kb.home(cast.carol_actor)
    billing = carol_home.categories[0]
    assert (billing.slug, billing.article_count) == ("billing", 2)


def test_category_page(helpdesk, cast, shelf):
    page = helpdesk.kb.category(Actor.anonymous(), "billing")
    assert (page.category.name, page.parent, page.articles) == ("Billing", None, [])
    assert [c.slug for c in page.category.children] == ["invoices"]
    sub = helpdesk.kb.category(Actor.anonymous(), "invoices")
    assert sub.parent is not None and sub.parent.slug == "billing"
    assert [a.title for a in sub.articles] == ["Downloading an invoice"]
    printing = helpdesk.kb.category(cast.ann_actor, "printing")  # staff: published ones too
    assert [a.title for a in printing.articles] == ["Paper jams", "Printer setup"]
    with pytest.raises(NotFound):
        helpdesk.kb.category(Actor.anonymous(), "nowhere")


def test_views_are_counted_for_customers_only(helpdesk, cast, shelf):
    kb = helpdesk.kb
    assert kb.article(Actor.anonymous(), "printing", "printer-setup").article.view_count == 1
    assert kb.article(cast.carol_actor, "printing", "printer-setup").article.view_count == 2
    assert kb.article(cast.ann_actor, "printing", "printer-setup").article.view_count == 2
    page = kb.article(Actor.anonymous(), "printing", "printer-setup", count_view=False)
    assert page.article.view_count == 2
    assert kb.votes.stats(cast.ann_actor, article_id=shelf.setup.id)[0].views == 2


def test_related_articles_chosen_first_then_shared_tags(helpdesk, cast, shelf):
    kb = helpdesk.kb
    anonymous = Actor.anonymous()
    # setup shares "printer" with jams; nothing chosen yet.
    assert [a.id for a in kb.related(anonymous, shelf.setup.id)][:1] == [shelf.jams.id]
    kb.articles.update(
        cast.ann_actor,
        shelf.setup.id,
        related=[shelf.refunds.id, shelf.invoice.id, shelf.draft.id],
    )
    for_anonymous = [a.id for a in kb.related(anonymous, shelf.setup.id)]
    # Chosen ones first, in order, without those the reader may not see; then shared tags.
    assert for_anonymous[:2] == [shelf.invoice.id, shelf.jams.id]
    for_carol = [a.id for a in kb.article(cast.carol_actor, "printing", "printer-setup").related]
    assert for_carol[:3] == [shelf.refunds.id, shelf.invoice.id, shelf.jams.id]
    assert shelf.draft.id not in for_carol and shelf.setup.id not in for_carol
    assert len(kb.related(anonymous, shelf.setup.id, limit=1)) == 1


def test_related_by_tags_then_by_text(helpdesk, cast, shelf):
    kb = helpdesk.kb
    more = kb.articles.create(
        cast.ann_actor,
        title="Printer offline",
        body="The printer setup may be wrong.",
        category="printing",
        tags=["printer", "setup", "network"],
        status="published",
    )
    # setup shares two tags with `more`, one with jams.
    assert [a.id for a in kb.related(Actor.anonymous(), shelf.setup.id)][:2] == [
        more.id,
        shelf.jams.id,
    ]
    lonely = kb.articles.create(
        cast.ann_actor,
        title="Invoice address",
        body="Change it in Account.",
        category="billing",
        status="published",
    )
    # No chosen articles and no tags: the text closest to its title.
    related = kb.related(Actor.anonymous(), lonely.id)
    assert related and related[0].id == shelf.invoice.id
