"""The knowledge base in the customer portal: what visitors and customers may read, search with
marked snippets, "Was this helpful?" once per visitor, and old addresses that still work."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

KB = "/support/kb"


def logged_in(web: SimpleNamespace, user: Any) -> Any:
    client = web.client()
    client.log_in_as(user.id)
    return client


@pytest.fixture
def kb(web: SimpleNamespace) -> SimpleNamespace:
    """Billing and its subcategory Invoices; articles: public, customers only, a draft."""
    kb = web.helpdesk.kb
    ann = web.cast.ann_actor
    kb.categories.create(ann, name="Billing", description="Plans and payments")
    kb.categories.create(ann, name="Invoices", parent="billing")
    invoice = kb.articles.create(
        ann,
        title="Downloading an invoice",
        body="Open **Account → Billing** and choose *Download*.",
        category="invoices",
        tags=["invoice"],
        status="published",
    )
    private = kb.articles.create(
        ann,
        title="Invoice disputes for customers",
        body="Write to us about a disputed invoice.",
        category="billing",
        audience="customers",
        status="published",
    )
    draft = kb.articles.create(
        ann, title="Invoice draft notes", body="Not ready.", category="billing"
    )
    return SimpleNamespace(invoice=invoice, private=private, draft=draft)


def test_the_home_links_the_knowledge_base_and_it_lists_categories(web, kb):
    home = web.client().get("/support/")
    assert f'href="{KB}">Knowledge base</a>' in home.text
    page = web.client().get(KB)
    assert page.status == 200
    assert f'href="{KB}/billing"><strong>Billing</strong>' in page.text
    assert f'href="{KB}/invoices">Invoices</a>' in page.text
    assert f'href="{KB}/invoices/downloading-an-invoice">Downloading an invoice</a>' in page.text
    assert '<label for="kb-q">Search the knowledge base</label>' in page.text
    category = web.client().get(f"{KB}/invoices")
    assert category.status == 200 and "Downloading an invoice" in category.text


def test_a_customer_searches_and_sees_marked_snippets(web, kb):
    page = logged_in(web, web.cast.carol).get(f"{KB}/search?q=invoice+download")
    assert page.status == 200
    assert "<mark>Downloading</mark> an <mark>invoice</mark>" in page.text
    assert "<mark>Download</mark>" in page.text
    assert "Invoice draft notes" not in page.text


def test_search_pages_through_the_hits(web, kb):
    for number in range(12):
        web.helpdesk.kb.articles.create(
            web.cast.ann_actor,
            title=f"Printer guide {number}",
            body="The printer needs paper.",
            category="billing",
            status="published",
        )
    first = web.client().get(f"{KB}/search?q=printer")
    assert "12 articles found" in first.text and "Page 1 of 2" in first.text
    second = web.client().get(f"{KB}/search?q=printer&page=2")
    assert second.status == 200 and "Page 2 of 2" in second.text
    assert second.text.count("<mark>Printer</mark> guide") == 2


def test_drafts_and_archived_articles_answer_404(web, kb):
    web.helpdesk.kb.articles.archive(web.cast.ann_actor, kb.invoice.id)
    for client in (web.client(), logged_in(web, web.cast.carol)):
        assert client.get(f"{KB}/billing/invoice-draft-notes").status == 404
        assert client.get(f"{KB}/invoices/downloading-an-invoice").status == 404


def test_customers_only_articles_are_hidden_from_visitors(web, kb):
    path = f"{KB}/billing/invoice-disputes-for-customers"
    assert web.client().get(path).status == 404
    page = logged_in(web, web.cast.carol).get(path)
    assert page.status == 200 and "Write to us about a disputed invoice." in page.text


def test_a_script_in_an_article_never_reaches_the_page_unescaped(web, kb):
    web.helpdesk.kb.articles.create(
        web.cast.ann_actor,
        title="<script>alert('title')</script>",
        slug="scripted",
        body="Hello <script>alert('body')</script>",
        category="billing",
        tags=["<script>"],
        status="published",
    )
    page = web.client().get(f"{KB}/billing/scripted")
    assert page.status == 200
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(" in page.text
    found = web.client().get(f"{KB}/search?q=alert")
    assert "<script>alert" not in found.text


def test_voting_twice_counts_once_and_thanks_both_times(web, kb):
    path = f"{KB}/invoices/downloading-an-invoice"
    visitor = web.client()
    page = visitor.get(path)
    assert "Was this helpful?" in page.text
    assert '<label for="kb-comment">What was missing? (optional)</label>' in page.text
    voted = visitor.post(f"{path}/vote", {"helpful": "no", "comment": "No PDF link"})
    assert voted.status == 200 and "Thanks for your feedback" in voted.text
    assert "Was this helpful?" not in voted.text
    again = visitor.post(f"{path}/vote", {"helpful": "yes"})
    assert "Thanks for your feedback" in again.text
    stats = web.helpdesk.kb.votes.stats(web.cast.ann_actor, article_id=kb.invoice.id)[0]
    assert (stats.helpful_yes, stats.helpful_no) == (0, 1)
    comments = web.helpdesk.kb.votes.comments(web.cast.ann_actor, kb.invoice.id)
    assert [c.comment for c in comments] == ["No PDF link"]
    web.client().post(f"{path}/vote", {"helpful": "yes"})  # another browser: another visitor
    stats = web.helpdesk.kb.votes.stats(web.cast.ann_actor, article_id=kb.invoice.id)[0]
    assert (stats.helpful_yes, stats.helpful_no) == (1, 1)


def test_an_old_slug_redirects_to_the_new_address(web, kb):
    web.helpdesk.kb.articles.update(web.cast.ann_actor, kb.invoice.id, slug="invoice-download")
    old = web.client().get(f"{KB}/invoices/downloading-an-invoice", follow=False)
    assert old.status in (301, 303)
    assert old.location == f"{KB}/invoices/invoice-download"
    page = web.client().get(f"{KB}/invoices/downloading-an-invoice")
    assert page.status == 200 and page.url == f"{KB}/invoices/invoice-download"


def test_suggest_returns_only_published_articles_the_visitor_may_read(web, kb):
    reply = web.client().get(f"{KB}/suggest?q=invoice")
    assert reply.status == 200 and reply.content_type.startswith("application/json")
    found = json.loads(reply.body)
    assert [s["title"] for s in found] == ["Downloading an invoice"]
    assert found[0]["url"].startswith(f"{KB}/invoices/downloading-an-invoice?from=new-ticket")
    customer = json.loads(logged_in(web, web.cast.carol).get(f"{KB}/suggest?q=invoice").body)
    assert {s["title"] for s in customer} == {
        "Downloading an invoice",
        "Invoice disputes for customers",
    }
    assert json.loads(web.client().get(f"{KB}/suggest?q=").body) == []


def test_the_portal_search_box_finds_the_customers_own_tickets_too(
    web: SimpleNamespace, kb: SimpleNamespace
) -> None:
    helpdesk, cast = web.helpdesk, web.cast
    mine = helpdesk.tickets.create(cast.carol_actor, subject="Invoice missing", body="B").ticket
    helpdesk.tickets.create(cast.dave_actor, subject="Invoice for Dave", body="B")
    home = logged_in(web, cast.carol).get("/support/")
    assert 'action="/support/kb/search"' in home.text
    assert "Search help articles and your tickets" in home.text
    page = logged_in(web, cast.carol).get(f"{KB}/search?q=invoice")
    tickets = page.text.split('id="kb-tickets-title"', 1)[1].split("</section>", 1)[0]
    assert mine.track_id in tickets and "Invoice for Dave" not in tickets
    assert "Downloading an <mark>invoice</mark>" in page.text
    visitor = web.client().get(f"{KB}/search?q=invoice")
    assert "kb-tickets-title" not in visitor.text and "Invoice missing" not in visitor.text
