"""Writing the knowledge base: categories, articles from draft to archived, slugs and their old
addresses, tags, related articles chosen by agents, articles made from a ticket's answer."""

from __future__ import annotations

import pytest
from kb_shelf import build_shelf

from ticketcore import Actor, Conflict, InvalidInput, NotFound, PermissionDenied


@pytest.fixture
def shelf(helpdesk, cast):
    return build_shelf(helpdesk, cast)


def test_only_agents_and_admins_write(helpdesk, cast, shelf):
    kb = helpdesk.kb
    for actor in (cast.carol_actor, Actor.anonymous()):
        with pytest.raises(PermissionDenied):
            kb.articles.create(actor, title="Mine", body="b")
        with pytest.raises(PermissionDenied):
            kb.articles.update(actor, shelf.setup.id, title="Changed")
        for change in (kb.articles.publish, kb.articles.archive, kb.articles.unpublish):
            with pytest.raises(PermissionDenied):
                change(actor, shelf.draft.id)
        with pytest.raises(PermissionDenied):
            kb.articles.delete(actor, shelf.setup.id)
        with pytest.raises(PermissionDenied):
            kb.articles.preview(actor, "# Hi")
        with pytest.raises(PermissionDenied):
            kb.categories.create(actor, name="Mine")
        with pytest.raises(PermissionDenied):
            kb.categories.update(actor, "printing", name="Mine")
        with pytest.raises(PermissionDenied):
            kb.categories.delete(actor, "printing")
    assert kb.articles.get(cast.ann_actor, shelf.setup.id).title == "Printer setup"
    by_admin = kb.articles.create(cast.ada_actor, title="By an admin", body="b")
    by_system = kb.articles.create(Actor.system(), title="By a script", body="b")
    assert (by_admin.author_name, by_system.author_id) == ("Ada", None)


def test_a_new_article_is_a_draft_by_its_author(helpdesk, cast, clock):
    printing = helpdesk.kb.categories.create(cast.ann_actor, name="Printing")
    article = helpdesk.kb.articles.create(
        cast.ann_actor,
        title="Toner: how to change it?",
        body="# Steps\n\nOpen the *front* door.",
        category=printing.id,
        tags=["  Printer ", "TONER", "printer"],
    )
    assert (article.status, article.audience, article.slug) == (
        "draft",
        "public",
        "toner-how-to-change-it",
    )
    assert article.path == "/kb/printing/toner-how-to-change-it"
    assert (article.author_id, article.author_name) == (cast.ann.id, "Ann")
    assert article.tags == ["printer", "toner"]
    assert article.html == "<h1>Steps</h1>\n<p>Open the <em>front</em> door.</p>\n"
    assert article.excerpt == "Steps Open the front door."
    assert article.created_at == article.updated_at == clock.now()
    assert article.published_at is None and article.view_count == 0


def test_publish_archive_and_back_to_draft(helpdesk, cast, clock):
    kb = helpdesk.kb
    printing = kb.categories.create(cast.ann_actor, name="Printing")
    draft = kb.articles.create(cast.ann_actor, title="Loose", body="b")
    with pytest.raises(InvalidInput) as info:
        kb.articles.publish(cast.ann_actor, draft.id)
    assert set(info.value.errors) == {"category"}
    with pytest.raises(InvalidInput):
        kb.articles.create(cast.ann_actor, title="Published loose", body="b", status="published")
    kb.articles.update(cast.ann_actor, draft.id, category="printing")
    clock.advance(hours=1)
    published = kb.articles.publish(cast.ann_actor, draft.id)
    assert (published.status, published.published_at) == ("published", clock.now())
    assert published.category_id == printing.id
    clock.advance(hours=1)
    archived = kb.articles.archive(cast.ann_actor, draft.id)
    assert archived.status == "archived" and archived.updated_at == clock.now()
    back = kb.articles.unpublish(cast.ann_actor, draft.id)
    again = kb.articles.publish(cast.ann_actor, draft.id)
    assert back.status == "draft"
    assert again.published_at == published.published_at  # first publication is kept


def test_slugs_are_unique_per_category(helpdesk, cast, shelf):
    kb = helpdesk.kb
    twin = kb.articles.create(cast.ann_actor, title="Printer setup", body="b", category="printing")
    assert twin.slug == "printer-setup-2"
    elsewhere = kb.articles.create(
        cast.ann_actor, title="Printer setup", body="b", category="billing"
    )
    assert elsewhere.slug == "printer-setup"  # another category, another address
    with pytest.raises(InvalidInput) as info:
        kb.articles.update(cast.ann_actor, twin.id, slug="printer-setup")
    assert set(info.value.errors) == {"slug"}
    with pytest.raises(InvalidInput) as info:
        kb.articles.create(cast.ann_actor, title="T", body="b", slug="Not A Slug!")
    assert set(info.value.errors) == {"slug"}


def test_old_slug_leads_to_the_renamed_article(helpdesk, cast, shelf):
    kb = helpdesk.kb
    renamed = kb.articles.update(cast.ann_actor, shelf.setup.id, slug="installing-a-printer")
    assert renamed.path == "/kb/printing/installing-a-printer"
    page = kb.article(Actor.anonymous(), "printing", "printer-setup")
    assert (page.article.id, page.moved) == (shelf.setup.id, True)
    assert page.article.path == "/kb/printing/installing-a-printer"
    current = kb.article(Actor.anonymous(), "printing", "installing-a-printer")
    assert current.moved is False
    # Renamed twice, and moved to another category: every old address still works.
    kb.articles.update(cast.ann_actor, shelf.setup.id, slug="printers", category="billing")
    for category, slug in [
        ("printing", "printer-setup"),
        ("printing", "installing-a-printer"),
        ("billing", "printers"),
    ]:
        page = kb.article(Actor.anonymous(), category, slug)
        assert page.article.id == shelf.setup.id
        assert page.moved is (category != "billing")


def test_a_new_article_takes_over_an_old_address(helpdesk, cast, shelf):
    kb = helpdesk.kb
    kb.articles.update(cast.ann_actor, shelf.setup.id, slug="installing-a-printer")
    newcomer = kb.articles.create(
        cast.ann_actor, title="Printer setup", body="b", category="printing", status="published"
    )
    assert newcomer.slug == "printer-setup"
    page = kb.article(Actor.anonymous(), "printing", "printer-setup")
    assert (page.article.id, page.moved) == (newcomer.id, False)


def test_a_renamed_category_still_finds_its_articles(helpdesk, cast, shelf):
    kb = helpdesk.kb
    kb.categories.update(cast.ann_actor, "printing", slug="printers-and-paper")
    page = kb.article(Actor.anonymous(), "printing", "printer-setup")
    assert (page.article.id, page.moved) == (shelf.setup.id, True)
    assert page.article.path == "/kb/printers-and-paper/printer-setup"
    with pytest.raises(NotFound):
        kb.article(Actor.anonymous(), "printing", "no-such-article")


def test_update_changes_only_the_fields_given(helpdesk, cast, shelf, clock):
    clock.advance(days=1)
    changed = helpdesk.kb.articles.update(
        cast.ann_actor, shelf.jams.id, body="**New** text", tags=["paper"], audience="customers"
    )
    assert (changed.title, changed.slug, changed.category_slug) == (
        "Paper jams",
        "paper-jams",
        "printing",
    )
    assert (changed.html, changed.tags, changed.audience) == (
        "<p><strong>New</strong> text</p>\n",
        ["paper"],
        "customers",
    )
    assert changed.updated_at == clock.now() and changed.created_at == shelf.jams.created_at
    with pytest.raises(InvalidInput) as info:
        helpdesk.kb.articles.update(cast.ann_actor, shelf.jams.id, category=None)
    assert set(info.value.errors) == {"category"}  # published articles need one


def test_delete(helpdesk, cast, shelf):
    kb = helpdesk.kb
    assert kb.articles.delete(cast.ann_actor, shelf.jams.id) is None
    with pytest.raises(NotFound):
        kb.articles.get(cast.ann_actor, shelf.jams.id)
    with pytest.raises(NotFound):
        kb.articles.delete(cast.ann_actor, shelf.jams.id)
    assert [h.article.id for h in kb.search(cast.ann_actor, "jams").hits] == []


def test_preview_renders_without_saving(helpdesk, cast, shelf):
    html = helpdesk.kb.articles.preview(cast.ann_actor, "## Hello\n\n<script>x</script>")
    assert html == "<h2>Hello</h2>\n<p>&lt;script&gt;x&lt;/script&gt;</p>\n"
    assert helpdesk.kb.articles.list(cast.ann_actor).total == 6


def test_url_and_link_for_a_reply(helpdesk, cast, shelf):
    kb = helpdesk.kb
    url = f"{helpdesk.settings.site_url}/kb/printing/printer-setup"
    assert kb.url(shelf.setup) == url
    assert kb.articles.link(cast.ann_actor, shelf.setup.id) == f"[Printer setup]({url})"
    with pytest.raises(InvalidInput):
        kb.articles.link(cast.ann_actor, shelf.draft.id)
    with pytest.raises(PermissionDenied):
        kb.articles.link(cast.carol_actor, shelf.setup.id)
    loose = kb.articles.create(cast.ann_actor, title="Loose", body="b")
    assert loose.path == "" and kb.url(loose) == ""


def test_article_from_a_ticket_answer(helpdesk, cast):
    created = helpdesk.tickets.create(
        cast.carol_actor, subject="How do I reset my password?", body="Locked out"
    )
    answer = helpdesk.messages.reply(
        cast.ann_actor, created.ticket.id, body="Use **Forgot password** on the login page."
    )
    draft = helpdesk.kb.articles.from_message(cast.ann_actor, answer.id)
    assert (draft.title, draft.body, draft.status) == (
        "How do I reset my password?",
        "Use **Forgot password** on the login page.",
        "draft",
    )
    assert draft.author_id == cast.ann.id and draft.category_id is None
    billing = helpdesk.kb.categories.create(cast.ann_actor, name="Accounts")
    filed = helpdesk.kb.articles.from_message(cast.ann_actor, answer.id, category=billing.id)
    assert filed.slug == "how-do-i-reset-my-password" and filed.category_slug == "accounts"
    # Bill (billing team) cannot see the Support ticket: its messages do not exist for him.
    with pytest.raises(NotFound):
        helpdesk.kb.articles.from_message(cast.bill_actor, answer.id)
    with pytest.raises(NotFound):
        helpdesk.kb.articles.from_message(cast.ann_actor, 9999)
    with pytest.raises(PermissionDenied):
        helpdesk.kb.articles.from_message(cast.carol_actor, answer.id)


def test_categories_nest_one_level(helpdesk, cast, shelf):
    kb = helpdesk.kb
    with pytest.raises(InvalidInput) as info:
        kb.categories.create(cast.ann_actor, name="Deeper", parent="invoices")
    assert set(info.value.errors) == {"parent"}
    with pytest.raises(InvalidInput):
        kb.categories.update(cast.ann_actor, "billing", parent="printing")  # it has a child
    with pytest.raises(InvalidInput):
        kb.categories.create(cast.ann_actor, name="Other", slug="billing")
    assert kb.categories.create(cast.ann_actor, name="Billing").slug == "billing-2"
    tree = kb.categories.list(cast.ann_actor)
    assert [(c.slug, [k.slug for k in c.children]) for c in tree] == [
        ("billing", ["invoices"]),  # position -1 first
        ("billing-2", []),
        ("printing", []),
    ]
    moved = kb.categories.update(cast.ann_actor, "invoices", parent=None, name="All invoices")
    assert (moved.parent_id, moved.name) == (None, "All invoices")


def test_a_category_with_articles_or_children_is_not_deleted(helpdesk, cast, shelf):
    kb = helpdesk.kb
    with pytest.raises(Conflict):
        kb.categories.delete(cast.ann_actor, "printing")
    with pytest.raises(Conflict):
        kb.categories.delete(cast.ann_actor, "billing")  # has invoices below it
    empty = kb.categories.create(cast.ann_actor, name="Empty")
    kb.categories.delete(cast.ann_actor, empty.id)
    with pytest.raises(NotFound):
        kb.categories.get(cast.ann_actor, "empty")


def test_chosen_related_articles_are_kept_in_order(helpdesk, cast, shelf):
    kb = helpdesk.kb
    chosen = kb.articles.update(
        cast.ann_actor, shelf.setup.id, related=[shelf.invoice.id, shelf.jams.id]
    )
    assert chosen.related_ids == [shelf.invoice.id, shelf.jams.id]
    with pytest.raises(InvalidInput) as info:
        kb.articles.update(cast.ann_actor, shelf.setup.id, related=[shelf.setup.id])
    assert set(info.value.errors) == {"related"}
    with pytest.raises(InvalidInput):
        kb.articles.update(cast.ann_actor, shelf.setup.id, related=[9999])
    again = kb.articles.update(cast.ann_actor, shelf.setup.id, related=[shelf.jams.id])
    assert again.related_ids == [shelf.jams.id]


def test_list_filters_and_sorts(helpdesk, cast, shelf):
    kb = helpdesk.kb
    titles = [a.title for a in kb.articles.list(cast.ann_actor).items]
    assert titles == sorted(titles, key=str.lower) and len(titles) == 6
    drafts = kb.articles.list(cast.ann_actor, status="draft")
    assert [a.id for a in drafts.items] == [shelf.draft.id]
    billing = kb.articles.list(cast.ann_actor, category="billing")  # and its subcategory
    assert {a.id for a in billing.items} == {shelf.refunds.id, shelf.invoice.id}
    money = kb.articles.list(Actor.anonymous(), tag="Money")
    assert [a.id for a in money.items] == [shelf.invoice.id]  # refunds: customers only
    page = kb.articles.list(cast.ann_actor, per_page=2, page=2, sort="updated")
    assert (page.total, len(page.items)) == (6, 2)
