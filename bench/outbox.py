"""Draining the outbox: N queued notifications sent by `ticketcore outbox run --workers W --once`.

Issue 10 asks for 10,000 queued notifications drained by 4 worker processes into a local SMTP
server: messages per second (target: at least 500), and each delivered exactly once.

For each database, a new empty ticketcore database (a SQLite file in a temporary folder; a new
database on the PostgreSQL or MariaDB server, dropped afterwards) gets its tables from
`Helpdesk.upgrade_database()`. The services then open 50 tickets for 50 customers and an agent
answers each, which queues 50 real "agent replied" notifications (rendered by the email
templates, with the threading headers the dispatcher sends). Those become N pending outbox rows:
each a copy of one of them with its own recipient and its own Message-ID, pointing at its
ticket. The rows are written straight into the table (the services would take minutes).

An aiosmtpd server runs on 127.0.0.1 in a process of its own and writes the Message-ID and
recipient of every email it accepts to a file. The real command, `ticketcore outbox run
--workers W --once`, runs as a subprocess with its settings in `TICKETCORE_*` variables, as a
site would run it from cron. Its wall time (process start to exit, including the spawning of
the workers) gives the messages per second. Afterwards every row must be sent with one attempt,
the server must have received exactly N emails, and each row's Message-ID exactly once, to the
row's recipient: the run fails (exit status 1) when any email was lost or doubled.

Run: `python bench/outbox.py` (SQLite, PostgreSQL and MariaDB; the servers are those of
`TICKETCORE_BENCH_POSTGRES_URL` / `TICKETCORE_BENCH_MARIADB_URL`, by default the local ones the
tests use); `--quick` sends 300 emails on SQLite only (what tests/test_bench_load.py runs).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import platform
import re
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from servers import database, reachable
from ticketcore import Actor, Helpdesk, Settings
from ticketcore.models import OutboxMessage, OutboxStatus

MESSAGES = 10_000
WORKERS = 4
TICKETS = 50  # real notifications the rows are copied from
TARGET_PER_SECOND = 500
SECRET = "bench-outbox-secret-key-long-enough-0123456789"
DATABASES = ("sqlite", "postgresql", "mariadb")

FIRST_NAMES = ["Alice", "Bruno", "Chloe", "Dan", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jonas"]
LAST_NAMES = ["Keller", "Lopez", "Moreau", "Novak", "Okafor"]
SUBJECTS = [
    "The CSV export stops at 1,000 rows",
    "Invoice for March shows the wrong VAT number",
    "Cannot log in after changing my password",
    "Two-factor codes from the app are always refused",
    "Webhook deliveries fail with a timeout",
    "How do I add a second admin to our account?",
    "The mobile app crashes when I open a report",
    "Please cancel the renewal of our Pro plan",
    "Single sign-on redirects back to the login page",
    "Attachments over 5 MB never finish uploading",
]
REPLIES = [
    "Hello {name},\n\nthanks for the details. The export is limited to 1,000 rows on the "
    "Starter plan; **use the API** or the scheduled export for more.\n\nBest regards,\nSam",
    "Hi {name},\n\nI have corrected the invoice and attached the new PDF to your account "
    "page. The old one is void.\n\nKind regards,\nSam",
    "Hello {name},\n\ncould you tell us which browser you use, and whether a private window "
    "behaves the same?\n\n1. Open a private window\n2. Log in again\n\nThanks,\nSam",
    "Hi {name},\n\nthis was a bug on our side, fixed in today's release (`2026.11.3`). "
    "Please try again and tell us if it still happens.\n\nSam",
]


@dataclass
class Outcome:
    """One database's run, as written to the JSON file."""

    database: str
    messages: int
    workers: int
    seconds: float
    per_second: float
    delivered: int  # outbox rows whose Message-ID the server received (at least once)
    duplicates: int  # emails received beyond the first of their Message-ID
    lost: int  # rows the server never received
    received: int  # emails the server accepted in all
    misaddressed: int  # received for a row, but not to that row's recipient
    unknown: int  # received with a Message-ID no row has
    not_sent: int  # rows not SENT after the run, or sent after more than one attempt
    send_seconds: float  # first to last email received by the server
    first_email_seconds: float  # from starting the command to the first email received
    version: str
    dispatcher_cpu_seconds: float = 0.0  # the command and its worker processes
    smtp_server_cpu_seconds: float = 0.0


# ---------------------------------------------------------------- the SMTP server


def serve_smtp(port: int, record: str, ready: Any, stop: Any) -> None:
    """The body of the SMTP server process: accept everything, note each email's Message-ID.

    A process of its own so the server's work is not measured as the benchmark's, nor slowed by
    it; the file is flushed when the server stops, and read only after.
    """
    from aiosmtpd.controller import Controller

    message_id = re.compile(rb"^Message-ID:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)

    class Recorder:
        def __init__(self, out: Any) -> None:
            self.out = out

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            head = envelope.content.split(b"\r\n\r\n", 1)[0]
            found = message_id.search(head)
            ident = found.group(1).decode() if found else "-"
            self.out.write(f"{time.monotonic():.6f}\t{ident}\t{','.join(envelope.rcpt_tos)}\n")
            return "250 Message accepted for delivery"

    with open(record, "w", encoding="utf-8") as out:
        controller = Controller(
            Recorder(out), hostname="127.0.0.1", port=port, server_hostname="localhost"
        )
        controller.start()
        ready.set()
        try:
            stop.wait()
        finally:
            controller.stop()
    # The server's own CPU time, to tell its share of the machine from the dispatcher's.
    Path(f"{record}.cpu").write_text(f"{time.process_time():.3f}")


@contextlib.contextmanager
def smtp_server(record: Path) -> Iterator[int]:
    """An SMTP server in its own process on a free port, stopped (and its file complete) after."""
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Event(), context.Event()
    port = free_port()
    process = context.Process(
        target=serve_smtp, args=(port, str(record), ready, stop), name="bench-smtp", daemon=True
    )
    process.start()
    try:
        deadline = time.monotonic() + 30
        while not ready.wait(0.1):
            if not process.is_alive() or time.monotonic() > deadline:
                raise SystemExit("the SMTP server did not start (see its error above)")
        yield port
    finally:
        stop.set()
        process.join(30)
        if process.is_alive():  # pragma: no cover - a hung server must not hang the run
            process.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------- databases


def server_version(url: str) -> str:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                return str(connection.exec_driver_sql("select sqlite_version()").scalar())
            version = str(connection.exec_driver_sql("select version()").scalar())
            # "PostgreSQL 15.2 on x86_64…", "10.11.6-MariaDB-0+deb12u1": the number is enough
            return re.search(r"\d+\.\d+(\.\d+)?", version).group(0)  # type: ignore[union-attr]
    finally:
        engine.dispose()


# ---------------------------------------------------------------- the queued emails


def settings_for(url: str, attachments: Path, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "attachments_dir": str(attachments),
        "secret_key": SECRET,
        "deliver_after_commit": False,
        "mail_transport": "console",
        **extra,
    }
    return Settings(**values)


def real_notifications(helpdesk: Helpdesk, tickets: int) -> list[dict[str, Any]]:
    """`tickets` "agent replied" notifications as the services queue them, as row values.

    Customers open the tickets and an agent answers each: the same rendering, headers and
    threading a real reply gets. The outbox is emptied afterwards (receipts and agent emails
    included), so only the copies made from these are sent.
    """
    system = Actor.system()
    agent = helpdesk.users.create(
        system, email="sam@help.example.com", display_name="Sam Rivera", role="agent"
    )
    helpdesk.teams.create(system, name="Support", is_default=True, members=[agent.id])
    agent_actor = helpdesk.users.actor_for(agent)
    for n in range(tickets):
        first = FIRST_NAMES[n % len(FIRST_NAMES)]
        last = LAST_NAMES[n // len(FIRST_NAMES) % len(LAST_NAMES)]
        customer = helpdesk.users.create(
            system, email=f"{first}.{last}{n}@example.org".lower(), display_name=f"{first} {last}"
        )
        created = helpdesk.tickets.create(
            helpdesk.users.actor_for(customer),
            subject=SUBJECTS[n % len(SUBJECTS)],
            body=f"{SUBJECTS[n % len(SUBJECTS)]}. It started this morning; what can I do?",
        )
        helpdesk.messages.reply(
            agent_actor, created.ticket.id, body=REPLIES[n % len(REPLIES)].format(name=first)
        )
    table = OutboxMessage.__table__
    with helpdesk.engine.begin() as connection:
        rows = connection.execute(
            sa.select(table).where(table.c.event == "agent_replied").order_by(table.c.id)
        ).mappings()
        found = [dict(row) for row in rows]
        connection.execute(table.delete())
    if len(found) != tickets:
        raise SystemExit(
            f"expected {tickets} reply notifications, the services queued {len(found)}"
        )
    return found


def queue_copies(helpdesk: Helpdesk, originals: Sequence[dict[str, Any]], count: int) -> None:
    """`count` pending rows, due now: each a copy of an original with its own recipient and
    Message-ID (the dispatcher builds the email from the row, so each is a distinct email)."""
    table = OutboxMessage.__table__
    due = datetime.now(UTC) - timedelta(minutes=1)  # the workers use the real clock
    batch: list[dict[str, Any]] = []
    with helpdesk.engine.begin() as connection:
        for n in range(count):
            original = originals[n % len(originals)]
            local, _, domain = original["recipient"].partition("@")
            recipient = f"{local}+n{n}@{domain}"
            name = original["headers"]["To"].split(" <")[0]
            batch.append(
                {
                    **{k: v for k, v in original.items() if k != "id"},
                    "recipient": recipient,
                    "recipient_user_id": None,
                    "email_message_id": f"<tc-out-{secrets.token_hex(16)}@example.com>",
                    "headers": {**original["headers"], "To": f"{name} <{recipient}>"},
                    "status": OutboxStatus.PENDING,
                    "attempts": 0,
                    "next_attempt_at": due,
                    "created_at": due,
                    "sent_at": None,
                }
            )
            if len(batch) == 1000:
                connection.execute(table.insert(), batch)
                batch = []
        if batch:
            connection.execute(table.insert(), batch)


# ---------------------------------------------------------------- one run


def ticketcore_command() -> list[str]:
    """The `ticketcore` console script of this Python, as a site runs it."""
    script = Path(sys.executable).with_name("ticketcore")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from ticketcore.cli import main; main()"]


def run_one(backend: str, messages: int, workers: int) -> Outcome:
    work = Path(tempfile.mkdtemp(prefix="tc_bench_outbox_"))
    try:
        with database(backend, work, "outbox") as url:
            return _measure(backend, url, work, messages, workers)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _measure(backend: str, url: str, work: Path, messages: int, workers: int) -> Outcome:
    attachments = work / "attachments"
    helpdesk = Helpdesk(settings_for(url, attachments), load_entrypoints=False)
    try:
        helpdesk.upgrade_database()
        originals = real_notifications(helpdesk, min(TICKETS, messages))
        queue_copies(helpdesk, originals, messages)
    finally:
        helpdesk.close()

    record = work / "received.tsv"
    with smtp_server(record) as port:
        env = {
            **os.environ,
            "TICKETCORE_DATABASE_URL": url,
            "TICKETCORE_ATTACHMENTS_DIR": str(attachments),
            "TICKETCORE_SECRET_KEY": SECRET,
            "TICKETCORE_MAIL_TRANSPORT": "smtp",
            "TICKETCORE_SMTP_HOST": "127.0.0.1",
            "TICKETCORE_SMTP_PORT": str(port),
            "TICKETCORE_DELIVER_AFTER_COMMIT": "false",
        }
        cpu_before = _children_cpu()
        started = time.monotonic()
        done = subprocess.run(
            [*ticketcore_command(), "outbox", "run", "--workers", str(workers), "--once"],
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
        seconds = time.monotonic() - started
        dispatcher_cpu = _children_cpu() - cpu_before
    expected = f"Sent {messages} email(s); 0 will be retried; 0 failed for good."
    if done.returncode != 0 or expected not in done.stdout:
        raise SystemExit(
            f"{backend}: `ticketcore outbox run` did not send every email "
            f"(exit {done.returncode}):\n{done.stdout}{done.stderr[-3000:]}"
        )
    outcome = _check(backend, url, record, messages, workers, seconds, started)
    outcome.dispatcher_cpu_seconds = round(dispatcher_cpu, 2)
    outcome.smtp_server_cpu_seconds = float(Path(f"{record}.cpu").read_text())
    return outcome


def _children_cpu() -> float:
    """CPU seconds of this process's finished children and theirs (the command's workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _check(
    backend: str,
    url: str,
    record: Path,
    messages: int,
    workers: int,
    seconds: float,
    started: float,
) -> Outcome:
    """Compare what the server received with the outbox rows."""
    received: Counter[str] = Counter()
    recipients: dict[str, set[str]] = {}
    moments: list[float] = []
    for line in record.read_text(encoding="utf-8").splitlines():
        moment, ident, rcpt = line.split("\t")
        received[ident] += 1
        recipients.setdefault(ident, set()).add(rcpt)
        moments.append(float(moment))
    engine = sa.create_engine(url)
    table = OutboxMessage.__table__
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(
                    table.c.email_message_id, table.c.recipient, table.c.status, table.c.attempts
                )
            ).all()
    finally:
        engine.dispose()
    ids = {row.email_message_id: row.recipient for row in rows}
    delivered = sum(1 for ident in ids if received[ident] > 0)
    return Outcome(
        database=backend,
        messages=messages,
        workers=workers,
        seconds=round(seconds, 2),
        per_second=round(messages / seconds, 1),
        delivered=delivered,
        duplicates=sum(count - 1 for count in received.values() if count > 1),
        lost=len(ids) - delivered,
        received=sum(received.values()),
        misaddressed=sum(
            1 for ident, rcpt in recipients.items() if ident in ids and rcpt != {ids[ident]}
        ),
        unknown=sum(count for ident, count in received.items() if ident not in ids),
        not_sent=sum(
            1 for row in rows if row.status != OutboxStatus.SENT.value or row.attempts != 1
        ),
        send_seconds=round(max(moments) - min(moments), 2) if moments else 0.0,
        first_email_seconds=round(min(moments) - started, 2) if moments else 0.0,
        version=server_version(url),
    )


def faults(outcome: Outcome) -> list[str]:
    """What went wrong with the emails of a run (nothing, when each went exactly once)."""
    checks = {
        "delivered": outcome.delivered != outcome.messages,
        "received": outcome.received != outcome.messages,
        "duplicates": outcome.duplicates != 0,
        "lost": outcome.lost != 0,
        "misaddressed": outcome.misaddressed != 0,
        "unknown": outcome.unknown != 0,
        "not_sent": outcome.not_sent != 0,
    }
    return [f"{name}={getattr(outcome, name)}" for name, bad in checks.items() if bad]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=None, help=f"default {MESSAGES:,}")
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument(
        "--database", nargs="+", choices=DATABASES, default=None, help="default: all three"
    )
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--quick", action="store_true", help="300 emails on SQLite: a smoke run")
    args = parser.parse_args(argv)
    messages = args.messages or (300 if args.quick else MESSAGES)
    backends = args.database or (["sqlite"] if args.quick else list(DATABASES))
    for backend in backends:
        problem = reachable(backend)
        if problem:
            print(f"{backend} is not reachable: {problem}", file=sys.stderr)
            return 2

    print(
        f"Outbox: {messages:,} queued notifications drained by `ticketcore outbox run "
        f"--workers {args.workers} --once` into aiosmtpd on 127.0.0.1; "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs"
        + ("; --quick: figures are rough" if args.quick else "")
    )
    print()
    print(
        f"{'database':<18}{'emails':>7}{'workers':>9}{'wall s':>8}{'emails/s':>10}"
        f"{'1st at':>8}{'sending/s':>11}{'CPU s':>7}{'SMTP':>6}{'delivered':>11}{'doubled':>9}"
        f"{'lost':>6}"
    )
    outcomes: list[Outcome] = []
    broken = False
    for backend in backends:
        outcome = run_one(backend, messages, args.workers)
        outcomes.append(outcome)
        sending = outcome.messages / outcome.send_seconds if outcome.send_seconds else 0.0
        print(
            f"{backend + ' ' + outcome.version:<18}{outcome.messages:>7,}{outcome.workers:>9}"
            f"{outcome.seconds:>8.1f}{outcome.per_second:>10,.0f}"
            f"{outcome.first_email_seconds:>8.1f}{sending:>11,.0f}"
            f"{outcome.dispatcher_cpu_seconds:>7.1f}{outcome.smtp_server_cpu_seconds:>6.1f}"
            f"{outcome.delivered:>11,}{outcome.duplicates:>9}{outcome.lost:>6}"
        )
        problems = faults(outcome)
        if problems:
            broken = True
            print(f"  NOT exactly once: {', '.join(problems)}")
    print()
    print(
        "emails/s: over the wall time of the command (starting its workers included); "
        "1st at: seconds until the\nfirst email arrived; sending/s: from the first email to "
        "the last; CPU s: the command and its\nworkers; SMTP: the server's CPU seconds"
    )
    verdicts = [
        f"{o.database} {'met' if o.per_second >= TARGET_PER_SECOND else 'NOT met'}"
        for o in outcomes
    ]
    print(
        f"target: at least {TARGET_PER_SECOND} emails/s with {args.workers} workers, "
        f"each exactly once: {', '.join(verdicts)}"
        + ("; SOME EMAILS WERE LOST OR DOUBLED" if broken else "; every email exactly once")
    )
    if args.json:
        args.json.write_text(json.dumps({"outbox": [asdict(o) for o in outcomes]}, indent=2))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
