"""Every POST form a person can see carries the CSRF token, filled in: the test clients add a
token by themselves, so a template that forgets it would pass every other view test and still
fail in a real browser with "This form has expired"."""

from __future__ import annotations

import re
from types import SimpleNamespace

FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S | re.I)
TOKEN = re.compile(
    r'<input type="hidden" name="(?:csrf_token|csrfmiddlewaretoken)" value="([^"]+)">'
)


def post_forms_without_token(html: str) -> list[str]:
    missing = []
    for form in FORM.findall(html):
        opening = form.split(">", 1)[0]
        if 'method="post"' in opening.lower() and not TOKEN.search(form):
            missing.append(opening)
    return missing


def test_every_post_form_on_the_portals_carries_a_token(web: SimpleNamespace) -> None:
    helpdesk, cast = web.helpdesk, web.cast
    ticket = helpdesk.tickets.create(cast.carol_actor, subject="Forms", body="Check").ticket
    task = helpdesk.tasks.create(cast.ann_actor, title="Call back", ticket=ticket.id)
    kb_category = helpdesk.kb.categories.create(cast.ann_actor, name="Help")
    article = helpdesk.kb.articles.create(
        cast.ann_actor, title="Forms help", body="Text", category="help", status="published"
    )
    pages = {
        cast.carol: [
            "/support/",
            "/support/tickets",
            "/support/tickets/new",
            f"/support/tickets/{ticket.track_id}",
            "/support/account/profile",
            "/support/account/password",
            "/support/account/two-factor",
            "/support/kb",
            "/support/kb/help",
            "/support/kb/help/forms-help",
            "/support/kb/search?q=forms",
        ],
        cast.ann: [
            "/support/agent",
            "/support/agent/queue",
            f"/support/agent/tickets/{ticket.track_id}",
            "/support/agent/message",
            "/support/agent/tasks",
            f"/support/agent/tasks/{task.id}",
            "/support/agent/kb",
            "/support/agent/kb/new",
            f"/support/agent/kb/{article.id}",
            "/support/agent/kb/categories",
            f"/support/agent/kb/categories/{kb_category.id}",
        ],
        cast.ada: [
            "/support/agent/admin",
            "/support/agent/admin/teams",
            "/support/agent/admin/organizations",
            "/support/agent/admin/users",
            "/support/agent/admin/templates",
            "/support/agent/admin/sla",
            "/support/agent/admin/canned",
            "/support/agent/admin/settings",
        ],
    }
    checked = 0
    for user, urls in pages.items():
        client = web.client()
        client.log_in_as(user.id)
        for url in urls:
            page = client.get(url)
            assert page.status == 200, url
            assert post_forms_without_token(page.text) == [], url
            checked += page.text.lower().count('method="post"')
    assert checked > 20  # the pages really hold forms
    for url in (
        "/support/account/login",
        "/support/account/register",
        "/support/account/forgot",
        "/support/kb/help/forms-help",
    ):
        page = web.client().get(url)
        assert post_forms_without_token(page.text) == [], url
