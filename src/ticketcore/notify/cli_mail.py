"""`ticketcore mail`: feed incoming email to the helpdesk, and look at what became of it.

`ticketcore mail ingest` is what an MTA runs for each message (a Postfix `pipe` or an alias
`"|ticketcore mail ingest"`), so its contract is the MTA's: read one message from a file or
standard input, print one line, and exit 0 whenever the message was dealt with, even when it
was rejected, a duplicate or unreadable (it is in the inbound mail log, kept for inspection).
Only a failure to record it at all, such as an unreachable database, exits non-zero; with
`--tempfail` that exit status is 75 (EX_TEMPFAIL), which tells Postfix and Exim to keep the
message and try again later instead of bouncing it.

`poll-maildir` serves sites whose mail is delivered into a Maildir (fetchmail, a hosted IMAP
sync) instead of piped; `list` and `show` read the inbound mail log, and `show --raw` prints a
kept message byte for byte, so `ticketcore mail show 7 --raw | ticketcore mail ingest` tries it
again after fixing what rejected it.

Kept beside the inbound mail code rather than in `cli.py`; `cli.py` adds the group to
`ticketcore` (`main.add_command(mail)`), and host adapters get it through `add_commands`.
"""

from __future__ import annotations

import contextlib
import sys
from collections import Counter
from collections.abc import Iterator
from typing import BinaryIO

import click
from sqlalchemy import exc as sa_exc

from ..cli import CliState, TicketcoreGroup, pass_state
from ..models import InboundStatus
from ..permissions import Actor
from .inbound import InboundMailEntry

__all__ = ["mail"]

EX_TEMPFAIL = 75  # sysexits.h: "try again later", honoured by Postfix, Exim and Sendmail

_TEMPFAIL_HELP = (
    "Exit with 75 (EX_TEMPFAIL) instead of 1 when the message cannot be recorded now "
    "(database unreachable), so the MTA keeps it and retries."
)


@click.group(cls=TicketcoreGroup)
def mail() -> None:
    """Incoming email: ingest messages and inspect the inbound mail log."""


@mail.command("ingest")
@click.argument("file", type=click.File("rb"), default="-")
@click.option("--tempfail", is_flag=True, help=_TEMPFAIL_HELP)
@pass_state
def ingest(state: CliState, file: BinaryIO, tempfail: bool) -> None:
    """Ingest one RFC 822 message from FILE, or from standard input when FILE is - or missing.

    Prints what happened (added to a ticket, ticket created, duplicate, rejected, malformed)
    and exits 0 for each of them.
    """
    raw = file.read()
    with _tempfail_on_database_errors(tempfail):
        result = state.helpdesk.mail.ingest(raw)
    click.echo(result.describe())


@mail.command("poll-maildir")
@click.argument(
    "directory", type=click.Path(exists=True, file_okay=False, resolve_path=True), metavar="DIR"
)
@click.option(
    "--delete", is_flag=True, help="Delete each message once handled (default: mark seen)."
)
@click.option("--tempfail", is_flag=True, help=_TEMPFAIL_HELP)
@pass_state
def poll_maildir(state: CliState, directory: str, delete: bool, tempfail: bool) -> None:
    """Ingest every message waiting in the Maildir DIR (its new/ folder), oldest first.

    Each handled message moves to cur/ marked seen (or is deleted with --delete); run it from
    cron or a timer. A database failure leaves the rest in new/ for the next run.
    """
    with _tempfail_on_database_errors(tempfail):
        handled = state.helpdesk.mail.poll_maildir(directory, delete=delete)
    for name, result in handled:
        click.echo(f"{name}: {result.describe()}")
    counts = Counter(result.status.value for _, result in handled)
    summary = ", ".join(f"{counts[s.value]} {s.value}" for s in InboundStatus if counts[s.value])
    click.echo(f"{len(handled)} message(s)" + (f": {summary}." if summary else "."))


@mail.command("list")
@click.option(
    "--status",
    type=click.Choice([s.value for s in InboundStatus]),
    help="Only entries with this outcome.",
)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@pass_state
def list_mail(state: CliState, status: str | None, limit: int) -> None:
    """Show the newest entries of the inbound mail log."""
    entries = state.helpdesk.mail.log(Actor.system(), status=status, limit=limit)
    rows = [
        (
            f"#{e.id}",
            e.received_at.strftime("%Y-%m-%d %H:%M"),
            e.status.value,
            e.track_id or "",
            _cut(e.sender or "", 40),
            _cut(e.reason or "", 70),
        )
        for e in entries
    ]
    headers = ("ID", "RECEIVED (UTC)", "STATUS", "TICKET", "SENDER", "REASON")
    cells = [list(headers), *([str(c) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    click.echo(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")


@mail.command("show")
@click.argument("inbound_id", type=int, metavar="ID")
@click.option("--raw", is_flag=True, help="Print the kept message itself, byte for byte.")
@pass_state
def show(state: CliState, inbound_id: int, raw: bool) -> None:
    """Show one entry of the inbound mail log (ID as printed by `ingest` and `list`)."""
    helpdesk = state.helpdesk
    if raw:
        content = helpdesk.mail.raw(Actor.system(), inbound_id)
        if content is None:
            raise click.ClickException(
                f"no message was kept for #{inbound_id} (only rejected and malformed mail is)"
            )
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
        return
    for label, value in _details(helpdesk.mail.entry(Actor.system(), inbound_id)):
        click.echo(f"{label + ':':<12}{value}")


def _details(entry: InboundMailEntry) -> list[tuple[str, str]]:
    kept = f"{entry.raw_size} bytes (show them with --raw)" if entry.raw_size else "nothing"
    return [
        ("Entry", f"#{entry.id}"),
        ("Received", entry.received_at.strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("Status", entry.status.value),
        ("Reason", entry.reason or ""),
        ("From", entry.sender or ""),
        ("Subject", entry.subject or ""),
        ("Message-ID", entry.email_message_id or ""),
        ("Ticket", entry.track_id or ""),
        ("Message", str(entry.message_id) if entry.message_id else ""),
        ("Kept", kept),
    ]


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@contextlib.contextmanager
def _tempfail_on_database_errors(enabled: bool) -> Iterator[None]:
    """With `--tempfail`, a database failure becomes one `Error:` line and exit status 75.

    Without it the error reaches the command's usual handler (one line, exit status 1).
    """
    try:
        yield
    except (sa_exc.DBAPIError, sa_exc.TimeoutError) as exc:
        if not enabled:
            raise
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["?"])[0]
        click.echo(
            f"Error: the message could not be recorded now ({reason}); exit {EX_TEMPFAIL}: "
            "the mail system should retry it later",
            err=True,
        )
        click.get_current_context().exit(EX_TEMPFAIL)
