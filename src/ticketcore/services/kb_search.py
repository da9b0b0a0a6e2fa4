"""Knowledge-base search with each database's own full-text engine, ranked title over body.

* SQLite: the FTS5 table `ticketcore_kb_search` (porter stemming), ranked by `bm25` with the
  title weighing ten times the text. The article service keeps it in step on every write.
* PostgreSQL: the generated `search_vector` column (title 'A', text 'B', English stemming)
  through its GIN index, ranked by `ts_rank`.
* MariaDB/MySQL: the FULLTEXT indexes in boolean mode; the relevance of a title match counts
  three times on top of the relevance over title and text.
* Anything else (or a SQLite built without FTS5): `LIKE`, scored by where the words are found.

What a visitor types never reaches SQL as syntax: `query_terms` keeps words (letters and
digits) only, drops stop words and duplicates, and each engine gets them quoted in its own
way, the last one as a prefix so suggestions work while typing. Every word must match; when no
article has them all, articles with any of them are shown. Snippets are made here, the same on
every database: HTML-escaped text with the matched words in `<mark>`.
"""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Float,
    Integer,
    Select,
    and_,
    case,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
    true,
    type_coerce,
)
from sqlalchemy.dialects.mysql import match
from sqlalchemy.orm import Session

from ..errors import PermissionDenied
from ..models import ArticleStatus, KbArticle
from ..models.kb import PG_CONFIG, SEARCH_COLUMN, SEARCH_TABLE
from ..permissions import Actor, article_visibility, may_write_articles
from ..schemas_kb import QUERY_MAX, KbSearchHit, KbSearchResults
from .base import Service
from .kb_snapshots import articles_in_order, excerpt, summary

MAX_TERMS = 12
TERM_MAX = 40  # longer "words" are pasted noise (hashes, base64), not something to look for
SNIPPET_LENGTH = 220
SQLITE_TITLE_WEIGHT = 10.0
MYSQL_TITLE_BOOST = 3
MYSQL_MIN_WORD = 3  # InnoDB's innodb_ft_min_token_size: shorter words are not indexed

# PostgreSQL's English stop words and InnoDB's default list: words every engine ignores alike.
STOPWORDS = frozenset(
    {
        "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are",
        "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but",
        "by", "can", "com", "de", "did", "do", "does", "doing", "don", "down", "during", "each", "en",
        "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers",
        "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its",
        "itself", "just", "la", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of",
        "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own",
        "s", "same", "she", "should", "so", "some", "such", "t", "than", "that", "the", "their",
        "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through",
        "to", "too", "und", "under", "until", "up", "very", "was", "we", "were", "what", "when",
        "where", "which", "while", "who", "whom", "why", "will", "with", "www", "you", "your",
        "yours", "yourself", "yourselves",
    }
)  # fmt: skip
_WORD = re.compile(r"[^\W_]+")
_fts = table(SEARCH_TABLE, column("rowid", Integer))
_fts_ref: ColumnClause[Any] = literal_column(SEARCH_TABLE)
_pg_vector: ColumnClause[Any] = literal_column(f"{KbArticle.__tablename__}.{SEARCH_COLUMN}")
_pg_config: ColumnClause[Any] = literal_column(f"'{PG_CONFIG}'::regconfig")
_title = KbArticle.__table__.c.title
_text = KbArticle.__table__.c.search_text
_HAS_FTS5 = text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name")
_FTS_INSERT = text(f"INSERT INTO {SEARCH_TABLE} (rowid, title, body) VALUES (:id, :title, :body)")
_FTS_INSERT_ALL = text(
    f"INSERT INTO {SEARCH_TABLE} (rowid, title, body) "
    f"SELECT id, title, search_text FROM {KbArticle.__tablename__}"
)


def query_terms(query: str, dialect: str = "") -> list[str]:
    """The words of a typed query worth searching for: lower case, letters and digits only,
    without stop words and duplicates, at most `MAX_TERMS`."""
    shortest = MYSQL_MIN_WORD if dialect in ("mysql", "mariadb") else 1
    terms: list[str] = []
    for word in _WORD.findall(query[:QUERY_MAX].lower()):
        if word in STOPWORDS or not shortest <= len(word) <= TERM_MAX or word in terms:
            continue
        terms.append(word)
    return terms[:MAX_TERMS]


def has_fts5(session: Session) -> bool:
    """Whether this SQLite database has the FTS5 table (a build without FTS5 has none)."""
    found = session.execute(_HAS_FTS5, {"name": SEARCH_TABLE}).first()
    return found is not None


def index_article(session: Session, article: KbArticle) -> None:
    """Bring the SQLite FTS5 row of `article` up to date (the other engines index by
    themselves); called by every write of a title or text."""
    if _dialect(session) != "sqlite" or not has_fts5(session):
        return
    session.execute(_fts.delete().where(_fts.c.rowid == article.id))
    session.execute(
        _FTS_INSERT, {"id": article.id, "title": article.title, "body": article.search_text}
    )


def unindex_article(session: Session, article_id: int) -> None:
    if _dialect(session) == "sqlite" and has_fts5(session):
        session.execute(_fts.delete().where(_fts.c.rowid == article_id))


def ranked(
    session: Session, terms: list[str], *, any_term: bool
) -> tuple[Select[int, float], ColumnElement[float]]:
    """`SELECT article id, score` of the articles matching `terms` (all, or `any_term`), by
    the database's engine; the caller adds visibility, order and limit."""
    dialect = _dialect(session)
    if dialect == "sqlite" and has_fts5(session):
        quoted = [f'"{t}"' for t in terms]
        quoted[-1] += "*"
        expression = (" OR " if any_term else " AND ").join(quoted)
        # Matched and ranked in FTS5 first, once: joined directly, the planner may walk the
        # articles instead and run the MATCH once per article, a thousand times slower.
        matches = (
            select(
                _fts.c.rowid.label("id"),
                (-func.bm25(_fts_ref, SQLITE_TITLE_WEIGHT, 1.0)).label("score"),
            )
            .where(_fts_ref.op("MATCH")(expression))
            .cte("kb_matches")
            .prefix_with("MATERIALIZED")
        )
        score: ColumnElement[float] = matches.c.score
        statement = select(KbArticle.id, score).join(matches, matches.c.id == KbArticle.id)
        return statement, score
    if dialect == "postgresql":
        quoted = [f"'{t}'" for t in terms]
        quoted[-1] += ":*"
        tsquery = func.to_tsquery(_pg_config, (" | " if any_term else " & ").join(quoted))
        score = type_coerce(func.ts_rank(_pg_vector, tsquery), Float).label("score")
        statement = select(KbArticle.id, score).where(_pg_vector.op("@@")(tsquery))
        return statement, score
    if dialect in ("mysql", "mariadb"):
        words = [("" if any_term else "+") + t for t in terms]
        words[-1] += "*"
        against = " ".join(words)
        in_title = match(_title, against=against).in_boolean_mode()
        in_both = match(_title, _text, against=against).in_boolean_mode()
        score = (
            type_coerce(in_title, Float) * MYSQL_TITLE_BOOST + type_coerce(in_both, Float)
        ).label("score")
        return select(KbArticle.id, score).where(in_both), score
    return _like(terms, any_term=any_term)


def _like(terms: list[str], *, any_term: bool) -> tuple[Select[int, float], ColumnElement[float]]:
    title, text = func.lower(KbArticle.title), func.lower(KbArticle.search_text)
    found = [
        or_(title.contains(t, autoescape=True), text.contains(t, autoescape=True)) for t in terms
    ]
    points: list[ColumnElement[Any]] = []
    for t in terms:
        points.append(case((title.contains(t, autoescape=True), 3), else_=0))
        points.append(case((text.contains(t, autoescape=True), 1), else_=0))
    score = type_coerce(sum(points[1:], points[0]), Float).label("score")
    condition = or_(*found) if any_term else and_(*found)
    return select(KbArticle.id, score).where(condition), score


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


# ---------------------------------------------------------------- snippets


def highlight(text: str, terms: list[str], length: int | None = None) -> str:
    """`text` (or `length` characters of it around the first match) HTML-escaped, with the
    words that match a term in `<mark>`: safe to put in a page as it is.

    A word matches when it starts with a term or with the term less a common English ending
    ("printing" marks "printer"), close to what the stemming engines found.
    """
    pattern = _pattern(terms)
    if length is not None and len(text) > length:
        found = pattern.search(text) if pattern else None
        if found is None or found.start() < length // 3:
            text = excerpt(text, length)
        else:
            start = text.rfind(" ", 0, found.start() - length // 4) + 1
            text = "…" + excerpt(text[start:], length)
    if pattern is None:
        return html.escape(text)
    parts: list[str] = []
    last = 0
    for found in pattern.finditer(text):
        parts.append(html.escape(text[last : found.start()]))
        parts.append(f"<mark>{html.escape(found.group(0))}</mark>")
        last = found.end()
    parts.append(html.escape(text[last:]))
    return "".join(parts)


def _pattern(terms: list[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    stems = sorted({_stem(t) for t in terms}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, stems)) + r")\w*", re.IGNORECASE)


def _stem(term: str) -> str:
    for ending in ("ing", "ed", "es", "s", "ly"):
        if term.endswith(ending) and len(term) - len(ending) >= 3:
            return term[: -len(ending)]
    return term


# ---------------------------------------------------------------- the use cases


class KbSearchService(Service):
    def search(
        self,
        actor: Actor,
        query: str,
        *,
        page: int = 1,
        per_page: int = 10,
        published_only: bool = False,
    ) -> KbSearchResults:
        """The articles `actor` may read that match `query`, best first, one page of them.

        Every word must match; if no article has them all, those with any of them come
        instead. Staff also find drafts and archived articles unless `published_only` (what
        to offer for a link in a reply). Never raises for what a person types: a query with
        no words worth searching for finds nothing.
        """
        page, per_page = max(1, page), min(max(1, per_page), 100)
        with self.reading() as uow:
            session = uow.session
            terms = query_terms(query, _dialect(session))
            hits: list[KbSearchHit] = []
            total = 0
            if terms:
                for any_term in (False, True) if len(terms) > 1 else (False,):
                    hits, total = self._page(
                        session, actor, terms, any_term, page, per_page, published_only
                    )
                    if total:
                        break
            return KbSearchResults(
                query=query, terms=terms, hits=hits, total=total, page=page, per_page=per_page
            )

    def suggest(self, actor: Actor, subject: str, *, limit: int = 5) -> list[KbSearchHit]:
        """Published articles for a ticket subject being typed on the new-ticket page: those
        sharing the most words with it first (any word may match)."""
        limit = min(max(1, limit), 20)
        with self.reading() as uow:
            terms = query_terms(subject, _dialect(uow.session))
            if not terms:
                return []
            hits, _ = self._page(uow.session, actor, terms, True, 1, limit, True, count=False)
            return hits

    def reindex(self, actor: Actor) -> int:
        """Rebuild the SQLite FTS5 table from the articles (after rows were written by other
        means than the service, such as a bulk import in SQL); returns the articles indexed.
        The other engines index by themselves: there it only counts."""
        if not may_write_articles(actor):
            raise PermissionDenied("only staff rebuild the search index")
        with self.transaction() as uow:
            session = uow.session
            count = session.scalar(select(func.count()).select_from(KbArticle)) or 0
            if _dialect(session) == "sqlite" and has_fts5(session):
                session.execute(_fts.delete())
                session.execute(_FTS_INSERT_ALL)
            return int(count)

    def _page(
        self,
        session: Session,
        actor: Actor,
        terms: list[str],
        any_term: bool,
        page: int,
        per_page: int,
        published_only: bool,
        *,
        count: bool = True,
    ) -> tuple[list[KbSearchHit], int]:
        statement, score = ranked(session, terms, any_term=any_term)
        statement = statement.where(
            article_visibility(actor),
            KbArticle.status == ArticleStatus.PUBLISHED if published_only else true(),
        )
        # The total comes with the page (a window count): one statement, one full-text match.
        paged = statement.add_columns(func.count().over() if count else literal_column("0"))
        rows = session.execute(
            paged.order_by(score.desc(), KbArticle.id).limit(per_page).offset((page - 1) * per_page)
        ).all()
        if rows and count:
            total = int(rows[0][2])
        elif count and page > 1:  # past the last page: count alone
            total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        else:
            total = len(rows)
        scores = {row[0]: float(row[1] or 0) for row in rows}
        hits = [
            KbSearchHit(
                article=summary(a),
                title_html=highlight(a.title, terms),
                snippet_html=highlight(a.search_text, terms, SNIPPET_LENGTH),
                score=scores[a.id],
            )
            for a in articles_in_order(session, list(scores))
        ]
        return hits, int(total)
