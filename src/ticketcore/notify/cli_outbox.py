"""`ticketcore outbox`: run the workers that send email, see what waits or failed, retry it.

Kept beside the outbox rather than in `cli.py` so the mail commands travel with the mail code.
It builds on `cli.py`'s helpers, and `cli.py` adds this group to `ticketcore` once they exist
(at the end of that module); host adapters get it with every other command through
`add_commands`. Import `ticketcore.cli` (not this module) to reach it: imported first, this
module would start `cli.py`, which then asks for a group not defined yet.

`run --workers N` starts N processes, each with its own `Helpdesk` built from the same
settings and running `notify.outbox.worker_process`. The `ticketcore` command forks them from
itself, before it has opened a database or started a thread, so nothing is inherited half-used
and they start at once. Under a host (`flask ticketcore`, a Django command), whose process may
hold connections and threads of its own, they come from a fork server: a clean process that
imports ticketcore once, so no worker spends a second of CPU importing it again. Plugins a
host registered in code are not in those processes (entry-point plugins are); with one worker
the command runs in-process, on the host's own helpdesk.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import click
from sqlalchemy.engine import make_url

from ..cli import CliState, TicketcoreGroup, pass_state
from .outbox import DeliveryResult, worker_process

__all__ = ["outbox"]


@click.group(cls=TicketcoreGroup)
def outbox() -> None:
    """Outgoing email: send it, see what waits or failed, retry failures."""


@outbox.command("run")
@click.option("--once", is_flag=True, help="Send what is due now, then exit (for cron).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes sending at once.",
)
@click.option(
    "--poll",
    "poll_seconds",
    type=click.FloatRange(0.05, 3600),
    default=1.0,
    show_default=True,
    help="Seconds an idle worker waits before looking again.",
)
@pass_state
def run(state: CliState, once: bool, workers: int, poll_seconds: float) -> None:
    """Send the emails waiting in the outbox, retrying failures with backoff.

    Without --once the workers run until interrupted (Ctrl-C or SIGTERM), finishing the email
    they are sending. Several workers, on one machine or many, never send an email twice.
    """
    if workers == 1:
        stop = threading.Event()
        with _stopping_on_signals(stop):
            result = state.helpdesk.outbox.run(once=once, poll_seconds=poll_seconds, stop=stop)
    else:
        result = _run_processes(
            state.settings.model_dump(),
            workers=workers,
            once=once,
            poll_seconds=poll_seconds,
            clean=not state.has_helpdesk,
        )
    click.echo(_summary(result))


@outbox.command("status")
@click.option(
    "--limit",
    type=click.IntRange(0, 1000),
    default=20,
    show_default=True,
    help="How many failed emails to list.",
)
@pass_state
def status(state: CliState, limit: int) -> None:
    """Count the emails pending, sent and failed, and list the failed ones with their error."""
    report = state.helpdesk.outbox.status(failed_limit=limit)
    click.echo(f"pending  {report.pending} ({report.due} due now)")
    if report.sending:
        click.echo(f"sending  {report.sending}")
    click.echo(f"sent     {report.sent}")
    click.echo(f"failed   {report.failed}")
    if report.oldest_due_at is not None:
        click.echo(f"oldest due email waits since {_when(report.oldest_due_at)}")
    if not report.failed_emails:
        return
    click.echo("")
    click.echo("Failed emails (retry them with `ticketcore outbox retry`):")
    for email in report.failed_emails:
        click.echo(
            f"  #{email.id}  {email.event}  to {email.recipient}  "
            f"after {email.attempts} attempt(s), queued {_when(email.created_at)}"
        )
        click.echo(f"      {_one_line(email.last_error or 'no error recorded')}")


@outbox.command("retry", options={"ids": "--id"})
@click.option(
    "--id",
    "ids",
    type=int,
    multiple=True,
    metavar="ID",
    help="A failed email to retry (repeatable; default: every failed email).",
)
@pass_state
def retry(state: CliState, ids: tuple[int, ...]) -> None:
    """Queue failed emails again, due now, with a fresh count of attempts."""
    queued = state.helpdesk.outbox.retry(list(ids) if ids else None)
    missing = sorted(set(ids) - set(queued))
    click.echo(f"Queued {len(queued)} failed email(s) again.")
    if missing:
        listed = ", ".join(f"#{i}" for i in missing)
        raise click.ClickException(f"not failed, or no such email: {listed}")


# ------------------------------------------------------------------ worker processes


def _run_processes(
    settings: dict[str, Any], *, workers: int, once: bool, poll_seconds: float, clean: bool
) -> DeliveryResult:
    context = _worker_context(clean, settings["database_url"])
    stop = context.Event()
    results = context.Queue()
    processes = [
        context.Process(
            target=worker_process,
            args=(settings, once, poll_seconds, stop, results),
            name=f"ticketcore-outbox-{n + 1}",
        )
        for n in range(workers)
    ]
    for process in processes:
        process.start()
    total = DeliveryResult()
    with _stopping_on_signals(stop):
        for process in processes:
            while process.is_alive():
                try:
                    process.join(0.2)
                except KeyboardInterrupt:
                    stop.set()
    broken = [p.name for p in processes if p.exitcode != 0]
    for _ in range(len(processes) - len(broken)):  # each worker that ended well reported
        try:
            sent, retried, failed = results.get(timeout=5)
        except queue.Empty:  # pragma: no cover - a report lost with its pipe
            break
        total += DeliveryResult(sent, retried, failed)
    results.close()
    if broken:
        raise click.ClickException(
            f"{len(broken)} worker(s) stopped with an error ({', '.join(broken)}); "
            "see their log above. " + _summary(total)
        )
    return total


def _worker_context(clean: bool, database_url: str) -> Any:
    """Fork the workers from this process when `clean`: it has imported ticketcore but opened
    no database and started no thread (the `ticketcore` command, which builds no helpdesk for
    them), so they start at once. Otherwise (a host's process, or threads running) from a fork
    server, a fresh process that imports ticketcore once for all of them."""
    if clean and sys.platform == "linux" and threading.active_count() == 1:
        # The database's dialect and driver, imported here once rather than in every worker.
        make_url(database_url).get_dialect().import_dbapi()
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["ticketcore.helpdesk", "ticketcore.notify.outbox"])
    return context


@contextmanager
def _stopping_on_signals(stop: Any) -> Iterator[None]:
    """SIGTERM (and Ctrl-C) set `stop`: the current email is finished, then the loop ends."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _summary(result: DeliveryResult) -> str:
    return (
        f"Sent {result.sent} email(s); {result.retried} will be retried; "
        f"{result.failed} failed for good."
    )


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _one_line(text: str) -> str:
    return " ".join(text.split())
