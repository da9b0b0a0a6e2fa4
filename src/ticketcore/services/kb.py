"""`helpdesk.kb`: the knowledge base's one entry point.

Reading (what the customer portal shows) and search are methods here; writing, votes and
deflection are the sub-services `categories`, `articles`, `votes` and `deflection`:

    kb = helpdesk.kb
    kb.categories.create(agent, name="Billing")
    article = kb.articles.create(agent, title="Refunds", body="...", category="billing",
                                 status="published", tags=["money"])
    kb.search(customer, "refund")          # ranked hits with highlighted snippets
    kb.article(customer, "billing", "refunds")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..permissions import Actor
from ..schemas_kb import (
    KbArticlePage,
    KbArticleSummary,
    KbCategoryPage,
    KbHome,
    KbSearchHit,
    KbSearchResults,
)
from .kb_articles import KbArticleService
from .kb_categories import KbCategoryService
from .kb_feedback import KbDeflectionService, KbVoteService
from .kb_reading import HOME_LIMIT, RELATED_LIMIT, KbReadingService
from .kb_search import KbSearchService

if TYPE_CHECKING:
    from ..helpdesk import Helpdesk


class KnowledgeBase:
    def __init__(self, helpdesk: Helpdesk) -> None:
        self.helpdesk = helpdesk
        self.categories = KbCategoryService(helpdesk)
        self.articles = KbArticleService(helpdesk)
        self.votes = KbVoteService(helpdesk)
        self.deflection = KbDeflectionService(helpdesk)
        self.reader = KbReadingService(helpdesk)
        self.finder = KbSearchService(helpdesk)

    def home(self, actor: Actor, *, limit: int = HOME_LIMIT) -> KbHome:
        return self.reader.home(actor, limit=limit)

    def category(self, actor: Actor, slug: str) -> KbCategoryPage:
        return self.reader.category(actor, slug)

    def article(
        self, actor: Actor, category_slug: str, article_slug: str, *, count_view: bool = True
    ) -> KbArticlePage:
        return self.reader.article(actor, category_slug, article_slug, count_view=count_view)

    def related(
        self, actor: Actor, article_id: int, *, limit: int = RELATED_LIMIT
    ) -> list[KbArticleSummary]:
        return self.reader.related(actor, article_id, limit=limit)

    def search(
        self,
        actor: Actor,
        query: str,
        *,
        page: int = 1,
        per_page: int = 10,
        published_only: bool = False,
    ) -> KbSearchResults:
        return self.finder.search(
            actor, query, page=page, per_page=per_page, published_only=published_only
        )

    def suggest(self, actor: Actor, subject: str, *, limit: int = 5) -> list[KbSearchHit]:
        return self.finder.suggest(actor, subject, limit=limit)

    def url(self, article: KbArticleSummary) -> str:
        return self.articles.url(article)
