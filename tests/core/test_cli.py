"""The `ticketcore` console command, run in-process with click's CliRunner (and once for real).

Most tests hand the CLI a helpdesk of their own through `CliState`, the same door a host adapter
uses, so they can drive time with the fake clock; the end-to-end tests go through
`--database-url` like a site owner would.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine

from ticketcore import Actor, FakeClock, Helpdesk, Settings, Status
from ticketcore.cli import CliState, add_commands, main

SYSTEM = Actor.system()
# The commands read TICKETCORE_* settings; a developer's own environment must not leak in.
CLEAN_ENV = {f"TICKETCORE_{name.upper()}": None for name in Settings.model_fields}


def run(args: list[str], state: CliState | None = None, **kwargs: object) -> Result:
    # catch_exceptions=False: an unexpected exception must fail the test, not pass as exit 1.
    runner = CliRunner(env=CLEAN_ENV, catch_exceptions=False)
    return runner.invoke(main, args, obj=state, **kwargs)  # type: ignore[arg-type]


def assert_one_error_line(result: Result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert result.stdout == ""
    return lines[0]


# ------------------------------------------------------------------ end to end


@pytest.mark.empty_database
def test_upgrade_and_demo_data_then_the_api_agrees(database_url: str, tmp_path: Path) -> None:
    base = ["--database-url", database_url, "--attachments-dir", str(tmp_path / "files")]
    upgraded = run([*base, "db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert "(head)" in run([*base, "db", "current"]).stdout

    result = run([*base, "demo-data", "--tickets", "20"])
    assert result.exit_code == 0, result.output
    assert "admin@support.example.com" in result.stdout
    assert "demo-password" in result.stdout

    analyzed = run([*base, "db", "analyze"])  # after an import, the planner's statistics
    assert analyzed.exit_code == 0 and analyzed.stdout == "Statistics refreshed.\n"
    if database_url.startswith("sqlite"):  # SQLite keeps none until asked
        engine = create_engine(database_url)
        with engine.connect() as conn:
            indexes = conn.exec_driver_sql(
                "SELECT idx FROM sqlite_stat1 WHERE tbl = 'ticketcore_tickets'"
            ).scalars()
            assert "ix_ticketcore_tickets_requester_last_reply" in set(indexes)
        engine.dispose()

    with Helpdesk(
        Settings(database_url=database_url, attachments_dir=str(tmp_path / "files")),
        load_entrypoints=False,
    ) as hd:
        tickets = [
            hd.tickets.get(SYSTEM, t.id) for t in hd.tickets.list(SYSTEM, per_page=100).items
        ]
        assert len(tickets) == 20
        now = datetime.now(UTC)  # the demo ran on the real clock: the last month, nothing later
        assert all(now - timedelta(days=31) < t.created_at <= t.updated_at <= now for t in tickets)
        per_template = Counter(t.template_name or "(none)" for t in tickets)
        for name in ("Bug Report", "Feature Request", "General Question"):
            assert per_template[name] >= 1
        for name, number in per_template.items():  # the printed summary tells the truth
            assert re.search(rf"^\s+{re.escape(name)}\s+{number}$", result.stdout, re.M)
        bug = next(t for t in tickets if t.template_name == "Bug Report")
        assert bug.custom_fields["steps"] and bug.custom_fields["browser"]

        statuses = hd.tickets.counts(SYSTEM).by_status
        assert sum(1 for n in statuses.values() if n) >= 4, statuses

        noted = next(t for t in tickets if t.note_count)
        customer = hd.users.actor_for(noted.requester.id)
        seen_by_customer = hd.messages.thread(customer, noted.id)
        seen_by_staff = hd.messages.thread(SYSTEM, noted.id)
        assert not any(m.is_internal for m in seen_by_customer)
        assert len(seen_by_customer) == len(seen_by_staff) - noted.note_count

        assert hd.tickets.list(SYSTEM, kind="conversation").total >= 1
        assert any(t.cc for t in tickets)
        files = [
            a for t in tickets for m in hd.messages.thread(SYSTEM, t.id) for a in m.attachments
        ]
        assert files
        _, content = hd.attachments.get(SYSTEM, files[0].id)  # stored under --attachments-dir
        assert content
        assert (tmp_path / "files").is_dir()

    again = run([*base, "demo-data", "--tickets", "20"])
    assert "already has 20 ticket" in assert_one_error_line(again)
    with Helpdesk(Settings(database_url=database_url), load_entrypoints=False) as hd:
        assert hd.tickets.counts(SYSTEM).total == 20


def _installed_script() -> str:
    beside_python = Path(sys.executable).with_name("ticketcore")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("ticketcore")
    if found is None:
        pytest.fail("the ticketcore console script is not installed (pip install -e .)")
    return found


def test_installed_console_script(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETCORE_")}
    env["TICKETCORE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'desk.db'}"
    env["TICKETCORE_ATTACHMENTS_DIR"] = str(tmp_path / "files")
    script = _installed_script()

    def ticketcore(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [script, *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    upgraded = ticketcore("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    demo = ticketcore("demo-data", "--tickets", "5")
    assert demo.returncode == 0, demo.stderr
    assert "Traceback" not in demo.stderr
    for expected in ("admin@support.example.com", "carla@acme.example.com", "demo-password"):
        assert expected in demo.stdout, (demo.stdout, demo.stderr)


# ------------------------------------------------------------------ users, teams, organizations


def test_users_create_with_a_bad_email_writes_nothing(helpdesk: Helpdesk) -> None:
    result = run(
        ["users", "create", "--email", "carol@acme", "--name", "Carol"], CliState(helpdesk=helpdesk)
    )
    line = assert_one_error_line(result)
    assert line.startswith("Error: --email: ")
    assert helpdesk.users.find_by_email("carol@acme") is None


def test_users_create_with_an_unknown_team_writes_nothing(helpdesk: Helpdesk) -> None:
    result = run(
        [
            "users",
            "create",
            "--email",
            "ann@help.example.com",
            "--role",
            "agent",
            "--team",
            "unknown",
        ],
        CliState(helpdesk=helpdesk),
    )
    assert assert_one_error_line(result) == "Error: --team: unknown team 'unknown'"
    assert helpdesk.users.find_by_email("ann@help.example.com") is None


def test_users_create_reads_the_password_from_stdin(helpdesk: Helpdesk) -> None:
    state = CliState(helpdesk=helpdesk)
    assert run(["teams", "create", "--name", "Support", "--default"], state).exit_code == 0
    result = run(
        ["users", "create", "--email", "Ann@Help.example.com", "--name", "Ann", "--role", "agent",
         "--team", "support", "--password-stdin", "--external-id", "u-17"],
        state,
        input="a long secret\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Created agent Ann@help.example.com" in result.stdout
    user = helpdesk.users.authenticate("ann@help.example.com", "a long secret")
    assert user is not None and user.external_id == "u-17"
    assert helpdesk.teams.get("support").member_ids == [user.id]


def test_users_create_refuses_two_password_sources(helpdesk: Helpdesk) -> None:
    result = run(
        ["users", "create", "--email", "a@example.com", "--password", "x" * 10, "--password-stdin"],
        CliState(helpdesk=helpdesk),
    )
    assert result.exit_code == 2
    assert helpdesk.users.find_by_email("a@example.com") is None


def test_orgs_and_teams_create_and_new_tickets_are_assigned(helpdesk: Helpdesk) -> None:
    state = CliState(helpdesk=helpdesk)
    for email in ("ann@help.example.com", "bob@help.example.com"):
        assert run(["users", "create", "--email", email, "--role", "agent"], state).exit_code == 0
    team = run(
        ["teams", "create", "--name", "Support", "--default", "--member", "ann@help.example.com"],
        state,
    )
    assert team.exit_code == 0, team.output
    assert "the default team" in team.stdout
    org = run(
        ["orgs", "create", "--name", "Acme", "--domain", "acme.example.com",
         "--staff", "bob@help.example.com"],
        state,
    )  # fmt: skip
    assert org.exit_code == 0, org.output
    assert "slug acme" in org.stdout
    assert run(["users", "create", "--email", "carol@acme.example.com"], state).exit_code == 0
    assert run(["users", "create", "--email", "frank@mail.example.com"], state).exit_code == 0

    carol = helpdesk.users.find_by_email("carol@acme.example.com")
    frank = helpdesk.users.find_by_email("frank@mail.example.com")
    assert carol is not None and frank is not None
    assert carol.organization_id == helpdesk.organizations.get("acme").id  # by email domain
    by_frank = helpdesk.tickets.create(helpdesk.users.actor_for(frank), subject="Hi", body="Help")
    assert by_frank.ticket.team_name == "Support"  # the default team, round-robin inside it
    assert by_frank.ticket.assignee is not None
    assert by_frank.ticket.assignee.display_name == "ann"
    by_carol = helpdesk.tickets.create(helpdesk.users.actor_for(carol), subject="Hi", body="Help")
    assert by_carol.ticket.assignee is not None
    assert by_carol.ticket.assignee.display_name == "bob"  # the organization's staff first

    listed = run(["teams", "list"], state).stdout
    assert re.search(r"^support\s+Support\s+yes\s+1$", listed, re.M), listed
    listed = run(["orgs", "list"], state).stdout
    assert re.search(r"^acme\s+Acme\s+acme\.example\.com\s+1$", listed, re.M), listed


def test_orgs_create_names_the_option_in_errors(helpdesk: Helpdesk) -> None:
    result = run(
        ["orgs", "create", "--name", "Acme", "--domain", "not a domain"],
        CliState(helpdesk=helpdesk),
    )
    assert assert_one_error_line(result).startswith("Error: --domain: ")
    result = run(
        ["teams", "create", "--name", "Support", "--member", "nobody@example.com"],
        CliState(helpdesk=helpdesk),
    )
    assert assert_one_error_line(result).startswith("Error: --member: ")
    assert helpdesk.teams.list() == []


# ------------------------------------------------------------------ jobs


def test_tickets_auto_close_closes_what_was_resolved_8_days_ago(
    helpdesk: Helpdesk, clock: FakeClock
) -> None:
    customer = helpdesk.users.create(SYSTEM, email="carol@acme.example.com")
    actor = helpdesk.users.actor_for(customer)
    old = helpdesk.tickets.create(actor, subject="Old", body="Fixed long ago").ticket
    recent = helpdesk.tickets.create(actor, subject="Recent", body="Fixed lately").ticket
    helpdesk.tickets.close(SYSTEM, old.id, resolved=True)
    clock.advance(days=6)
    helpdesk.tickets.close(SYSTEM, recent.id, resolved=True)
    clock.advance(days=2)

    result = run(["tickets", "auto-close"], CliState(helpdesk=helpdesk))

    assert result.exit_code == 0, result.output
    assert result.stdout == "Closed 1 ticket(s) resolved more than 7 day(s) ago.\n"
    assert helpdesk.tickets.get(SYSTEM, old.id).status is Status.CLOSED
    assert helpdesk.tickets.get(SYSTEM, recent.id).status is Status.RESOLVED
    assert helpdesk.clock is clock


# ------------------------------------------------------------------ databases that are not ready


@pytest.mark.empty_database
@pytest.mark.parametrize(
    "args",
    [
        ["users", "create", "--email", "carol@acme.example.com"],
        ["tickets", "auto-close"],
        ["demo-data", "--tickets", "1"],
    ],
)
def test_a_database_without_tables_gives_one_line(database_url: str, args: list[str]) -> None:
    result = run(["--database-url", database_url, *args])
    assert "run `ticketcore db upgrade` first" in assert_one_error_line(result)


def test_an_unreachable_database_gives_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no-such-dir' / 'desk.db'}"
    result = run(["--database-url", url, "db", "upgrade"])
    assert "cannot reach the database" in assert_one_error_line(result)


def test_a_malformed_url_and_a_bad_setting_give_one_line(tmp_path: Path) -> None:
    assert "--database-url" in assert_one_error_line(
        run(["--database-url", "nonsense", "db", "current"])
    )
    runner = CliRunner(
        env={**CLEAN_ENV, "TICKETCORE_AUTO_CLOSE_DAYS": "-1"}, catch_exceptions=False
    )
    result = runner.invoke(
        main, ["--database-url", f"sqlite:///{tmp_path / 'x.db'}", "tickets", "auto-close"]
    )
    assert assert_one_error_line(result).startswith("Error: TICKETCORE_AUTO_CLOSE_DAYS: ")


def test_help_never_opens_the_database(tmp_path: Path) -> None:
    database = tmp_path / "desk.db"
    for args in (["--help"], ["db", "--help"], ["users", "create", "--help"]):
        result = run(["--database-url", f"sqlite:///{database}", *args])
        assert result.exit_code == 0, result.output
    assert not database.exists()


# ------------------------------------------------------------------ reuse by a host


def test_a_host_group_reuses_the_commands_with_its_own_helpdesk(
    helpdesk: Helpdesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[bool] = []
    monkeypatch.setattr(helpdesk, "close", lambda: closed.append(True))

    @click.group()
    @click.pass_context
    def host(ctx: click.Context) -> None:
        ctx.obj = CliState(helpdesk=helpdesk)

    add_commands(host)
    runner = CliRunner(env=CLEAN_ENV, catch_exceptions=False)
    created = runner.invoke(host, ["teams", "create", "--name", "Support", "--default"])
    assert created.exit_code == 0, created.output
    assert [t.slug for t in helpdesk.teams.list()] == ["support"]
    failed = runner.invoke(host, ["users", "create", "--email", "x@", "--role", "agent"])
    assert assert_one_error_line(failed).startswith("Error: --email: ")
    assert run(["teams", "list"], CliState(helpdesk=helpdesk)).exit_code == 0
    assert closed == []  # a helpdesk the caller passed in stays the caller's to close


def test_tickets_list_shows_what_each_person_may_see(helpdesk: Helpdesk) -> None:
    from cast_of_users import build_cast

    cast = build_cast(helpdesk)
    helpdesk.tickets.create(cast.carol_actor, subject="Carol's printer", body="b")
    helpdesk.tickets.create(cast.erin_actor, subject="Erin's invoice", body="b", team="billing")
    state = CliState(helpdesk=helpdesk)

    everyone = run(["tickets", "list"], state)
    assert everyone.exit_code == 0, everyone.output
    assert "Carol's printer" in everyone.output and "Erin's invoice" in everyone.output
    assert "2 of 2 ticket(s)" in everyone.output

    carol = run(["tickets", "list", "--as", "carol@acme.example.com"], state)
    assert "Carol's printer" in carol.output and "Erin's invoice" not in carol.output
    assert "1 of 1 ticket(s)" in carol.output

    nobody = run(["tickets", "list", "--as", "nobody@example.com"], state)
    assert nobody.exit_code == 1
    assert nobody.stderr.strip() == "Error: --as: no user 'nobody@example.com'"


def test_sla_check_and_policies(helpdesk: Helpdesk) -> None:
    from cast_of_users import build_cast

    cast = build_cast(helpdesk)
    helpdesk.sla.create_policy(
        SYSTEM, name="Quick", team="support", first_response_minutes=15, resolution_minutes=60
    )
    helpdesk.sla.create_policy(SYSTEM, name="Standard", first_response_minutes=240, is_default=True)
    helpdesk.tickets.create(cast.carol_actor, subject="Late one", body="b")
    state = CliState(helpdesk=helpdesk)

    listed = run(["sla", "policies"], state)
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert lines[1].split()[:2] == ["Quick", "10"] and "Support" in lines[1]
    assert lines[2].split()[:2] == ["Standard", "default"]

    assert run(["sla", "check"], state).stdout.strip() == (
        "Checked 1 ticket(s): 0 newly at risk, 0 newly breached."
    )
    helpdesk.clock.advance(minutes=16)  # type: ignore[attr-defined]
    assert run(["sla", "check"], state).stdout.strip() == (
        "Checked 1 ticket(s): 0 newly at risk, 1 newly breached."
    )
    assert run(["sla", "check"], state).stdout.strip() == (
        "Checked 1 ticket(s): 0 newly at risk, 0 newly breached."
    )
    assert "breached" in run(["tickets", "list"], state).stdout
