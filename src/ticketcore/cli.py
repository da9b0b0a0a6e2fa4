"""The `ticketcore` console command: set up the database, create people, load demo data, run jobs.

It exists so a site owner can run a helpdesk without writing Python for the chores, and so the
Flask and Django adapters can offer the same chores under their own command without copying
any of it.

Every subcommand gets its `Helpdesk` from the `CliState` on the click context, built on first
use (so `ticketcore --help` never touches a database). A host adapter reuses the commands by
putting its own, already configured helpdesk into that state::

    import click
    from flask import current_app
    from flask.cli import with_appcontext
    from ticketcore.cli import CliState, add_commands

    @click.group("ticketcore")
    @with_appcontext
    @click.pass_context
    def ticketcore_group(ctx: click.Context) -> None:
        ctx.obj = CliState(helpdesk=current_app.extensions["ticketcore"].helpdesk)

    add_commands(ticketcore_group)          # flask ticketcore db upgrade, users create, …

The commands look the state up with `ctx.find_object(CliState)`, so the host's own context object
(Flask's `ScriptInfo`) further up does not get in the way, and a helpdesk the host passed in is
never closed by us. Tests use the same door: `CliRunner().invoke(main, [...], obj=CliState(
helpdesk=helpdesk_with_a_fake_clock))`.

Failures a user can fix (`TicketcoreError`, an unreachable database, missing tables) are printed
as one `Error: …` line on stderr with exit status 1, never as a traceback.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

import click
from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect

from . import __version__
from .errors import InvalidInput, TicketcoreError
from .helpdesk import Helpdesk
from .permissions import Actor
from .settings import Settings

__all__ = ["CliState", "add_commands", "main"]


class CliState:
    """Where the commands get their helpdesk: one given by a host, or one built on first use.

    `helpdesk`: an already configured helpdesk (host adapters, tests); it is used as is and
    never closed here. Otherwise the helpdesk is built from `Settings.from_env(...)` with
    `database_url` and `attachments_dir` as overrides, and closed when the command ends.
    """

    def __init__(
        self,
        *,
        helpdesk: Helpdesk | None = None,
        database_url: str | None = None,
        attachments_dir: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._helpdesk = helpdesk
        self._owned = helpdesk is None
        self.database_url = database_url
        self.attachments_dir = attachments_dir
        self.environ = environ

    @property
    def helpdesk(self) -> Helpdesk:
        if self._helpdesk is None:
            self._helpdesk = Helpdesk(self.settings)
        return self._helpdesk

    @property
    def settings(self) -> Settings:
        """The helpdesk's settings, without building the helpdesk when there is none yet (a
        command that only hands them to worker processes opens no database itself)."""
        if self._helpdesk is not None:
            return self._helpdesk.settings
        overrides = {
            k: v
            for k, v in (
                ("database_url", self.database_url),
                ("attachments_dir", self.attachments_dir),
            )
            if v
        }
        return Settings.from_env(self.environ, **overrides)

    @property
    def has_helpdesk(self) -> bool:
        return self._helpdesk is not None

    def close(self) -> None:
        if self._owned and self._helpdesk is not None:
            self._helpdesk.close()
            self._helpdesk = None


pass_state = click.make_pass_decorator(CliState, ensure=True)


# ------------------------------------------------------------------ one-line errors


class TicketcoreCommand(click.Command):
    """A command that reports expected failures as one `Error:` line and exit status 1.

    `options` maps service field names to the option that feeds them (`display_name` →
    `--name`), so `InvalidInput` names what the user typed. The handling travels with the
    command, so it works the same under a host's group.
    """

    def __init__(self, *args: Any, options: Mapping[str, str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.options = dict(options or {})

    def invoke(self, ctx: click.Context) -> Any:
        with _one_line_errors(ctx, self):
            return super().invoke(ctx)

    def option_for(self, field: str) -> str:
        if field in self.options:
            return self.options[field]
        for param in self.params:
            if param.name == field and isinstance(param, click.Option):
                return next((o for o in param.opts if o.startswith("--")), param.opts[0])
        return field


class TicketcoreGroup(click.Group):
    command_class = TicketcoreCommand
    group_class: type[click.Group | type] | None = type  # subgroups are TicketcoreGroups too


@contextlib.contextmanager
def _one_line_errors(ctx: click.Context, command: TicketcoreCommand) -> Iterator[None]:
    try:
        yield
    except InvalidInput as exc:
        parts = []
        for field, messages in exc.errors.items():
            text = "; ".join(messages)
            parts.append(f"{command.option_for(field)}: {text}" if field else text)
        raise click.ClickException(_one_line(" | ".join(parts))) from None
    except TicketcoreError as exc:
        raise click.ClickException(_one_line(str(exc))) from None
    except sa_exc.DBAPIError as exc:
        raise click.ClickException(_one_line(_database_problem(ctx, exc))) from None
    except sa_exc.ArgumentError as exc:  # a malformed URL or an unknown database driver
        raise click.ClickException(_one_line(f"--database-url: {exc}")) from None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _database_problem(ctx: click.Context, exc: sa_exc.DBAPIError) -> str:
    """Say whether the database is unreachable, empty, or refused this one statement."""
    reason = (str(exc.orig).strip().splitlines() or [exc.__class__.__name__])[0]
    state = ctx.find_object(CliState)
    if state is None or not state.has_helpdesk:
        return f"database error: {reason}"
    engine = state.helpdesk.engine
    where = engine.url.render_as_string(hide_password=True)
    try:
        has_tables = inspect(engine).has_table("ticketcore_tickets")
    except sa_exc.DBAPIError:
        return (
            f"cannot reach the database at {where} ({reason}); check --database-url or "
            "TICKETCORE_DATABASE_URL"
        )
    if not has_tables:
        return (
            f"the database at {where} has no ticketcore tables: run `ticketcore db upgrade` first"
        )
    return (
        f"the database refused the command ({reason}); if ticketcore was just updated, "
        "run `ticketcore db upgrade`"
    )


# ------------------------------------------------------------------ the command


class _MainGroup(TicketcoreGroup):
    """`ticketcore` itself: the mail groups live beside the mail code and import this module,
    so they are loaded on first use rather than imported here (no import cycle)."""

    group_class = TicketcoreGroup  # subgroups must not list the lazy groups as their own

    lazy: ClassVar[dict[str, tuple[str, str]]] = {
        "mail": ("ticketcore.notify.cli_mail", "mail"),
        "outbox": ("ticketcore.notify.cli_outbox", "outbox"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, name = self.lazy[cmd_name]
            self.add_command(getattr(importlib.import_module(module), name))
        return super().get_command(ctx, cmd_name)


@click.group(cls=_MainGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--database-url",
    envvar="TICKETCORE_DATABASE_URL",
    metavar="URL",
    help="SQLAlchemy URL of the database [env: TICKETCORE_DATABASE_URL; "
    "default: sqlite:///ticketcore.db].",
)
@click.option(
    "--attachments-dir",
    envvar="TICKETCORE_ATTACHMENTS_DIR",
    metavar="DIR",
    help="Where attachment files are kept [env: TICKETCORE_ATTACHMENTS_DIR].",
)
@click.version_option(__version__, prog_name="ticketcore")
@click.pass_context
def main(ctx: click.Context, database_url: str | None, attachments_dir: str | None) -> None:
    """Run and maintain a ticketcore helpdesk.

    Other settings come from TICKETCORE_* environment variables (see docs/settings.md).
    """
    state = ctx.obj if isinstance(ctx.obj, CliState) else None
    if state is None:
        ctx.obj = state = CliState(database_url=database_url, attachments_dir=attachments_dir)
    elif not state.has_helpdesk:  # a caller's state without a helpdesk: options still apply
        state.database_url = state.database_url or database_url
        state.attachments_dir = state.attachments_dir or attachments_dir
    ctx.call_on_close(state.close)


def add_commands(group: click.Group) -> None:
    """Attach every `ticketcore` subcommand to a host's click group (see the module docstring)."""
    ctx = click.Context(main)
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        if command is not None:
            group.add_command(command)


def _out(text: str = "") -> None:
    click.echo(text)


def _table(rows: Sequence[Sequence[object]], headers: Sequence[str]) -> None:
    cells = [[str(c) for c in headers], *([str(c) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        _out("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


# ------------------------------------------------------------------ db


@main.group()
def db() -> None:
    """Create and migrate ticketcore's tables."""


@db.command()
@pass_state
def upgrade(state: CliState) -> None:
    """Create or migrate the tables to the newest revision (safe to run on every deploy)."""
    from . import migrate

    helpdesk = state.helpdesk
    helpdesk.upgrade_database()
    where = helpdesk.engine.url.render_as_string(hide_password=True)
    _out(f"Database {where} is at revision {migrate.current(helpdesk.engine)} (newest).")


@db.command()
@pass_state
def analyze(state: CliState) -> None:
    """Refresh the database's statistics (after an import; on SQLite, weekly from cron)."""
    from .db import analyze as refresh_statistics

    refresh_statistics(state.helpdesk.engine)
    _out("Statistics refreshed.")


@db.command()
@pass_state
def current(state: CliState) -> None:
    """Print the revision the database is at."""
    from . import migrate

    revision = migrate.current(state.helpdesk.engine)
    heads = migrate.heads()
    if revision is None:
        _out("none (no ticketcore tables yet: run `ticketcore db upgrade`)")
    elif revision in heads:
        _out(f"{revision} (head)")
    else:
        _out(f"{revision} (newest is {', '.join(heads)}: run `ticketcore db upgrade`)")


# ------------------------------------------------------------------ users


@main.group()
def users() -> None:
    """Customers, agents and admins."""


@users.command(
    "create",
    options={"display_name": "--name", "teams": "--team", "password": "--password"},
)
@click.option("--email", required=True, help="Login and contact address.")
@click.option("--name", "display_name", default="", help="Display name (default: from the email).")
@click.option(
    "--role",
    type=click.Choice(["customer", "agent", "admin"]),
    default="customer",
    show_default=True,
)
@click.option("--password", help="Password (visible in shell history; prefer --password-stdin).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first stdin line.")
@click.option(
    "--organization",
    metavar="SLUG",
    help="Organization slug or id (default: the one listing the email's domain).",
)
@click.option(
    "--team", "teams", metavar="SLUG", multiple=True, help="Team slug or id (repeatable; staff)."
)
@click.option("--external-id", help="The host site's id for this user.")
@pass_state
def create_user(
    state: CliState,
    email: str,
    display_name: str,
    role: str,
    password: str | None,
    password_stdin: bool,
    organization: str | None,
    teams: tuple[str, ...],
    external_id: str | None,
) -> None:
    """Create an account. Without a password the user cannot log in until one is set."""
    if password is not None and password_stdin:
        raise click.UsageError("give --password or --password-stdin, not both")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    helpdesk = state.helpdesk
    user = helpdesk.users.create(
        Actor.system(),
        email=email,
        display_name=display_name,
        role=role,
        password=password,
        organization=organization,
        teams=list(teams),
        external_id=external_id,
    )
    details = []
    if user.organization_id is not None:
        details.append(f"organization {helpdesk.organizations.get(user.organization_id).name}")
    if teams:
        details.append("teams " + ", ".join(teams))
    if not password:
        details.append("no password")
    suffix = f" ({'; '.join(details)})" if details else ""
    _out(f"Created {user.role} {user.email} with id {user.id}{suffix}.")


# ------------------------------------------------------------------ organizations


@main.group()
def orgs() -> None:
    """Customer organizations."""


@orgs.command("create", options={"domains": "--domain"})
@click.option("--name", required=True, help="The organization's name.")
@click.option(
    "--domain",
    "domains",
    multiple=True,
    help="Email domain whose new customers join it (repeatable).",
)
@click.option(
    "--staff",
    multiple=True,
    metavar="EMAIL",
    help="Agent assigned to its tickets, first one first (repeatable).",
)
@pass_state
def create_org(
    state: CliState, name: str, domains: tuple[str, ...], staff: tuple[str, ...]
) -> None:
    """Create an organization."""
    org = state.helpdesk.organizations.create(
        Actor.system(), name=name, domains=list(domains), staff=list(staff)
    )
    _out(f"Created organization {org.name} (slug {org.slug}, id {org.id}).")


@orgs.command("list")
@pass_state
def list_orgs(state: CliState) -> None:
    """List the organizations."""
    rows = [
        (o.slug, o.name, ", ".join(o.domains) or "-", len(o.staff_ids))
        for o in state.helpdesk.organizations.list()
    ]
    _table(rows, ("SLUG", "NAME", "DOMAINS", "STAFF"))


# ------------------------------------------------------------------ teams


@main.group()
def teams() -> None:
    """Teams (departments) of agents."""


@teams.command("create", options={"is_default": "--default", "members": "--member"})
@click.option("--name", required=True, help="The team's name.")
@click.option("--default", "is_default", is_flag=True, help="New tickets go here by default.")
@click.option("--member", "members", multiple=True, metavar="EMAIL", help="Agent (repeatable).")
@pass_state
def create_team(state: CliState, name: str, is_default: bool, members: tuple[str, ...]) -> None:
    """Create a team."""
    team = state.helpdesk.teams.create(
        Actor.system(), name=name, is_default=is_default, members=list(members)
    )
    default = ", the default team" if team.is_default else ""
    _out(
        f"Created team {team.name} (slug {team.slug}, id {team.id}{default}) "
        f"with {len(team.member_ids)} member(s)."
    )


@teams.command("list")
@pass_state
def list_teams(state: CliState) -> None:
    """List the teams."""
    rows = [
        (t.slug, t.name, "yes" if t.is_default else "", len(t.member_ids))
        for t in state.helpdesk.teams.list()
    ]
    _table(rows, ("SLUG", "NAME", "DEFAULT", "MEMBERS"))


# ------------------------------------------------------------------ tickets


@main.group()
def tickets() -> None:
    """Ticket maintenance jobs."""


@tickets.command("auto-close")
@pass_state
def auto_close(state: CliState) -> None:
    """Close tickets resolved more than TICKETCORE_AUTO_CLOSE_DAYS ago (run it daily)."""
    helpdesk = state.helpdesk
    days = helpdesk.settings.auto_close_days
    if days == 0:
        _out("Auto-close is switched off (TICKETCORE_AUTO_CLOSE_DAYS=0); nothing closed.")
        return
    closed = helpdesk.tickets.auto_close()
    _out(f"Closed {closed} ticket(s) resolved more than {days} day(s) ago.")


@tickets.command("list", options={"status_group": "--status-group"})
@click.option("--as", "as_email", metavar="EMAIL", help="List as this user sees it (default: all).")
@click.option(
    "--status-group",
    type=click.Choice(["active", "waiting_on_you", "closed"]),
    help="Only tickets in this customer-facing group.",
)
@click.option("--text", default="", help="Search subject, track ID or number.")
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True)
@pass_state
def list_tickets(
    state: CliState, as_email: str | None, status_group: str | None, text: str, limit: int
) -> None:
    """Show tickets, newest reply first, optionally as one user is allowed to see them."""
    helpdesk = state.helpdesk
    actor = Actor.system()
    if as_email:
        user = helpdesk.users.find_by_email(as_email)
        if user is None:
            raise InvalidInput(f"no user {as_email!r}", field="as_email")
        actor = helpdesk.users.actor_for(user)
    page = helpdesk.tickets.list(actor, status_group=status_group, text=text, per_page=limit)
    _table(
        [
            (
                t.track_id,
                f"#{t.number}",
                t.status.label,
                t.priority.label,
                t.team_name or "",
                t.assignee.display_name if t.assignee else "",
                (t.sla_state or "").replace("_", " "),
                t.subject[:50],
            )
            for t in page.items
        ],
        ("TRACK ID", "NO.", "STATUS", "PRIORITY", "TEAM", "ASSIGNEE", "SLA", "SUBJECT"),
    )
    _out(f"{len(page.items)} of {page.total} ticket(s)")


@main.group()
def sla() -> None:
    """Service-level agreements: the periodic check and the policies."""


@sla.command("check")
@pass_state
def sla_check(state: CliState) -> None:
    """Mark tickets at risk or breached and warn once per ticket and target (run it every minute)."""
    result = state.helpdesk.sla.check()
    _out(
        f"Checked {result.checked} ticket(s): {result.at_risk} newly at risk, "
        f"{result.breached} newly breached."
    )


@sla.command("policies")
@pass_state
def sla_policies(state: CliState) -> None:
    """List the SLA policies in the order they are matched (the default last)."""
    helpdesk = state.helpdesk
    teams = {t.id: t.name for t in helpdesk.teams.list()}
    orgs = helpdesk.organizations.names()
    _table(
        [
            (
                p.name,
                "default" if p.is_default else p.position,
                p.priority.label if p.priority else "",
                teams.get(p.team_id, "") if p.team_id else "",
                orgs.get(p.organization_id, "") if p.organization_id else "",
                _minutes(p.first_response_minutes),
                _minutes(p.resolution_minutes),
            )
            for p in helpdesk.sla.policies()
        ],
        ("POLICY", "ORDER", "PRIORITY", "TEAM", "ORGANIZATION", "RESPONSE", "RESOLUTION"),
    )


def _minutes(value: int | None) -> str:
    return "" if value is None else f"{value} min"


# ------------------------------------------------------------------ keys


@main.group()
def keys() -> None:
    """Generate secret keys for settings."""


@keys.command("secure-data")
def secure_data_key() -> None:
    """Print a new key for TICKETCORE_SECURE_DATA_KEY (keep it secret and never lose it)."""
    from cryptography.fernet import Fernet

    _out(Fernet.generate_key().decode("ascii"))


# ------------------------------------------------------------------ demo data


@main.command("demo-data")
@click.option(
    "--tickets",
    "ticket_count",
    type=click.IntRange(0, 10_000),
    default=50,
    show_default=True,
    help="How many tickets to create.",
)
@click.option(
    "--scale",
    "scale_count",
    type=click.IntRange(1, 10_000_000),
    default=None,
    help="Instead: load this many tickets over two years, written in bulk, to measure "
    "performance at scale (2,000 customers, 20 agents).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same data.")
@pass_state
def demo_data(state: CliState, ticket_count: int, scale_count: int | None, seed: int) -> None:
    """Fill an empty helpdesk with staff, customers and ticket threads to try it out."""
    from .demo import DEMO_PASSWORD, load_demo_data

    if scale_count is not None:
        _scale_data(state, scale_count, seed)
        return

    summary = load_demo_data(state.helpdesk, tickets=ticket_count, seed=seed)
    counts = summary.counts
    _out("Demo data loaded:")
    for key, label in [
        ("users", "users"),
        ("teams", "teams"),
        ("organizations", "organizations"),
        ("templates", "ticket templates"),
        ("tickets", "tickets"),
        ("messages", "messages"),
        ("internal_notes", "internal notes"),
        ("attachments", "attachments"),
        ("cc", "copied addresses"),
        ("sla policies", "SLA policies"),
        ("kb_articles", "help articles"),
    ]:
        _out(f"  {label:<20}{counts.get(key, 0):>5}")
    _out("Tickets by status:")
    for status, number in summary.tickets_by_status.items():
        _out(f"  {status.replace('_', ' '):<20}{number:>5}")
    _out("Tickets by template:")
    for name, number in summary.tickets_by_template.items():
        _out(f"  {name:<20}{number:>5}")
    _out(f"Conversations started by staff: {summary.conversations}")
    _out(f"Logins (every password is {DEMO_PASSWORD}):")
    _table(
        [
            (login.email, login.role, login.display_name, login.organization or "")
            for login in summary.logins
        ],
        ("EMAIL", "ROLE", "NAME", "ORGANIZATION"),
    )


def _scale_data(state: CliState, tickets: int, seed: int) -> None:
    import time

    from .demo import DEMO_PASSWORD
    from .scale import load_scale_data

    started = time.perf_counter()
    summary = load_scale_data(state.helpdesk, tickets, seed=seed, progress=True)
    took = time.perf_counter() - started
    _out(f"Scale data loaded in {took:.1f} s:")
    for key, number in summary.counts.items():
        _out(f"  {key.replace('_', ' '):<20}{number:>9,}")
    _out("Tickets by status:")
    for status, number in summary.tickets_by_status.items():
        _out(f"  {status.replace('_', ' '):<20}{number:>9,}")
    _out(f"Staff logins (password {DEMO_PASSWORD}): {summary.logins[0]}, {summary.logins[1]}, …")


if __name__ == "__main__":  # pragma: no cover
    main()
