"""The knowledge base in the agent portal: writing with a preview that keeps the text,
publishing, categories, and the bridges from tickets (a link for a reply, a draft from an
answer). Customers never see any of it."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest

AGENT_KB = "/support/agent/kb"


def logged_in(web: SimpleNamespace, user: Any) -> Any:
    client = web.client()
    client.log_in_as(user.id)
    return client


@pytest.fixture
def billing(web: SimpleNamespace) -> Any:
    return web.helpdesk.kb.categories.create(web.cast.ann_actor, name="Billing")


def test_an_agent_previews_keeping_the_text_then_publishes(web, billing):
    ann = logged_in(web, web.cast.ann)
    form = ann.get(f"{AGENT_KB}/new")
    assert form.status == 200
    for label in ("Title", "Category", "Address (slug)", "Who may read it", "Tags"):
        assert f">{label}" in form.text
    typed = {
        "title": "Refunds",
        "category": str(billing.id),
        "audience": "public",
        "tags": "money, refund",
        "body": "## Asking\n\nWrite <script>x</script> to **billing**.",
    }
    preview = ann.post(f"{AGENT_KB}/new", {**typed, "action": "preview"})
    assert preview.status == 200
    assert "<h2>Asking</h2>" in preview.text and "<strong>billing</strong>" in preview.text
    assert "<script>x" not in preview.text
    assert 'name="title" type="text" value="Refunds"' in preview.text
    assert "Write &lt;script&gt;x&lt;/script&gt; to **billing**.</textarea>" in preview.text
    assert web.helpdesk.kb.articles.list(web.cast.ann_actor).total == 0

    published = ann.post(f"{AGENT_KB}/new", {**typed, "action": "publish"})
    assert published.status == 200 and "Article “Refunds” published." in published.text
    [made] = web.helpdesk.kb.articles.list(web.cast.ann_actor).items
    assert (made.status, made.tags, made.path) == (
        "published",
        ["money", "refund"],
        "/kb/billing/refunds",
    )
    assert web.client().get("/support/kb/billing/refunds").status == 200

    listing = ann.get(AGENT_KB)
    assert f'href="{AGENT_KB}/{made.id}">Refunds</a>' in listing.text
    assert "no votes" in listing.text
    web.client().post("/support/kb/billing/refunds/vote", {"helpful": "yes"})
    assert "1 yes / 0 no (100.0 %)" in ann.get(f"{AGENT_KB}?status=published").text
    assert "Refunds" not in ann.get(f"{AGENT_KB}?status=draft").text

    archived = ann.post(f"{AGENT_KB}/{made.id}", {**typed, "action": "archive"})
    assert "Article “Refunds” archived." in archived.text
    assert web.client().get("/support/kb/billing/refunds").status == 404


def test_publishing_without_a_category_says_why_and_keeps_the_draft(web, billing):
    ann = logged_in(web, web.cast.ann)
    saved = ann.post(f"{AGENT_KB}/new", {"title": "Loose", "body": "Text", "action": "save"})
    assert "Article “Loose” saved." in saved.text
    [draft] = web.helpdesk.kb.articles.list(web.cast.ann_actor).items
    refused = ann.post(
        f"{AGENT_KB}/{draft.id}", {"title": "Loose", "body": "Changed", "action": "publish"}
    )
    assert refused.status == 400 and "Changed</textarea>" in refused.text
    assert web.helpdesk.kb.articles.get(web.cast.ann_actor, draft.id).status == "draft"
    empty = ann.post(f"{AGENT_KB}/new", {"title": " ", "body": "Kept", "action": "save"})
    assert empty.status == 400 and 'id="title-error">Give the article a title.' in empty.text


def test_categories_are_managed_and_a_full_one_is_not_deleted(web, billing):
    ann = logged_in(web, web.cast.ann)
    made = ann.post(
        f"{AGENT_KB}/categories",
        {"name": "Invoices", "parent": str(billing.id), "position": "0", "description": ""},
    )
    assert made.status == 200 and "Category “Invoices” created." in made.text
    assert f'href="{AGENT_KB}/categories/{billing.id}">Billing</a>' in made.text
    refused = ann.post(f"{AGENT_KB}/categories/{billing.id}/delete")
    assert refused.status == 409
    assert "has subcategories: move them first" in refused.text
    invoices = web.helpdesk.kb.categories.get(web.cast.ann_actor, "invoices")
    renamed = ann.post(
        f"{AGENT_KB}/categories/{invoices.id}",
        {"name": "Bills", "slug": "bills", "parent": "", "position": "2", "description": "x"},
    )
    assert "Category “Bills” saved." in renamed.text
    gone = ann.post(f"{AGENT_KB}/categories/{invoices.id}/delete")
    assert "Category “Bills” deleted." in gone.text


def test_customers_and_visitors_cannot_reach_the_agent_knowledge_base(web, billing):
    carol = logged_in(web, web.cast.carol)
    for url in (AGENT_KB, f"{AGENT_KB}/new", f"{AGENT_KB}/categories"):
        assert carol.get(url).status == 404
    assert carol.post(f"{AGENT_KB}/new", {"title": "Mine", "action": "save"}).status == 404
    assert web.client().get(AGENT_KB, follow=False).status in (302, 303)
    assert web.helpdesk.kb.articles.list(web.cast.ann_actor).total == 0


def test_an_agent_makes_a_draft_from_an_answer_and_links_articles_in_a_reply(web, billing):
    helpdesk, cast = web.helpdesk, web.cast
    ticket = helpdesk.tickets.create(cast.carol_actor, subject="Refund please", body="Help").ticket
    answer = helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Refunds take **5 days**.")
    helpdesk.kb.articles.create(
        cast.ann_actor,
        title="Refund times",
        body="Five days.",
        category="billing",
        status="published",
    )
    ann = logged_in(web, cast.ann)
    page = ann.get(f"/support/agent/tickets/{ticket.track_id}")
    assert page.text.count("Create article from this answer") == 2
    assert "Insert knowledge base link" in page.text

    found = ann.get(f"/support/agent/tickets/{ticket.track_id}?kb=refund")
    assert re.search(
        r"<code>\[Refund times\]\(http://[^)]+/kb/billing/refund-times\)</code>", found.text
    )
    assert 'data-kb-insert="[Refund times](' in found.text

    made = ann.post(f"/support/agent/tickets/{ticket.track_id}/messages/{answer.id}/article")
    assert made.status == 200 and "Draft made from the answer" in made.text
    assert (
        'value="Refund please"' in made.text and "Refunds take **5 days**.</textarea>" in made.text
    )
    drafts = helpdesk.kb.articles.list(cast.ann_actor, status="draft").items
    assert [d.title for d in drafts] == ["Refund please"]
