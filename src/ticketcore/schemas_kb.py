"""What goes into and comes out of the knowledge base's use cases (see `schemas` for the rules
inputs and outputs follow: inputs validated, outputs frozen snapshots)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from .schemas import BODY_MAX, NAME_MAX, Input, Output

TAG_MAX = 50
TAGS_MAX = 20
RELATED_MAX = 10
DESCRIPTION_MAX = 2000
COMMENT_MAX = 2000
VISITOR_KEY_MAX = 100
QUERY_MAX = 500

ArticleStatusName = Literal["draft", "published", "archived"]
AudienceName = Literal["public", "customers"]


def tag_names(value: list[str]) -> list[str]:
    """Tags as stored: lower case, inner spaces single, no duplicates, in the order given."""
    tags: list[str] = []
    for raw in value:
        tag = " ".join(str(raw).split()).lower()
        if len(tag) > TAG_MAX:
            raise ValueError(f"a tag has at most {TAG_MAX} characters")
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise ValueError(f"at most {TAGS_MAX} tags")
    return tags


def _slug_text(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", value):
        raise ValueError("lower-case letters, digits and single hyphens only")
    return value


# ---------------------------------------------------------------- inputs


class KbCategoryCreate(Input):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    slug: str | None = Field(None, min_length=1, max_length=NAME_MAX)  # None: from the name
    description: str = Field("", max_length=DESCRIPTION_MAX)
    parent: int | str | None = None  # id or slug of a top category
    position: int = Field(0, ge=-1_000_000, le=1_000_000)

    _slug = field_validator("slug")(_slug_text)


class KbCategoryUpdate(Input):
    """Only the fields given change; `parent=None` makes it a top category."""

    name: str | None = Field(None, min_length=1, max_length=NAME_MAX)
    slug: str | None = Field(None, min_length=1, max_length=NAME_MAX)
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)
    parent: int | str | None = None
    position: int | None = Field(None, ge=-1_000_000, le=1_000_000)

    _slug = field_validator("slug")(_slug_text)


class KbArticleCreate(Input):
    title: str = Field(min_length=1, max_length=NAME_MAX)
    body: str = Field("", max_length=BODY_MAX)  # Markdown
    category: int | str | None = None  # id or slug; a draft may have none, publishing needs one
    slug: str | None = Field(None, min_length=1, max_length=NAME_MAX)  # None: from the title
    audience: AudienceName = "public"
    status: Literal["draft", "published"] = "draft"
    tags: list[str] = Field(default_factory=list)
    related: list[int] = Field(default_factory=list, max_length=RELATED_MAX)  # article ids

    _slug = field_validator("slug")(_slug_text)
    _tags = field_validator("tags")(tag_names)


class KbArticleUpdate(Input):
    """Only the fields given change. A new slug or category keeps the old address working."""

    title: str | None = Field(None, min_length=1, max_length=NAME_MAX)
    body: str | None = Field(None, max_length=BODY_MAX)
    category: int | str | None = None
    slug: str | None = Field(None, min_length=1, max_length=NAME_MAX)
    audience: AudienceName | None = None
    tags: list[str] | None = None
    related: list[int] | None = Field(None, max_length=RELATED_MAX)

    _slug = field_validator("slug")(_slug_text)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else tag_names(value)


class KbArticleQuery(Input):
    """A page of articles the actor may see; staff may ask for any status."""

    status: ArticleStatusName | None = None  # customers: always published
    category: int | str | None = None  # id or slug; its subcategories' articles are included
    tag: str | None = Field(None, max_length=TAG_MAX)
    sort: Literal["title", "updated", "popular"] = "title"
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(25, ge=1, le=100)


class KbVoteCreate(Input):
    helpful: bool
    comment: str | None = Field(None, max_length=COMMENT_MAX)  # kept only with a "No"
    visitor_key: str = Field(min_length=1, max_length=VISITOR_KEY_MAX)


class KbSuggestionOpened(Input):
    article_id: int
    visitor_key: str = Field(min_length=1, max_length=VISITOR_KEY_MAX)
    subject: str = Field("", max_length=NAME_MAX)


# ---------------------------------------------------------------- outputs


class KbCategoryOut(Output):
    id: int
    name: str
    slug: str
    description: str
    parent_id: int | None
    position: int
    article_count: int  # articles the viewer may see, its subcategories' included
    children: list[KbCategoryOut] = Field(default_factory=list)


class KbArticleSummary(Output):
    id: int
    title: str
    slug: str
    path: str  # "/kb/<category>/<article>" below the portal's prefix ("" without a category)
    category_id: int | None
    category_slug: str | None
    category_name: str | None
    status: ArticleStatusName
    audience: AudienceName
    tags: list[str]
    excerpt: str  # the start of its text, plain (escape it in a page)
    view_count: int
    updated_at: datetime
    published_at: datetime | None


class KbArticleOut(KbArticleSummary):
    body: str  # Markdown
    html: str  # sanitized: safe to put in a page as it is
    author_id: int | None
    author_name: str | None
    created_at: datetime
    related_ids: list[int]  # chosen by agents, in their order


class KbArticlePage(Output):
    """An article as its page shows it; `moved`: reached by an old address (redirect to `path`)."""

    article: KbArticleOut
    related: list[KbArticleSummary]
    moved: bool


class KbHome(Output):
    categories: list[KbCategoryOut]  # top categories, each with its children
    popular: list[KbArticleSummary]
    recent: list[KbArticleSummary]


class KbCategoryPage(Output):
    category: KbCategoryOut
    parent: KbCategoryOut | None
    articles: list[KbArticleSummary]  # its own articles, by title (subcategories in `children`)


class KbSearchHit(Output):
    article: KbArticleSummary
    title_html: str  # escaped, matched words in <mark>
    snippet_html: str  # escaped, matched words in <mark>
    score: float  # higher is better; comparable within one search only


class KbSearchResults(Output):
    query: str
    terms: list[str]  # the words searched for, after cleaning the query
    hits: list[KbSearchHit]
    total: int
    page: int
    per_page: int


class KbVoteOut(Output):
    counted: bool  # False: this visitor had voted already, and that vote stands
    helpful: bool  # the vote that stands


class KbArticleStats(Output):
    article_id: int
    title: str
    status: ArticleStatusName
    views: int
    helpful_yes: int
    helpful_no: int
    helpful_percent: float | None  # None without votes


class KbFeedbackComment(Output):
    article_id: int
    comment: str
    created_at: datetime


class KbSuggestionOut(Output):
    id: int
    article_id: int
    visitor_key: str
    subject: str
    outcome: Literal["opened", "deflected", "converted"]
    ticket_id: int | None
    opened_at: datetime
    decided_at: datetime | None


class KbDeflectionCounts(Output):
    """For the agent dashboard: visitors who opened a suggested article and then did not open
    their ticket (explicitly, or by leaving: see `kb_feedback.ABANDONED_AFTER`)."""

    deflected_today: int
    deflected_last_7_days: int
    converted_last_7_days: int
    opened_last_7_days: int
