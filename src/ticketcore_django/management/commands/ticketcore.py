"""`manage.py ticketcore …`: the `ticketcore` command's subcommands (outbox run, sla check, mail
ingest, demo-data, users, …) on this site's helpdesk, so nothing needs configuring twice."""

from __future__ import annotations

import argparse
import os
from typing import Any

import click
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ticketcore.cli import CliState, add_commands
from ticketcore_django import get_helpdesk


class Command(BaseCommand):
    help = "Run and maintain the support desk (the subcommands of the `ticketcore` command)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("args", nargs=argparse.REMAINDER, help="a ticketcore subcommand")

    def run_from_argv(self, argv: list[str]) -> None:
        """From the shell click does the parsing, the help and the exit status itself."""
        prog = f"{os.path.basename(argv[0])} {argv[1]}"
        _group().main(args=argv[2:], prog_name=prog, obj=CliState(helpdesk=get_helpdesk()))

    def handle(self, *args: str, **options: Any) -> None:
        """`call_command("ticketcore", "sla", "check")`: errors become `CommandError`."""
        try:
            _group().main(
                args=list(args),
                prog_name="manage.py ticketcore",
                obj=CliState(helpdesk=get_helpdesk()),
                standalone_mode=False,
            )
        except click.ClickException as exc:
            raise CommandError(exc.format_message()) from exc


def _group() -> click.Group:
    group = click.Group("ticketcore", help=Command.help)
    add_commands(group)
    return group
