"""Knowledge-base search on each database's own full-text engine: ranking, visibility,
highlighted snippets that are safe to show, and queries typed by anyone."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from kb_shelf import build_shelf

from ticketcore import Actor, Helpdesk
from ticketcore.services.kb_search import MAX_TERMS, highlight, query_terms


@pytest.fixture
def shelf(helpdesk, cast):
    return build_shelf(helpdesk, cast)


def titles(results) -> list[str]:
    return [h.article.title for h in results.hits]


def test_a_title_match_ranks_above_a_body_match(helpdesk, cast):
    kb = helpdesk.kb
    kb.categories.create(cast.ann_actor, name="Help")
    body_only = kb.articles.create(
        cast.ann_actor,
        title="Office equipment",
        body="Sometimes the scanner needs a restart, like everything else in the office.",
        category="help",
        status="published",
    )
    in_title = kb.articles.create(
        cast.ann_actor,
        title="Scanner troubleshooting",
        body="Check the cable first, then restart the device.",
        category="help",
        status="published",
    )
    results = kb.search(Actor.anonymous(), "scanner")
    assert [h.article.id for h in results.hits] == [in_title.id, body_only.id]
    assert results.hits[0].score > results.hits[1].score > 0
    assert (results.total, results.terms) == (2, ["scanner"])


def test_snippets_are_escaped_with_the_matches_marked(helpdesk, cast):
    kb = helpdesk.kb
    kb.categories.create(cast.ann_actor, name="Help")
    kb.articles.create(
        cast.ann_actor,
        title="Router <b>reset</b> & more",
        body="Hold the `<reset>` button & count to ten: the **router** restarts.",
        category="help",
        status="published",
    )
    [hit] = kb.search(Actor.anonymous(), "router").hits
    assert hit.title_html == "<mark>Router</mark> &lt;b&gt;reset&lt;/b&gt; &amp; more"
    assert hit.snippet_html == (
        "Hold the &lt;reset&gt; button &amp; count to ten: the <mark>router</mark> restarts."
    )
    [hit] = kb.search(Actor.anonymous(), "reset").hits
    assert "<b>" not in hit.title_html and "<mark>reset</mark>" in hit.title_html


def test_long_texts_are_cut_around_the_first_match():
    text = " ".join(f"word{i}" for i in range(200)) + " the printer " + "tail " * 100
    snippet = highlight(text, ["printer"], 120)
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "<mark>printer</mark>" in snippet and len(snippet) < 160
    assert highlight("Printing printers printed", ["printing"]) == (
        "<mark>Printing</mark> <mark>printers</mark> <mark>printed</mark>"
    )


def test_every_word_must_match_unless_none_match_together(helpdesk, cast, shelf):
    kb = helpdesk.kb
    assert titles(kb.search(Actor.anonymous(), "printer driver")) == ["Printer setup"]
    # No article has both words: articles with either come instead.
    either = kb.search(Actor.anonymous(), "driver tray")
    assert set(titles(either)) == {"Printer setup", "Paper jams"}


def test_the_last_word_matches_as_a_prefix_while_typing(helpdesk, cast, shelf):
    kb = helpdesk.kb
    assert titles(kb.search(Actor.anonymous(), "invo")) == ["Downloading an invoice"]
    assert titles(kb.search(Actor.anonymous(), "paper ja")) == ["Paper jams"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        '"',
        "'",
        "-",
        "*",
        "printer*",
        '"unbalanced',
        "printer -jam",
        "NEAR(printer paper)",
        "printer AND OR NOT",
        "title:printer",
        "^printer",
        "(printer",
        "printer)",
        "a & b | !c <-> d:*",
        "+printer +-paper @3",
        "x'; DROP TABLE ticketcore_kb_articles; --",
        "%_\\",
        "ünïcödé 漢字 😀",
        "the a an of",  # stop words only
        "printer " * 500,
        "x" * 10_000,
        "\x00\n\t",
    ],
)
def test_odd_queries_never_break(helpdesk, cast, shelf, query):
    results = helpdesk.kb.search(Actor.anonymous(), query)
    assert results.total == len(results.hits) <= 10
    helpdesk.kb.suggest(Actor.anonymous(), query)
    helpdesk.kb.search(cast.ann_actor, query, page=3)


def test_query_terms_are_plain_words():
    assert query_terms('How do I "reset" my-password?*') == ["reset", "password"]
    assert query_terms("Printer printer PRINTER") == ["printer"]
    assert len(query_terms(" ".join(f"w{i}" for i in range(50)))) == MAX_TERMS
    assert query_terms("ab cd router", "mariadb") == ["router"]  # shorter than InnoDB indexes
    assert query_terms("a" * 41) == []


def test_results_follow_every_write(helpdesk, cast, shelf):
    kb = helpdesk.kb
    kb.articles.update(cast.ann_actor, shelf.jams.id, title="Stuck sheets")
    assert titles(kb.search(Actor.anonymous(), "stuck")) == ["Stuck sheets"]
    kb.articles.update(cast.ann_actor, shelf.jams.id, body="Nothing about it any more.")
    assert kb.search(Actor.anonymous(), "tray").hits == []
    kb.articles.archive(cast.ann_actor, shelf.jams.id)
    assert kb.search(Actor.anonymous(), "stuck").hits == []
    kb.articles.delete(cast.ann_actor, shelf.jams.id)
    assert kb.search(cast.ann_actor, "stuck").hits == []


def test_staff_can_limit_to_published_articles_for_a_link(helpdesk, cast, shelf):
    kb = helpdesk.kb
    everything = titles(kb.search(cast.ann_actor, "printer"))
    assert "Printer firmware (draft)" in everything
    published = titles(kb.search(cast.ann_actor, "printer", published_only=True))
    assert "Printer firmware (draft)" not in published and "Printer setup" in published


def test_pages_of_results(helpdesk, cast):
    kb = helpdesk.kb
    kb.categories.create(cast.ann_actor, name="Help")
    for n in range(12):
        kb.articles.create(
            cast.ann_actor,
            title=f"Modem guide {n}",
            body="modem",
            category="help",
            status="published",
        )
    first = kb.search(Actor.anonymous(), "modem", per_page=5)
    third = kb.search(Actor.anonymous(), "modem", per_page=5, page=3)
    assert (first.total, len(first.hits), third.total, len(third.hits)) == (12, 5, 12, 2)
    assert not {h.article.id for h in first.hits} & {h.article.id for h in third.hits}


def test_suggestions_for_a_ticket_subject(helpdesk, cast, shelf):
    hits = helpdesk.kb.suggest(Actor.anonymous(), "My printer jams on every page!")
    # Any word may match. (How two partial matches compare is left to each engine: InnoDB's
    # word statistics even count rows deleted since the index was last optimized.)
    assert {h.article.title for h in hits} == {"Paper jams", "Printer setup"}
    assert helpdesk.kb.suggest(cast.ann_actor, "printer firmware") != []
    suggested = {h.article.id for h in helpdesk.kb.suggest(cast.ann_actor, "printer firmware")}
    assert shelf.draft.id not in suggested  # published ones only, even for staff


def test_search_uses_the_full_text_index(helpdesk, cast, shelf):
    """The statement search runs is planned on the engine's index, not a scan of the table."""
    from ticketcore.services.kb_search import ranked

    with helpdesk.sessionmaker() as session:
        statement, _ = ranked(session, ["printer"], any_term=False)
        compiled = statement.compile(
            dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
        )
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            session.execute(sa.text("SET LOCAL enable_seqscan = off"))  # a tiny table
        explain = "EXPLAIN QUERY PLAN" if dialect == "sqlite" else "EXPLAIN"
        rows = session.execute(sa.text(f"{explain} {compiled}")).all()
        plan = " ".join(str(row) for row in rows)
    expected = {
        "sqlite": "VIRTUAL TABLE INDEX",
        "postgresql": "ix_ticketcore_kb_articles_search_vector",
        "mysql": "ft_ticketcore_kb_articles_title_text",
        "mariadb": "ft_ticketcore_kb_articles_title_text",
    }[dialect]
    assert expected in plan, plan


@pytest.mark.empty_database
def test_search_works_on_a_migrated_database(database_url: str, tmp_path: Path, clock) -> None:
    """The migration makes the same full-text structures as `create_tables()`."""
    with Helpdesk(
        database_url=database_url,
        attachments_dir=str(tmp_path / "attachments"),
        load_entrypoints=False,
    ) as helpdesk:
        helpdesk.upgrade_database()
        system = Actor.system()
        helpdesk.kb.categories.create(system, name="Help")
        helpdesk.kb.articles.create(
            system, title="Printer setup", body="b", category="help", status="published"
        )
        helpdesk.kb.articles.create(
            system, title="Other", body="the printer", category="help", status="published"
        )
        assert titles(helpdesk.kb.search(Actor.anonymous(), "printer")) == [
            "Printer setup",
            "Other",
        ]


def test_without_a_full_text_engine_search_falls_back_to_like(helpdesk, cast, monkeypatch):
    """A SQLite built without FTS5 (the only engine that can be missing) still searches."""
    if helpdesk.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL and MariaDB always have their full-text engine")
    from ticketcore.services import kb_search

    monkeypatch.setattr(kb_search, "has_fts5", lambda session: False)
    kb = helpdesk.kb
    kb.categories.create(cast.ann_actor, name="Help")
    body_only = kb.articles.create(
        cast.ann_actor, title="Misc", body="The modem blinks.", category="help", status="published"
    )
    in_title = kb.articles.create(
        cast.ann_actor, title="Modem lights", body="Green.", category="help", status="published"
    )
    results = kb.search(Actor.anonymous(), "mode")
    assert [h.article.id for h in results.hits] == [in_title.id, body_only.id]
    assert results.hits[0].title_html == "<mark>Modem</mark> lights"
    assert kb.search(Actor.anonymous(), "blinks").total == 1
    assert kb.search(Actor.anonymous(), "router").hits == []
