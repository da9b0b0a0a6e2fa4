"""A customer's journey through the knowledge base of the example Flask and Django sites, in a
real browser: search, read, vote, and the articles offered while a ticket subject is typed
(the script's enhancement; the form without it is covered by the view tests)."""

from __future__ import annotations

from browsing import Site, register, screenshot
from playwright.sync_api import Page, expect


def test_a_customer_searches_reads_votes_and_is_offered_articles_while_typing(
    page: Page, site: Site
) -> None:
    kb = site.helpdesk.kb
    kb.categories.create(site.agent, name="Printing", description="Printers, paper and toner")
    kb.categories.create(site.agent, name="Network printers", parent="printing")
    kb.articles.create(
        site.agent,
        title="Printer offline",
        body="## Fixing it\n\nTurn the printer **off and on** again, then print a test page.",
        category="printing",
        tags=["printer", "offline"],
        status="published",
    )
    kb.articles.create(
        site.agent,
        title="Paper jams",
        body="Open the front tray and pull the paper out gently, with both hands.",
        category="printing",
        status="published",
    )
    page.goto("/support/")
    register(page, "Vera Visitor", "vera@example.net")

    page.goto("/support/")
    quick = page.get_by_role("navigation", name="Quick actions")
    quick.get_by_role("link", name="Knowledge base").click()
    expect(page.get_by_role("heading", name="Knowledge base", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Network printers")).to_be_visible()
    screenshot(page, "kb-home")

    page.get_by_label("Search the knowledge base").fill("printer offline")
    page.get_by_role("button", name="Search", exact=True).click()
    results = page.locator(".tc-kb-results")
    expect(results.locator("mark").first).to_have_text("Printer")
    results.get_by_role("link", name="Printer offline").click()
    expect(page.get_by_role("heading", name="Printer offline")).to_be_visible()
    expect(page.locator(".tc-kb-body strong")).to_have_text("off and on")
    screenshot(page, "kb-article")

    page.get_by_role("button", name="Yes", exact=True).click()
    expect(page.get_by_role("heading", name="Thanks for your feedback")).to_be_visible()
    expect(page.get_by_role("button", name="Yes", exact=True)).to_have_count(0)

    page.goto("/support/tickets/new")
    suggestions = page.locator("#kb-suggestions")
    expect(suggestions).to_be_hidden()
    page.get_by_label("Subject").press_sequentially("paper jam", delay=40)
    expect(suggestions.get_by_role("link", name="Paper jams")).to_be_visible()
    href = suggestions.get_by_role("link", name="Paper jams").get_attribute("href")
    assert href is not None and "from=new-ticket" in href
