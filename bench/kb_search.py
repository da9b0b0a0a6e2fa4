"""How fast is knowledge-base search? `helpdesk.kb.search` over 10,000 published articles.

The work: 10,000 help-centre articles generated from a fixed seed (titles such as "How to reset
your password on iOS" or "Why is my invoice missing?", Markdown bodies of a few hundred words in
sections, with lists and code blocks, over a vocabulary of product terms and everyday English),
in 12 categories, each with tags and a view count. They are written straight into the tables
(the service would take minutes for that many) and then indexed: SQLite's FTS5 table by
`helpdesk.kb.finder.reindex`, the generated column and FULLTEXT indexes of PostgreSQL and
MariaDB by the databases themselves, followed by ANALYZE.

Then 110 varied queries, as an anonymous visitor would type them (single words, a verb and an
object, whole questions, words half typed, odd characters, words that match nothing), each run
once as a warm-up and then 5 times, timed around the public call (`kb.search`: ranking, the
count, loading the page of articles, highlighted snippets). Reported per database: the median
and 95th percentile of all timed calls, the same for `kb.suggest` (new-ticket suggestions), and
the query plan of one search, to show that the full-text index is used.

Run: `python bench/kb_search.py` (SQLite always; PostgreSQL and MariaDB at the URLs of
`TICKETCORE_BENCH_POSTGRES_URL` / `TICKETCORE_BENCH_MARIADB_URL`, by default the local servers
the tests use, each in a new database dropped afterwards). `--quick` for a smoke run,
`--databases sqlite` to choose.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from servers import database, reachable
from ticketcore import Actor, Helpdesk
from ticketcore.models import KbArticle, KbArticleTag, KbCategory, KbViewCount
from ticketcore.rendering import article_text
from ticketcore.services.kb_search import query_terms, ranked

SEED = 2026
ARTICLES = 10_000
ROUNDS = 5
TARGET_MS = 20.0

CATEGORIES = {
    "Getting started": ["Your account", "First steps"],
    "Billing": ["Invoices", "Plans and seats"],
    "Security": ["Sign-in", "Permissions"],
    "Integrations": ["API", "Connectors"],
    "Apps": ["Mobile", "Desktop"],
}
TOPICS = """password|two-factor authentication|invoice|credit card|subscription|API key|webhook|
Slack integration|CSV export|dashboard|report|email notification|mobile app|single sign-on|
user role|team|project|file upload|storage quota|backup|audit log|time zone|language setting|
custom field|automation rule|workflow|calendar sync|Salesforce connector|browser extension|
desktop app|printer|scanner|VPN|firewall|domain|DNS record|SSL certificate|mailbox|spam filter|
email signature|tag|label|search index|data import|sandbox|billing address|tax ID|refund|
discount code|trial|plan upgrade|seat|license|device|session|cookie|cache|dark mode|
keyboard shortcut|screen reader|attachment|comment|mention|reminder|due date|checklist|
template|archive|trash|guest access|shared link|retention policy|IP allowlist|OAuth token|
rate limit|sandbox account|payment method|receipt|purchase order|currency|proxy|
push notification|offline mode|sync conflict|version history|recovery code""".replace(
    "\n", ""
).split("|")
ACTIONS = """reset|change|enable|disable|configure|set up|connect|disconnect|export|import|delete|
restore|update|renew|cancel|download|upload|share|invite|remove|rename|move|merge|sync|
troubleshoot|verify|rotate|transfer|schedule|customize""".replace("\n", "").split("|")
PLATFORMS = [
    "on iOS",
    "on Android",
    "in the web app",
    "on Windows",
    "on macOS",
    "on Linux",
    "in Chrome",
    "in Firefox",
    "in Safari",
    "for administrators",
    "for your team",
    "with the API",
    "",
    "",
    "",
]
PROBLEMS = [
    "is not working",
    "fails with an error",
    "is slow",
    "shows a blank page",
    "keeps logging me out",
    "is missing",
    "does not arrive",
    "is duplicated",
    "times out",
    "is rejected",
]
MENUS = ["Settings", "Account", "Billing", "Security", "Integrations", "Profile", "Admin"]
ROLES = ["administrator", "owner", "member", "guest", "billing manager", "agent"]
FILLER = """usually|often|quickly|first|then|afterwards|carefully|again|automatically|manually|
instead|also|still|already|immediately|sometimes|every|each|another|several|most|new|old|
current|previous|following|correct|wrong|different|same|main|other|whole|small|large|daily|
weekly|monthly|yearly|personal|shared|public|private|secure|recent|default|optional|required|
available|visible|hidden|active|inactive|pending|expired|valid|invalid|local|remote|online""".replace(
    "\n", ""
).split("|")
SENTENCES = [
    "To {action} the {topic}, open {menu} and choose {topic2}.",
    "If the {topic} {problem}, {action} the {topic2} and try again.",
    "Only an {role} can {action} the {topic} {platform}.",
    "The {topic} is {filler} linked to your {topic2}, so {action} it {filler}.",
    "You can {action} up to {n} {topic} items per {topic2}.",
    "When you {action} a {topic}, the {topic2} is {filler} updated as well.",
    "Go to {menu}, select {topic} and click {action}.",
    "We {filler} recommend that you {action} the {topic} before you {action2} the {topic2}.",
    "A {filler} {topic} cannot be used to {action} a {topic2}.",
    "Changes to the {topic} take up to {n} minutes to reach every {device}.",
    "Your {role} receives an email notification when someone tries to {action} the {topic}.",
    "The {topic} {problem} when the {topic2} is {filler}.",
    "Check that the {topic} is {filler} and that your {topic2} has not expired.",
    "Contact support if the {topic} still {problem} after {n} attempts.",
    "The {topic} page lists every {topic2} with its {filler} status.",
]
DEVICES = ["phone", "tablet", "computer", "browser", "device"]


def generate_articles(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """`count` articles, the same ones for a seed: title, Markdown body, tags, audience.

    Like a real help centre, each article is about one topic and touches two or three others;
    one sentence in five strays to any topic at all.
    """
    titles = [
        "How to {action} your {topic} {platform}",
        "{Topic} {problem}",
        "Why is my {topic} {problem}?",
        "Understanding {topic} limits",
        "{Action} a {topic} step by step",
        "Frequently asked questions about {topic}",
        "Can I {action} the {topic} {platform}?",
        "{Topic} and {topic2}: what you need to know",
    ]
    articles = []
    for n in range(count):
        focus = rng.sample(TOPICS, 4)
        slots = _slots(rng, focus)
        title = " ".join(rng.choice(titles).format(**slots).split())
        sections = []
        for _ in range(rng.randint(3, 6)):
            heading = f"## {_sentence(rng, focus).split(',')[0].rstrip('.')}"
            paragraphs = [
                " ".join(_sentence(rng, focus) for _ in range(rng.randint(2, 5)))
                for _ in range(rng.randint(1, 3))
            ]
            if rng.random() < 0.3:
                paragraphs.append("\n".join(f"- {_sentence(rng, focus)}" for _ in range(3)))
            if rng.random() < 0.15:
                resource = focus[0].split()[0].lower()
                paragraphs.append(
                    "```bash\ncurl -H 'Authorization: Bearer $TOKEN' "
                    f"https://api.example.com/v{rng.randint(1, 3)}/{resource}s\n```"
                )
            sections.append(heading + "\n\n" + "\n\n".join(paragraphs))
        articles.append(
            {
                "title": title[:200],
                "slug": f"article-{n + 1}",
                "body": "\n\n".join(sections),
                "tags": [t.lower() for t in focus[: rng.randint(1, 3)]],
                "audience": "customers" if rng.random() < 0.1 else "public",
                "views": int(rng.paretovariate(1.2) * 10),
                "age_days": rng.randint(0, 900),
            }
        )
    return articles


def _slots(rng: random.Random, focus: Sequence[str]) -> dict[str, str]:
    if rng.random() < 0.2:
        topic, topic2 = rng.sample(TOPICS, 2)
    else:
        topic, topic2 = focus[0], rng.choice(focus[1:])
    action, action2 = rng.sample(ACTIONS, 2)
    return {
        "topic": topic,
        "Topic": topic[0].upper() + topic[1:],
        "topic2": topic2,
        "action": action,
        "Action": action.capitalize(),
        "action2": action2,
        "platform": rng.choice(PLATFORMS),
        "problem": rng.choice(PROBLEMS),
        "menu": rng.choice(MENUS),
        "role": rng.choice(ROLES),
        "filler": rng.choice(FILLER),
        "n": str(rng.randint(2, 500)),
        "device": rng.choice(DEVICES),
    }


def _sentence(rng: random.Random, focus: Sequence[str]) -> str:
    return " ".join(rng.choice(SENTENCES).format(**_slots(rng, focus)).split())


def generate_queries(rng: random.Random) -> list[str]:
    """110 queries as visitors type them."""
    single = rng.sample([t.split()[-1].lower() for t in TOPICS], 30)
    pairs = [f"{rng.choice(ACTIONS)} {rng.choice(TOPICS).lower()}" for _ in range(30)]
    questions = [
        "how do I reset my password",
        "why is my invoice missing",
        "how can I export a report to CSV",
        "two factor authentication not working on iOS",
        "cannot connect the Slack integration",
        "where do I find my API key",
        "how to cancel my subscription",
        "email notification does not arrive",
        "change the billing address on an invoice",
        "the mobile app keeps logging me out",
        "what happens to my data when the trial ends",
        "how many seats does my plan include",
        "restore a file from the trash",
        "set up single sign-on for administrators",
        "webhook fails with an error",
        "dark mode in the desktop app",
        "update payment method credit card",
        "rotate an OAuth token",
        "dashboard is slow in Safari",
        "invite a guest to a project",
    ]
    partial = [
        word[: max(3, len(word) - rng.randint(1, 4))]
        for word in rng.sample([t.split()[0].lower() for t in TOPICS if len(t) > 5], 15)
    ]
    odd = [
        '"api key"',
        "password -reset",
        "sso*",
        "invoice (pdf)",
        "NEAR(refund receipt)",
        "what's the rate-limit?",
        "e-mail signature",
        "C:\\Users\\export.csv",
        "ünïcödé päßwörd",
        "SELECT * FROM invoices",
    ]
    nothing = ["zyxwvut", "qqqq wwww", "xylophone", "kumquat harvest", "florbnax"]
    return single + pairs + questions + partial + odd + nothing


# ---------------------------------------------------------------- databases


def load(helpdesk: Helpdesk, articles: list[dict[str, Any]], texts: list[str]) -> None:
    """Write the articles straight into the tables, then index and analyze."""
    now = datetime(2026, 6, 1, tzinfo=UTC)
    rows, tags, views, categories = [], [], [], []
    category_ids = []
    next_id = 1
    for parent_name, children in CATEGORIES.items():
        parent_id = next_id
        categories.append(_category(parent_id, None, parent_name, now))
        next_id += 1
        for child in children:
            categories.append(_category(next_id, parent_id, child, now))
            category_ids.append(next_id)
            next_id += 1
    for n, (article, text) in enumerate(zip(articles, texts, strict=True), start=1):
        updated = now - timedelta(days=article["age_days"])
        rows.append(
            {
                "id": n,
                "category_id": category_ids[n % len(category_ids)],
                "title": article["title"],
                "slug": article["slug"],
                "body": article["body"],
                "search_text": text,
                "status": "published",
                "audience": article["audience"],
                "author_id": None,
                "created_at": updated,
                "updated_at": updated,
                "published_at": updated,
            }
        )
        tags += [{"article_id": n, "tag": tag} for tag in article["tags"]]
        views.append({"article_id": n, "count": article["views"]})
    with helpdesk.engine.begin() as connection:
        connection.execute(sa.insert(KbCategory), categories)
        for start in range(0, len(rows), 1000):
            connection.execute(sa.insert(KbArticle), rows[start : start + 1000])
        connection.execute(sa.insert(KbArticleTag), tags)
        connection.execute(sa.insert(KbViewCount), views)
    helpdesk.kb.finder.reindex(Actor.system())  # SQLite's FTS5 table; the others index alone
    dialect = helpdesk.engine.dialect.name
    with helpdesk.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        if dialect == "postgresql":
            c.execute(sa.text("VACUUM ANALYZE"))
        elif dialect in ("mysql", "mariadb"):
            c.execute(sa.text("ANALYZE TABLE ticketcore_kb_articles"))
        else:
            c.execute(sa.text("ANALYZE"))


def _category(id_: int, parent: int | None, name: str, now: datetime) -> dict[str, Any]:
    slug = name.lower().replace(" ", "-")
    return {
        "id": id_,
        "parent_id": parent,
        "name": name,
        "slug": slug,
        "description": "",
        "position": 0,
        "created_at": now,
        "updated_at": now,
    }


def plan(helpdesk: Helpdesk, query: str) -> str:
    """The lines of the search statement's query plan that show how the articles are found."""
    with helpdesk.sessionmaker() as session:
        dialect = session.get_bind().dialect
        terms = query_terms(query, dialect.name)
        statement, _ = ranked(session, terms, any_term=False)
        sql = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        explain = "EXPLAIN QUERY PLAN" if dialect.name == "sqlite" else "EXPLAIN"
        rows = session.execute(sa.text(f"{explain} {sql}")).all()
    if dialect.name == "sqlite":
        return "; ".join(str(row[-1]) for row in rows)
    if dialect.name == "postgresql":
        return "; ".join(str(row[0]).strip() for row in rows if "Scan" in str(row[0]))
    return "; ".join(f"{row[2]}: type={row[3]} key={row[5]}" for row in rows)


def timed(call: Callable[[], object], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return times


def run(
    backend: str, articles: list[dict[str, Any]], texts: list[str], queries: list[str], rounds: int
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, database(backend, Path(tmp), "kb") as url:
        helpdesk = Helpdesk(
            database_url=url, attachments_dir=str(Path(tmp) / "files"), load_entrypoints=False
        )
        try:
            helpdesk.upgrade_database()  # the migrations' full-text structures, as a site has
            began = time.perf_counter()
            load(helpdesk, articles, texts)
            loaded = time.perf_counter() - began
            kb, visitor = helpdesk.kb, Actor.anonymous()
            for query in queries:  # warm-up: caches, prepared statements, pages in memory
                kb.search(visitor, query)
                kb.suggest(visitor, query)
            search: list[float] = []
            suggest: list[float] = []
            hits = 0
            for query in queries:
                search += timed(lambda q=query: kb.search(visitor, q), rounds)
                suggest += timed(lambda q=query: kb.suggest(visitor, q), rounds)
                hits += bool(kb.search(visitor, query).hits)
            version = helpdesk.engine.dialect.server_version_info
            return {
                "version": ".".join(str(v) for v in version or ()),
                "loaded": loaded,
                "search": search,
                "suggest": suggest,
                "answered": hits,
                "plan": plan(helpdesk, "reset password"),
            }
        finally:
            helpdesk.close()


def p95(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 articles (a smoke run)")
    parser.add_argument(
        "--databases", default="sqlite,postgresql,mariadb", help="comma-separated backends"
    )
    args = parser.parse_args(argv)
    count, rounds = (500, 1) if args.quick else (ARTICLES, ROUNDS)
    rng = random.Random(SEED)
    began = time.perf_counter()
    articles = generate_articles(count, rng)
    texts = [article_text(a["body"]) for a in articles]
    queries = generate_queries(random.Random(SEED + 1))
    words = sum(len(t.split()) for t in texts) / len(texts)
    print(
        f"Knowledge-base search: {count:,} published articles (seed {SEED}, "
        f"{words:.0f} words each on average, made in {time.perf_counter() - began:.1f} s), "
        f"{len(queries)} queries x {rounds} after a warm-up; Python {platform.python_version()}"
        + ("; --quick: figures are rough" if args.quick else "")
    )
    print()
    print(
        f"{'database':<22}{'load s':>8}{'answered':>10}"
        f"{'search median':>15}{'p95':>8}{'suggest median':>16}{'p95':>8}"
    )
    results: dict[str, dict[str, Any]] = {}
    for backend in [b.strip() for b in args.databases.split(",") if b.strip()]:
        problem = reachable(backend)
        if problem:
            print(f"{backend:<22}not reachable, skipped ({problem})")
            continue
        result = results[backend] = run(backend, articles, texts, queries, rounds)
        name = f"{backend} {result['version']}"
        print(
            f"{name:<22}{result['loaded']:>8.1f}{result['answered']:>6}/{len(queries)}"
            f"{statistics.median(result['search']):>12.1f} ms{p95(result['search']):>8.1f}"
            f"{statistics.median(result['suggest']):>13.1f} ms{p95(result['suggest']):>8.1f}"
        )
    print()
    for backend, result in results.items():
        print(f"plan on {backend} ('reset password'): {result['plan']}")
    print()
    verdicts = [
        f"{backend} {'met' if statistics.median(results[backend]['search']) < TARGET_MS else 'NOT met'}"
        for backend in ("sqlite", "postgresql")
        if backend in results
    ]
    print(
        f"target: search median under {TARGET_MS:.0f} ms on SQLite and PostgreSQL: "
        + ", ".join(verdicts)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
