"""Portal pages timed in process through an adapter's test client, with their SQL statements.

`python bench/pages.py --adapter flask|django --database sqlite --tickets N --json OUT` measures
one adapter on one copy of a scale desk (see `scaledesk.py`) and writes p50/p95 per page. One
adapter per process: Django's settings are global, and the peak RSS reported is this process's.
`bench/run.py` runs it for every adapter, database and size and makes the table.

Each page is requested `--warmup` times, then `--requests` times, every response checked (status
and a piece of the page that proves it is the real one, never an error or login page). The
statements are those ticketcore sends (counted on its engine) plus, on Django, the host's own
(sessions, users): what the page costs the database in all.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import cycle
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scaledesk import Desk, working_desk
from ticketcore import Helpdesk
from ticketcore.clock import FakeClock
from ticketcore.models import Ticket
from ticketcore.web import csrf, identity
from ticketcore.workflow import Status

ACTIVE = (Status.OPEN, Status.IN_PROGRESS)
SEARCH_WORD = "invoice"  # in the subjects of about one ticket in nine of the scale data


@dataclass
class Response:
    status: int
    text: str
    location: str = ""


class Browser:
    """One person's session through an adapter's test client."""

    def get(self, url: str) -> Response:
        raise NotImplementedError

    def post(self, url: str, data: Mapping[str, str]) -> Response:
        raise NotImplementedError

    def log_in(self, user_id: int) -> None:
        raise NotImplementedError

    def host_statements(self) -> int:
        """Statements the host site itself sent since the last call (Django's sessions)."""
        return 0

    def close(self) -> None:
        """Leave the host as it was (the test suite goes on using its Django site)."""


class FlaskBrowser(Browser):
    def __init__(self, helpdesk: Helpdesk) -> None:
        from flask import Flask

        from ticketcore_flask import TicketCore

        app = Flask("bench_site")
        app.secret_key = helpdesk.settings.secret_key
        TicketCore(app, helpdesk=helpdesk)
        self.helpdesk = helpdesk
        self.client = app.test_client()

    def get(self, url: str) -> Response:
        r = self.client.get(url)
        return Response(r.status_code, r.get_data(as_text=True), r.headers.get("Location", ""))

    def post(self, url: str, data: Mapping[str, str]) -> Response:
        with self.client.session_transaction() as session:
            token = csrf.token(session)
        r = self.client.post(url, data={**data, "csrf_token": token})
        return Response(r.status_code, r.get_data(as_text=True), r.headers.get("Location", ""))

    def log_in(self, user_id: int) -> None:
        with self.client.session_transaction() as session:
            identity.log_in(self.helpdesk, session, user_id)


class DjangoBrowser(Browser):
    def __init__(self, helpdesk: Helpdesk) -> None:
        self.override = _configure_django(helpdesk)
        from django.db import connection
        from django.test import Client

        self.helpdesk = helpdesk
        self.client = Client(enforce_csrf_checks=True)
        self.connection = connection
        connection.force_debug_cursor = True  # count the host's statements, as DEBUG would

    def get(self, url: str) -> Response:
        r = self.client.get(url)
        return Response(r.status_code, r.content.decode(), r.headers.get("Location", ""))

    def post(self, url: str, data: Mapping[str, str]) -> Response:
        from django.conf import settings

        cookie = self.client.cookies.get(settings.CSRF_COOKIE_NAME)
        if cookie is None or not cookie.value:
            self.client.cookies[settings.CSRF_COOKIE_NAME] = "b" * 32
        token = self.client.cookies[settings.CSRF_COOKIE_NAME].value
        r = self.client.post(url, {**data, "csrfmiddlewaretoken": token})
        return Response(r.status_code, r.content.decode(), r.headers.get("Location", ""))

    def log_in(self, user_id: int) -> None:
        from django.conf import settings

        session = self.client.session
        identity.log_in(self.helpdesk, session, user_id)
        session.save()
        self.client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key

    def close(self) -> None:
        if self.override is not None:
            self.override.disable()
        self.connection.force_debug_cursor = False

    def host_statements(self) -> int:
        count = len(self.connection.queries_log)
        self.connection.queries_log.clear()
        return count


def _configure_django(helpdesk: Helpdesk) -> Any:
    """A minimal Django site as a host would have it: sessions in its own SQLite database.
    In a process whose Django is set up already, the portal is pointed at `helpdesk` by an
    override, returned to be disabled afterwards."""
    import django
    from django.conf import settings
    from django.core.management import call_command

    if settings.configured:  # a second browser, or the test suite's own Django site
        from django.test import override_settings

        override = override_settings(TICKETCORE={"OWN_ACCOUNTS": True, "HELPDESK": helpdesk})
        override.enable()
        return override
    folder = tempfile.mkdtemp(prefix="tc_bench_django_")
    settings.configure(
        SECRET_KEY=helpdesk.settings.secret_key,
        DEBUG=False,
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.staticfiles",
            "ticketcore_django",
        ],
        MIDDLEWARE=[
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        ROOT_URLCONF="django_host",
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": f"{folder}/site.db"}
        },
        TEMPLATES=[],
        STATIC_URL="/static/",
        USE_TZ=True,
        TICKETCORE={"OWN_ACCOUNTS": True, "HELPDESK": helpdesk},
    )
    django.setup()
    call_command("migrate", "auth", verbosity=0)
    call_command("migrate", "sessions", verbosity=0)
    return None


BROWSERS: dict[str, Callable[[Helpdesk], Browser]] = {
    "flask": FlaskBrowser,
    "django": DjangoBrowser,
}


@dataclass
class Figures:
    times: list[float] = field(default_factory=list)
    statements: Counter[int] = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        ms = sorted(t * 1000 for t in self.times)
        p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
        return {
            "p50_ms": round(statistics.median(ms), 2),
            "p95_ms": round(p95, 2),
            "requests": len(ms),
            "statements": self.statements.most_common(1)[0][0],
            "statements_seen": sorted(self.statements),
        }


@dataclass(frozen=True)
class Sent:
    """A statement a page sent, with its parameters."""

    page: str
    statement: str
    parameters: Any


class StatementCounter:
    """Counts ticketcore's statements; with `keep`, also keeps each one with its parameters
    (the plan tests explain them)."""

    def __init__(self, helpdesk: Helpdesk, keep: list[Sent] | None = None) -> None:
        self.count = 0
        self.keep = keep
        self.page = ""  # the page being requested; empty between requests
        event.listen(helpdesk.engine, "before_cursor_execute", self._one)

    def _one(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        self.count += 1
        if self.keep is not None and self.page:
            self.keep.append(Sent(self.page, statement, parameters))

    def take(self) -> int:
        count, self.count = self.count, 0
        return count


def _track_ids(helpdesk: Helpdesk, **where: Any) -> list[str]:
    """Thirty tickets of a kind, the same on every run over the same data."""
    query = select(Ticket.track_id).order_by(Ticket.id.desc()).limit(30)
    for column, value in where.items():
        field = getattr(Ticket, column)
        query = query.where(field.in_(value) if isinstance(value, tuple) else field == value)
    with helpdesk.engine.connect() as conn:
        found = list(conn.scalars(query))
    if not found:
        raise SystemExit(f"no ticket with {where}")
    return found


def pages(helpdesk: Helpdesk, desk: Desk) -> dict[str, tuple[str, Callable[[Browser], None]]]:
    """Every page measured: name → (who, one request that checks its own answer)."""
    support = "/support"
    # Pages of tickets in one state, so each request does the same work at any size: the
    # customer's closed tickets (the common case, with the rating), the agent's active ones.
    mine = cycle(_track_ids(helpdesk, requester_id=desk.customer_id, status=Status.CLOSED))
    assigned = cycle(_track_ids(helpdesk, assignee_id=desk.agent_id, status=ACTIVE))
    created: list[str] = []  # replies go to the tickets "create a ticket" opened: all open
    counter = iter(range(1_000_000))

    def expect(r: Response, status: int, text: str) -> None:
        if r.status != status or text not in (r.text + r.location):
            raise SystemExit(f"unexpected answer {r.status}: {r.text[:300]} {r.location}")

    def get(url: str, text: str) -> Callable[[Browser], None]:
        return lambda b: expect(b.get(url), 200, text)

    def ticket(prefix: str, ids: Iterator[str]) -> Callable[[Browser], None]:
        def one(b: Browser) -> None:
            track = next(ids)
            expect(b.get(f"{support}{prefix}/tickets/{track}"), 200, track)

        return one

    def create(b: Browser) -> None:
        n = next(counter)
        form = {
            "subject": f"Benchmark ticket {n}: the export button does nothing",
            "body": "Clicking Export on the reports page does nothing since this morning.",
            "suggestions_seen": "1",
        }
        answer = b.post(f"{support}/tickets/new", form)
        expect(answer, 303, "/tickets/created/")
        created.append(answer.location.rsplit("/", 1)[-1])

    def reply(b: Browser) -> None:
        track = created[next(counter) % len(created)]
        form = {"body": f"Any news on this? (reply {next(counter)})"}
        expect(b.post(f"{support}/tickets/{track}/reply", form), 303, track)

    return {
        "customer home": ("customer", get(f"{support}/", "/tickets/new")),
        "my tickets": ("customer", get(f"{support}/tickets", "/tickets/")),
        "my tickets, waiting on you": ("customer", get(f"{support}/tickets?show=waiting", "")),
        "my tickets, searched": (
            "customer",
            get(f"{support}/tickets?q={SEARCH_WORD}&show=all", ""),
        ),
        "customer ticket page": ("customer", ticket("", mine)),
        "create a ticket": ("customer", create),
        "post a reply": ("customer", reply),
        "agent dashboard": ("agent", get(f"{support}/agent", "/agent/queue")),
        "queue: mine": ("agent", get(f"{support}/agent/queue", "/agent/tickets/")),
        "queue: unassigned": ("agent", get(f"{support}/agent/queue?view=unassigned", "")),
        "queue: my teams": ("agent", get(f"{support}/agent/queue?view=teams", "/agent/tickets/")),
        "queue: at risk": ("agent", get(f"{support}/agent/queue?view=sla", "")),
        "agent ticket page": ("agent", ticket("/agent", assigned)),
    }


def measure(
    adapter: str,
    desk: Desk,
    requests: int,
    warmup: int,
    keep: list[Sent] | None = None,
) -> dict[str, Any]:
    """Every page's figures on `desk` through `adapter`; `keep` collects the statements sent.

    The desk's clock stands still while it is measured, so every request of a page costs the
    same statements: on a running clock, a session's last-seen time is saved once a minute, by
    whichever request comes then (on Django, three more statements of the host's).
    """
    clock = FakeClock(datetime.now(UTC))
    helpdesk = Helpdesk(desk.settings(), clock=clock, load_entrypoints=False)
    counter = StatementCounter(helpdesk, keep)
    people = {"customer": desk.customer_id, "agent": desk.agent_id}
    browsers: dict[str, Browser] = {}
    for who, user_id in people.items():
        browsers[who] = BROWSERS[adapter](helpdesk)
        browsers[who].log_in(user_id)
    results: dict[str, Any] = {}
    for name, (who, request) in pages(helpdesk, desk).items():
        browser = browsers[who]
        for _ in range(warmup):
            request(browser)
        figures = Figures()
        for _ in range(requests):
            counter.take()
            browser.host_statements()
            counter.page = name
            started = time.perf_counter()
            request(browser)
            figures.times.append(time.perf_counter() - started)
            counter.page = ""
            figures.statements[counter.take() + browser.host_statements()] += 1
        results[name] = figures.summary()
    for browser in browsers.values():
        browser.close()
    helpdesk.close()
    return results


def creations_per_second(desk: Desk, count: int) -> float:
    """Tickets opened per second through `helpdesk.tickets.create` in one process, one after
    another as customers submit them: validation, numbering, assignment, SLA deadlines, the
    audit trail and the notifications queued in the outbox, each ticket its own transaction."""
    helpdesk = Helpdesk(desk.settings(), load_entrypoints=False)
    try:
        actor = helpdesk.users.actor_for(desk.customer_id)

        def create(n: int) -> None:
            values = {"subject": f"Export fails, take {n}", "body": "Export does nothing."}
            helpdesk.tickets.create(actor, values)

        for n in range(min(20, count)):  # warm-up: caches, prepared statements
            create(n)
        started = time.perf_counter()
        for n in range(count):
            create(n)
        return count / (time.perf_counter() - started)
    finally:
        helpdesk.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapter", choices=sorted(BROWSERS), default="flask")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "mariadb"), default="sqlite")
    parser.add_argument("--tickets", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--creations", type=int, default=0, help="also time this many creations")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    with working_desk(args.database, args.tickets) as desk:
        results = measure(args.adapter, desk, args.requests, args.warmup)
        per_second = creations_per_second(desk, args.creations) if args.creations else None
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {
        "adapter": args.adapter,
        "database": args.database,
        "tickets": args.tickets,
        "pages": results,
        "creations_per_second": per_second and round(per_second, 1),
        "peak_rss_mb": round(rss_mb, 1),
    }
    for name, row in results.items():
        print(
            f"{name:30} p50 {row['p50_ms']:8.2f} ms  p95 {row['p95_ms']:8.2f} ms  "
            f"{row['statements']:3d} statements {row['statements_seen']}"
        )
    if per_second:
        print(f"{per_second:.0f} ticket creations/s through the API")
    print(f"peak RSS {rss_mb:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
