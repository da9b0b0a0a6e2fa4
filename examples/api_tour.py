"""A tour of ticketcore's Python API, runnable as it is: `python examples/api_tour.py`.

It builds a throwaway support desk in a temporary directory and walks through what a host
site's own code does: accounts, teams, a ticket with a template, replies, an internal note,
permissions and lists. `tests/test_examples.py` runs it, so it stays true.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ticketcore import Actor, Helpdesk, InvalidInput, NotFound


def main(directory: Path) -> None:
    helpdesk = Helpdesk(
        database_url=f"sqlite:///{directory / 'support.db'}",
        attachments_dir=str(directory / "attachments"),
        load_entrypoints=False,
    )
    helpdesk.upgrade_database()
    system = Actor.system()

    ann = helpdesk.users.create(system, email="ann@example.com", display_name="Ann", role="agent")
    helpdesk.teams.create(system, name="Support", is_default=True, members=[ann.id])
    helpdesk.organizations.create(system, name="Acme", domains=["acme.example.com"])
    carol = helpdesk.users.create(system, email="carol@acme.example.com", display_name="Carol")
    dave = helpdesk.users.create(system, email="dave@acme.example.com", display_name="Dave")
    helpdesk.templates.create(
        system,
        name="Bug Report",
        fields=[
            {"key": "steps", "label": "Steps to reproduce", "type": "long_text", "required": True},
            {
                "key": "browser",
                "label": "Browser",
                "type": "select",
                "options": ["Firefox", "Chrome"],
            },
        ],
    )
    as_ann, as_carol, as_dave = (helpdesk.users.actor_for(u) for u in (ann, carol, dave))

    try:
        helpdesk.tickets.create(as_carol, subject="", body="Crash", template="bug-report")
    except InvalidInput as error:
        print("refused:", error.errors)

    ticket = helpdesk.tickets.create(
        as_carol,
        subject="The app crashes on save",
        body="It crashed **twice** today.",
        template="bug-report",
        custom_fields={"steps": "1. Open a file\n2. Save", "browser": "Firefox"},
    ).ticket
    print(f"opened #{ticket.number} {ticket.track_id}, assigned to {ticket.assignee.display_name}")

    helpdesk.messages.reply(as_ann, ticket.id, body="Which version?", status="pending")
    helpdesk.messages.add_note(as_ann, ticket.id, "Probably the autosave bug")
    print("carol waits on:", helpdesk.tickets.counts(as_carol).by_group["waiting_on_you"])
    helpdesk.messages.reply(as_carol, ticket.id, body="Version 2.3")
    print("after carol's answer:", helpdesk.tickets.get(as_ann, ticket.id).status.label)
    print(
        "carol sees",
        len(helpdesk.messages.thread(as_carol, ticket.id)),
        "messages;",
        "ann sees",
        len(helpdesk.messages.thread(as_ann, ticket.id)),
    )

    try:
        helpdesk.tickets.get(as_dave, ticket.id)
    except NotFound:
        print("dave (same company) cannot see it: organization_visibility is 'none'")

    for row in helpdesk.tickets.list(as_ann, sort="priority").items:
        print(f"  {row.track_id}  {row.status.label:<12} {row.subject}")
    helpdesk.close()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        main(Path(tmp))
