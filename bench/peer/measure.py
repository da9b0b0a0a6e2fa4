"""django-helpdesk's nearest pages to ticketcore's, timed in process on the scale data's shape.

Runs in the peer's own virtual environment, started by `bench/peer.py` (the entry point, which
also exports ticketcore's story texts to the "shape" file): this process cannot import
ticketcore, and django-helpdesk's pinned Django must not meet the project's. It

1. configures a minimal Django site around django-helpdesk as its install guide has it
   (DEBUG off, so templates are cached as in production; SQLite; no pinax-teams);
2. puts the peer's scale data in a working copy of a cached database
   (`<data>/peer-<N>.sqlite3`, loaded by `peer_data.py` the first time and whenever the data
   version, the shape or the pins change), so the writes measured here never reach the cache;
3. requests each page through Django's test client, `--warmup` times and then `--requests`
   times, timing only the request and counting the SQL statements it sends on the default
   connection (sessions and users included, as `bench/pages.py` counts the host's), and
   checks every answer: status, and a piece of the page that only the real one has;
4. writes p50/p95 per page as JSON in the shape `bench/run.py` reads.

Nothing of django-helpdesk is copied here: the page parameters were read from its templates
(the DataTables request of `ticket_list.html`, the fields of its forms) and are built anew.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from itertools import count, cycle
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import django
from django.conf import settings

try:
    import fcntl
except ImportError:  # not POSIX: no lock, so do not build the same size twice at once
    fcntl = None  # type: ignore[assignment]

HERE = Path(__file__).resolve().parent
SEARCH_WORD = "invoice"  # bench/pages.py's search word: in about one subject in eight
CSRF = "b" * 32  # the CSRF cookie and form token, as a browser would echo them
Step = Callable[["Timer"], None]


def configure(database: Path, media: Path) -> None:
    """A Django site with django-helpdesk as its install guide sets one up.

    E-mail goes to Django's in-memory backend: django-helpdesk sends its notifications while
    handling the request, so rendering them is part of what a post costs, but no SMTP server's
    latency is. Passwords are never checked (logins are forced), so the hasher is the fast one.
    """
    sys.path.insert(0, str(HERE))
    # django-helpdesk's dashboard filters tickets by dates given as naive strings ("open
    # tickets under 30 days old"); Django warns on every such query. Its behaviour, not ours.
    warnings.filterwarnings(
        "ignore", r"DateTimeField Ticket\.created received a naive datetime", RuntimeWarning
    )
    settings.configure(
        DEBUG=False,
        SECRET_KEY="peer-benchmark-secret-key-that-is-long-enough-0123456789",
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=[
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.staticfiles",
            "django.contrib.sites",
            "django.contrib.humanize",
            "rest_framework",
            "helpdesk",
        ],
        MIDDLEWARE=[
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        ROOT_URLCONF="peer_urls",
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(database)}},
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        SITE_ID=1,
        USE_TZ=True,
        TIME_ZONE="UTC",
        LANGUAGE_CODE="en-us",
        STATIC_URL="/static/",
        MEDIA_URL="/media/",
        MEDIA_ROOT=str(media),
        LOGIN_URL="helpdesk:login",
        LOGIN_REDIRECT_URL="helpdesk:home",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        DEFAULT_FROM_EMAIL="helpdesk@scale.example.com",
        SERVER_EMAIL="helpdesk@scale.example.com",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        HELPDESK_TEAMS_MODE_ENABLED=False,  # teams need pinax-teams; the docs say how to opt out
        # The customers have accounts: without these, every owner and CC drop-down lists all
        # 2,021 users: at 1,000 tickets the agent list and ticket pages took 100-115 ms, not 9-29.
        HELPDESK_STAFF_ONLY_TICKET_OWNERS=True,
        HELPDESK_STAFF_ONLY_TICKET_CC=True,
    )
    django.setup()


# ---------------------------------------------------------------------- the data


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def prepare(
    data: Path, tickets: int, shape_file: Path, work: Path
) -> tuple[float | None, dict[str, Any]]:
    """Configure Django on `work`, a database of `tickets` tickets: a copy of the cached one
    when it was made from the same data version, shape and pins, else a new load (then
    cached). Returns the seconds the load took (None when the cache served) and the stamp."""
    data.mkdir(parents=True, exist_ok=True)
    media = data / "media"
    configure(work, media)  # connects only when first used, so `work` may still be filled
    import peer_data

    shape_bytes = shape_file.read_bytes()
    key = {
        "data_version": peer_data.DATA_VERSION,
        "seed": peer_data.SEED,
        "tickets": tickets,
        "shape_sha256": hashlib.sha256(shape_bytes).hexdigest(),
        "django-helpdesk": version("django-helpdesk"),
        "django": django.__version__,
    }
    cached = data / f"peer-{tickets}.sqlite3"
    stamp_file = data / f"peer-{tickets}.json"
    with _locked(data / f"peer-{tickets}.lock"):
        stamp = json.loads(stamp_file.read_text()) if stamp_file.exists() else {}
        if cached.exists() and stamp.get("key") == key:
            shutil.copyfile(cached, work)
            return None, stamp
        from django.core.management import call_command
        from django.db import connection

        print(f"peer data: loading {tickets:,} tickets into {cached}", file=sys.stderr, flush=True)
        call_command("migrate", verbosity=0)
        shape = peer_data.Shape.from_json(json.loads(shape_bytes))
        peer_data.write_files(media, shape)
        loaded = peer_data.load(shape, tickets)
        connection.close()
        stamp_file.unlink(missing_ok=True)
        partial = cached.with_suffix(".partial")
        shutil.copyfile(work, partial)
        os.replace(partial, cached)
        stamp = {
            "key": key,
            "as_of": time.strftime("%Y-%m-%d", time.gmtime()),
            "load_seconds": round(loaded.seconds, 1),
            "counts": dict(loaded.counts),
            "statuses": dict(loaded.statuses),
        }
        stamp_file.write_text(json.dumps(stamp, indent=2))
        return loaded.seconds, stamp


# ---------------------------------------------------------------------- timing


@dataclass
class Figures:
    times: list[float] = field(default_factory=list)
    statements: Counter[int] = field(default_factory=Counter)

    def summary(self, note: str) -> dict[str, Any]:
        """The shape bench/run.py reads; `statements` is the count most requests sent."""
        ms = sorted(t * 1000 for t in self.times)
        p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
        return {
            "p50_ms": round(statistics.median(ms), 2),
            "p95_ms": round(p95, 2),
            "statements": self.statements.most_common(1)[0][0],
            "requests": len(ms),
            "note": note,
        }


class Timer:
    """Times the one request inside a page's step and counts the statements it sent, so the
    step's own setup and checks (which read the database too) stay out of the figures."""

    def __init__(self, figures: Figures | None) -> None:
        self.figures = figures  # None while warming up

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        # The context counts from where the log stood, and nothing else empties the log
        # while it runs; left alone, the log fills to Django's cap of 9,000 and every later
        # request counts as 0 statements.
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            yield
            elapsed = time.perf_counter() - started
        sent = len(queries.captured_queries)
        require(sent < connection.queries_limit, f"{sent} statements: past Django's log")
        if self.figures is not None:
            self.figures.times.append(elapsed)
            self.figures.statements[sent] += 1


def expect(response: Any, status: int, *pieces: str) -> None:
    """Stop the run on any answer but the expected one: an error page must never be timed."""
    body = response.content.decode(errors="replace")
    text = body + response.headers.get("Location", "")
    missing = [p for p in pieces if p not in text]
    if response.status_code != status or missing:
        raise SystemExit(
            f"unexpected answer to {response.request['PATH_INFO']}: {response.status_code} "
            f"(wanted {status}), missing {missing}: {body[:400]}"
        )


def require(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"check failed: {what}")


# ---------------------------------------------------------------------- the pages


class Pages:
    """The pages measured, with the people and tickets they are asked for.

    The agent is the one with the most open tickets assigned, the customer the one with the
    most tickets (bench/pages.py picks its people the same way). Each step makes one request
    inside `timer()` and then checks it.
    """

    def __init__(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models import Count, Q
        from django.test import Client
        from helpdesk import settings as helpdesk_settings
        from helpdesk.models import Queue, Ticket

        self.Ticket = Ticket
        users = get_user_model()
        open_statuses = (Ticket.OPEN_STATUS, Ticket.REOPENED_STATUS)
        self.open_statuses = open_statuses
        self.agent = (
            users.objects.filter(is_staff=True, is_superuser=False)
            .annotate(n=Count("assigned_to", filter=Q(assigned_to__status__in=open_statuses)))
            .order_by("-n", "id")
            .first()
        )
        email = (
            Ticket.objects.values("submitter_email")
            .annotate(n=Count("id"))
            .order_by("-n", "submitter_email")
            .first()["submitter_email"]
        )
        self.customer = users.objects.get(email=email)
        self.titles = set(Ticket.objects.values_list("title", flat=True).distinct())
        self.open_tickets = Ticket.objects.filter(status__in=open_statuses)
        self.support_queue = Queue.objects.get(slug="support").id
        self.tickets_total = Ticket.objects.count()
        self.counter = count(1)

        self.columns = [
            "id", "ticket", "priority", "queue", "status", "created", "due_date",
            "assigned_to", "submitter", "last_followup",
        ]  # fmt: skip
        if helpdesk_settings.HELPDESK_ENABLE_TIME_SPENT_ON_TICKET:
            self.columns.append("time_spent")
        if helpdesk_settings.HELPDESK_KB_ENABLED:
            self.columns.append("kbitem")
        self.page_length = self.agent.usersettings_helpdesk.tickets_per_page

        self.agent_client = Client(enforce_csrf_checks=True)
        self.agent_client.force_login(self.agent)
        self.agent_client.cookies[settings.CSRF_COOKIE_NAME] = CSRF
        self.customer_client = Client(enforce_csrf_checks=True)
        self.customer_client.force_login(self.customer)
        # The list page renders the JSON endpoint's URL (the saved query in base64) into its
        # DataTables set-up; take it from there, as the page's script does.
        page = self.agent_client.get("/helpdesk/tickets/")
        expect(page, 200, 'id="ticketTable"')
        found = re.search(
            r'"url": "(/helpdesk/datatables_ticket_list/[^"]*)"', page.content.decode()
        )
        if found is None:
            raise SystemExit("the ticket list page no longer names its datatables endpoint")
        self.datatables_url = found.group(1)
        assigned = self.open_tickets.filter(assigned_to=self.agent).count()
        submitted = Ticket.objects.filter(submitter_email=email).count()
        self.who = (
            f"agent {self.agent.username} ({assigned} open tickets assigned), "
            f"customer {email} ({submitted} tickets)"
        )

    def all(self) -> dict[str, tuple[str, Step]]:
        """Page key (as bench/run.py reads them) → (note, step)."""
        return {
            "agent_ticket_list": (
                "GET /helpdesk/tickets/ as an agent: the list page itself; its rows come "
                "from agent_ticket_list_json",
                self.agent_ticket_list(),
            ),
            "agent_ticket_list_json": (
                "GET /helpdesk/datatables_ticket_list/<query>?draw=..&columns[i][..]=..&start=0"
                f"&length={self.page_length}&search[value]=&.. as the list page's DataTables "
                "script asks for the first page: the default query (Open and Reopened "
                "tickets, oldest first)",
                self.agent_ticket_list_json(""),
            ),
            "agent_ticket_list_json_search": (
                f"the same request with search[value]={SEARCH_WORD} (the list's search box)",
                self.agent_ticket_list_json(SEARCH_WORD),
            ),
            "dashboard": (
                "GET /helpdesk/dashboard/ as an agent (/helpdesk/ redirects agents there): "
                "their open and finished tickets, unassigned tickets, open-ticket age counts",
                self.dashboard(),
            ),
            "agent_ticket_detail": (
                "GET /helpdesk/tickets/<id>/ as an agent, cycling over up to 30 of their "
                "tickets with 4 follow-ups",
                self.agent_ticket_detail(),
            ),
            "public_ticket_view": (
                "GET /helpdesk/view/?ticket=<queue>-<id>&email=<submitter> as that customer, "
                "logged in, cycling over up to 30 of their tickets",
                self.public_ticket_view(),
            ),
            "customer_ticket_list": (
                "GET /helpdesk/tickets/my-tickets/ as the customer: the page itself; its "
                "rows come from customer_ticket_list_json",
                self.customer_ticket_list(),
            ),
            "customer_ticket_list_json": (
                "GET /helpdesk/api/user_tickets/?page=1 as the customer, as the my-tickets "
                "page's script asks for its rows (25 a page, newest first)",
                self.customer_ticket_list_json(),
            ),
            "ticket_create": (
                "POST /helpdesk/tickets/submit/ as an agent (the staff form: queue, title, "
                "body, priority, submitter e-mail, owner), redirected to the new ticket; "
                "e-mails rendered to Django's in-memory backend",
                self.ticket_create(),
            ),
            "followup_post": (
                "POST /helpdesk/tickets/<id>/update/ as an agent: a public comment with the "
                "respond form's other fields unchanged, redirected to the ticket; cycling "
                "over up to 30 of their open tickets",
                self.followup_post(),
            ),
        }

    # ------------------------------------------------------------------ agent pages

    def agent_ticket_list(self) -> Step:
        def step(timer: Timer) -> None:
            with timer():
                r = self.agent_client.get("/helpdesk/tickets/")
            expect(r, 200, 'id="ticketTable"', self.datatables_url)

        return step

    def datatables_query(self, draw: int, search: str) -> str:
        """What DataTables 3 sends for a server-side table (jQuery's encoding of its request
        object): every column's data name and flags, no order (the table starts with
        `order: []`, so the saved query's sort applies), the page, the search box, and
        jQuery's cache-buster. Checked once against the request Chromium sent from the page:
        the same keys in the same order."""
        params = [("draw", str(draw))]
        for i, data in enumerate(self.columns):
            params += [
                (f"columns[{i}][data]", data),
                (f"columns[{i}][name]", ""),
                (f"columns[{i}][searchable]", "true"),
                (f"columns[{i}][orderable]", "false" if i == 0 else "true"),
                (f"columns[{i}][search][value]", ""),
                (f"columns[{i}][search][regex]", "false"),
            ]
        params += [
            ("start", "0"),
            ("length", str(self.page_length)),
            ("search[value]", search),
            ("search[regex]", "false"),
            ("_", str(1_764_000_000_000 + draw)),
        ]
        return urlencode(params)

    def agent_ticket_list_json(self, search: str) -> Step:
        from django.db.models import Q

        total = self.open_tickets.count()
        expected = total
        if search:
            expected = self.open_tickets.filter(
                Q(title__icontains=search)
                | Q(description__icontains=search)
                | Q(resolution__icontains=search)
            ).count()
        oldest = self.open_tickets.order_by("created").first()
        draws = count(1)

        def step(timer: Timer) -> None:
            draw = next(draws)
            url = f"{self.datatables_url}?{self.datatables_query(draw, search)}"
            with timer():
                r = self.agent_client.get(url)
            expect(r, 200)
            answer = r.json()
            rows = answer["data"]
            require(answer["draw"] == draw, "the endpoint echoes draw")
            require(answer["recordsTotal"] == total, f"recordsTotal {answer['recordsTotal']}")
            require(
                answer["recordsFiltered"] == expected,
                f"recordsFiltered {answer['recordsFiltered']}, expected {expected}",
            )
            require(len(rows) == min(self.page_length, expected), f"{len(rows)} rows")
            require(all(row["title"] in self.titles for row in rows), "rows are tickets")
            if not search and oldest is not None:
                require(rows[0]["id"] == oldest.id, "the oldest open ticket comes first")

        return step

    def dashboard(self) -> Step:
        mine = self.Ticket.objects.filter(assigned_to=self.agent)
        shown = (
            mine.filter(status__in=self.open_statuses).order_by("-created").first()
            or mine.order_by("-created").first()
        )
        pieces = [f'href="/helpdesk/tickets/{shown.id}/"'] if shown else []

        def step(timer: Timer) -> None:
            with timer():
                r = self.agent_client.get("/helpdesk/dashboard/")
            expect(r, 200, "Helpdesk Dashboard", *pieces)

        return step

    def agent_ticket_detail(self) -> Step:
        from django.db.models import Count, F, Func
        from django.utils import dateformat, timezone
        from django.utils.html import escape

        by_size = (
            self.Ticket.objects.filter(assigned_to=self.agent)
            .annotate(n=Count("followup"))
            .annotate(off=Func(F("n") - 4, function="ABS"))
            .order_by("off", "-id")[:30]
        )
        targets = []
        for ticket in by_size:
            stamps = [
                f"datetime='{dateformat.format(timezone.localtime(f.date), 'c')}'"
                for f in ticket.followup_set.all()
            ]
            targets.append((ticket.id, [escape(ticket.title), *stamps]))
        require(bool(targets), "the agent has tickets")
        tickets = cycle(targets)

        def step(timer: Timer) -> None:
            ticket_id, pieces = next(tickets)
            with timer():
                r = self.agent_client.get(f"/helpdesk/tickets/{ticket_id}/")
            expect(r, 200, *pieces)

        return step

    # ------------------------------------------------------------------ customer pages

    def public_ticket_view(self) -> Step:
        from django.utils.html import escape

        targets = []
        mine = self.Ticket.objects.filter(submitter_email=self.customer.email)
        for ticket in mine.select_related("queue").order_by("-id")[:30]:
            query = urlencode({"ticket": ticket.ticket_for_url, "email": self.customer.email})
            public = ticket.followup_set.filter(public=True).count()
            targets.append((f"/helpdesk/view/?{query}", ticket.ticket_for_url, ticket, public))
        tickets = cycle(targets)

        def step(timer: Timer) -> None:
            url, reference, ticket, public = next(tickets)
            with timer():
                r = self.customer_client.get(url)
            expect(r, 200, reference, escape(ticket.title))
            shown = r.content.decode().count("<div class='followup well card'>")
            require(shown == public, f"{shown} follow-ups shown, {public} public")

        return step

    def customer_ticket_list(self) -> Step:
        def step(timer: Timer) -> None:
            with timer():
                r = self.customer_client.get("/helpdesk/tickets/my-tickets/")
            expect(r, 200, "/helpdesk/api/user_tickets/")

        return step

    def customer_ticket_list_json(self) -> Step:
        mine = self.Ticket.objects.filter(submitter_email=self.customer.email)
        total = mine.count()
        newest = list(mine.order_by("-created").values_list("id", flat=True)[:25])

        def step(timer: Timer) -> None:
            with timer():
                r = self.customer_client.get("/helpdesk/api/user_tickets/?page=1")
            expect(r, 200)
            answer = r.json()
            require(answer["count"] == total, f"count {answer['count']}, expected {total}")
            ids = [row["id"] for row in answer["results"]]
            require(ids == newest, "the customer's newest tickets, newest first")

        return step

    # ------------------------------------------------------------------ writes

    def ticket_create(self) -> Step:
        from django.core import mail

        def step(timer: Timer) -> None:
            n = next(self.counter)
            title = f"Benchmark ticket {n}: the export button does nothing"
            form = {
                "queue": str(self.support_queue),
                "title": title,
                "body": "Clicking Export on the reports page does nothing since this morning.",
                "priority": "3",
                "due_date": "",
                "submitter_email": self.customer.email,
                "assigned_to": str(self.agent.id),
                "csrfmiddlewaretoken": CSRF,
            }
            with timer():
                r = self.agent_client.post("/helpdesk/tickets/submit/", form)
            expect(r, 302)
            found = re.fullmatch(r"/helpdesk/tickets/(\d+)/", r.headers["Location"])
            if found is None:
                raise SystemExit(f"redirected to {r.headers['Location']}, not the new ticket")
            self.tickets_total += 1
            require(self.Ticket.objects.count() == self.tickets_total, "one more ticket")
            require(
                self.Ticket.objects.filter(id=int(found.group(1)), title=title).exists(),
                "the new ticket is stored",
            )
            self.titles.add(title)
            mail.outbox.clear()

        return step

    def followup_post(self) -> Step:
        from django.core import mail
        from helpdesk.models import FollowUp

        mine = self.Ticket.objects.filter(assigned_to=self.agent)
        targets = list(mine.filter(status__in=self.open_statuses).order_by("-id")[:30])
        targets = targets or list(mine.order_by("-id")[:30])
        tickets = cycle(targets)

        def step(timer: Timer) -> None:
            ticket = next(tickets)
            comment = f"Any news on this? We are looking into it (update {next(self.counter)})."
            form = {
                "comment": comment,
                "new_status": str(ticket.status),
                "public": "1",
                "time_spent": "",
                "title": ticket.title,
                "owner": str(self.agent.id),
                "priority": str(ticket.priority),
                "queue": str(ticket.queue_id),
                "due_date": "",
                "csrfmiddlewaretoken": CSRF,
            }
            with timer():
                r = self.agent_client.post(f"/helpdesk/tickets/{ticket.id}/update/", form)
            expect(r, 302)
            require(r.headers["Location"] == f"/helpdesk/tickets/{ticket.id}/", "back to it")
            require(
                FollowUp.objects.filter(ticket_id=ticket.id, comment=comment).exists(),
                "the follow-up is stored",
            )
            mail.outbox.clear()

        return step


def measure(requests: int, warmup: int) -> tuple[dict[str, Any], str]:
    pages = Pages()
    results: dict[str, Any] = {}
    for key, (note, step) in pages.all().items():
        for _ in range(warmup):
            step(Timer(None))
        figures = Figures()
        for _ in range(requests):
            step(Timer(figures))
        results[key] = figures.summary(note)
    return results, pages.who


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, required=True)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--shape", type=Path, required=True, help="from bench/peer.py")
    parser.add_argument("--data", type=Path, required=True, help="cached databases go here")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.warmup < 0 or args.tickets < 1:
        parser.error("need --tickets >= 1, --requests >= 1 and --warmup >= 0")
    args.data.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="work-", dir=args.data))
    try:
        load_seconds, stamp = prepare(args.data, args.tickets, args.shape, work / "peer.sqlite3")
        results, who = measure(args.requests, args.warmup)
        from django.db import connection

        connection.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    counts = stamp["counts"]
    how = f"loaded in {load_seconds:.1f} s" if load_seconds is not None else "cached"
    print(
        f"data: {counts['tickets']:,} tickets as of {stamp['as_of']} ({how}; first load "
        f"{stamp['load_seconds']} s): {counts['public follow-ups']:,} public and "
        f"{counts['internal follow-ups']:,} internal follow-ups, {counts['attachments']:,} "
        f"attachments, {counts['users']:,} users; "
        + ", ".join(f"{n:,} {s}" for s, n in sorted(stamp["statuses"].items()))
    )
    print(f"as: {who}")
    out = {
        "peer": "django-helpdesk",
        "version": version("django-helpdesk"),
        "django": django.__version__,
        "database": f"sqlite {sqlite3.sqlite_version}",
        "tickets": args.tickets,
        "load_seconds": round(load_seconds, 1) if load_seconds is not None else None,
        "pages": results,
        "absent": {},
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
