"""The webhook example plugin, installed as a site installs it, posting to a real HTTP server.

`examples/webhook_plugin` is the worked example of docs/plugins/writing.md, so these tests keep
the page true: the plugin is found through its `ticketcore` entry point, events arrive as
signed JSON, internal notes stay inside, a broken receiver never breaks the person's request,
and `TICKETCORE_DISABLE_PLUGINS` keeps it out.

The package must be installed (`pip install -e examples/webhook_plugin`). The plugin never
touches the database, so one SQLite file is enough; the database matrix is tested elsewhere.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any, cast

import pytest

from ticketcore import Actor, FakeClock, Helpdesk, Settings

URL_ENV = "TICKETCORE_WEBHOOK_URL"
SECRET = "correct horse battery staple"
TOKEN = "t0ken-in-the-path"  # receivers often put a secret in the URL: it must not be logged


# ---------------------------------------------------------------- a receiver


@dataclass(frozen=True)
class Delivery:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def event(self) -> str:
        return str(self.json["event"])


class Receiver(HTTPServer):
    """An HTTP server on 127.0.0.1 that records every POST and answers `status`."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.status = 200
        self.deliveries: list[Delivery] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/{TOKEN}"

    def events(self) -> list[str]:
        with self.lock:
            return [d.event for d in self.deliveries]


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        receiver = cast(Receiver, self.server)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {name.lower(): value for name, value in self.headers.items()}
        with receiver.lock:  # recorded before answering, so the sender's request sees it
            receiver.deliveries.append(Delivery(self.path, headers, body))
        self.send_response(receiver.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the test output quiet


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ---------------------------------------------------------------- helpdesks with the plugin


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither the developer's shell nor another test decides what these tests see."""
    for name in (
        "TICKETCORE_DISABLE_PLUGINS",
        URL_ENV,
        "TICKETCORE_WEBHOOK_SECRET",
        "TICKETCORE_WEBHOOK_TIMEOUT",
        "TICKETCORE_WEBHOOK_INCLUDE_NOTES",
    ):
        monkeypatch.delenv(name, raising=False)
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def installed() -> ModuleType:
    """The plugin module, as its entry point names it."""
    found = [ep for ep in entry_points(group="ticketcore") if ep.name == "webhook"]
    if not found:
        pytest.fail("install the example first: .venv/bin/pip install -e examples/webhook_plugin")
    module = found[0].load()
    assert isinstance(module, ModuleType)
    return module


@pytest.fixture
def make_helpdesk(tmp_path: Path, clock: FakeClock) -> Iterator[Callable[..., Helpdesk]]:
    """Helpdesks that load installed plugins, as `Helpdesk()` does on a real site
    (`ticketcore.testing.make_helpdesk` deliberately does not)."""
    made: list[Helpdesk] = []

    def make(**settings: Any) -> Helpdesk:
        helpdesk = Helpdesk(
            Settings(
                database_url=f"sqlite:///{tmp_path / 'ticketcore.db'}",
                attachments_dir=str(tmp_path / "attachments"),
                **settings,
            ),
            clock=clock,
            load_entrypoints=True,
        )
        made.append(helpdesk)
        helpdesk.create_tables()
        return helpdesk

    yield make
    for helpdesk in made:
        helpdesk.close()


def people(helpdesk: Helpdesk) -> SimpleNamespace:
    """Agent Ann in the default Support team, customer Carol, and their actors."""
    system = Actor.system()
    ann = helpdesk.users.create(
        system, email="ann@help.example.com", display_name="Ann", role="agent"
    )
    helpdesk.teams.create(system, name="Support", is_default=True, members=[ann.id])
    carol = helpdesk.users.create(system, email="carol@acme.example.com", display_name="Carol")
    return SimpleNamespace(
        ann=ann,
        carol=carol,
        ann_actor=helpdesk.users.actor_for(ann),
        carol_actor=helpdesk.users.actor_for(carol),
    )


def signature_of(body: bytes) -> str:
    """Computed here, not with the plugin's own `sign`, so a wrong signature cannot agree."""
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- (a) installed, events arrive


def test_installed_through_its_entry_point_it_posts_every_event_signed(
    installed: ModuleType,
    make_helpdesk: Callable[..., Helpdesk],
    receiver: Receiver,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(URL_ENV, receiver.url)
    monkeypatch.setenv("TICKETCORE_WEBHOOK_SECRET", SECRET)
    helpdesk = make_helpdesk()
    assert helpdesk.plugins.get_plugin("webhook") is installed
    assert ("webhook", installed) in helpdesk.plugins.list_name_plugin()
    users = people(helpdesk)

    ticket = helpdesk.tickets.create(users.carol_actor, subject="VPN down", body="Since 9am").ticket
    assert receiver.events() == ["ticket_created", "ticket_assigned"]
    created = receiver.deliveries[0]
    assert created.path == f"/hooks/{TOKEN}"
    assert created.headers["content-type"] == "application/json; charset=utf-8"
    assert created.headers["x-ticketcore-event"] == "ticket_created"
    assert created.headers["x-ticketcore-signature"] == signature_of(created.body)
    payload = created.json
    assert payload["delivery"] == created.headers["x-ticketcore-delivery"]
    assert payload["sent_at"] == clock.now().isoformat()
    assert {k: payload["ticket"][k] for k in ("id", "track_id", "number", "subject")} == {
        "id": ticket.id,
        "track_id": ticket.track_id,
        "number": 1,
        "subject": "VPN down",
    }
    assert payload["ticket"]["status"] == "open"
    assert payload["ticket"]["priority"] == "normal"
    assert payload["ticket"]["team"] == "Support"
    assert payload["ticket"]["requester"] == {
        "id": users.carol.id,
        "display_name": "Carol",
        "email": "carol@acme.example.com",
    }
    assert payload["ticket"]["assignee"]["id"] == users.ann.id
    assert payload["ticket"]["created_at"] == clock.now().isoformat()
    assigned = receiver.deliveries[1].json
    assert assigned["assignee_id"] == users.ann.id
    assert assigned["actor"] == {"kind": "customer", "user_id": users.carol.id}

    clock.advance(minutes=10)
    helpdesk.messages.reply(users.ann_actor, ticket.id, body="Restart it", status="pending")
    helpdesk.tickets.close(users.ann_actor, ticket.id)
    helpdesk.messages.reply(users.carol_actor, ticket.id, body="It broke again")

    assert receiver.events() == [
        "ticket_created",
        "ticket_assigned",
        "message_posted",  # Ann's answer, then the status it left the ticket in
        "status_changed",
        "status_changed",  # closed
        "ticket_closed",
        "message_posted",  # Carol's reply reopens it
        "status_changed",
        "ticket_reopened",
    ]
    answer = receiver.deliveries[2].json
    assert answer["message"]["kind"] == "agent_reply"
    assert answer["message"]["body"] == "Restart it"
    assert answer["message"]["author"]["id"] == users.ann.id
    assert answer["ticket"]["status"] == "pending"
    changes = [(d.json["old_status"], d.json["new_status"]) for d in receiver.deliveries[3:5]]
    assert changes == [("open", "pending"), ("pending", "closed")]
    assert receiver.deliveries[5].json["ticket"]["status"] == "closed"
    assert receiver.deliveries[5].json["actor"] == {"kind": "agent", "user_id": users.ann.id}
    assert receiver.deliveries[8].json["ticket"]["status"] == "open"
    assert receiver.deliveries[8].json["actor"]["user_id"] == users.carol.id
    for delivery in receiver.deliveries:
        assert delivery.headers["x-ticketcore-signature"] == signature_of(delivery.body)
    assert len({d.json["delivery"] for d in receiver.deliveries}) == len(receiver.deliveries)


def test_sla_warnings_are_posted(
    installed: ModuleType,
    make_helpdesk: Callable[..., Helpdesk],
    receiver: Receiver,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(URL_ENV, receiver.url)
    helpdesk = make_helpdesk()
    users = people(helpdesk)
    helpdesk.sla.create_policy(
        Actor.system(), name="Standard", first_response_minutes=15, is_default=True
    )
    ticket = helpdesk.tickets.create(users.carol_actor, subject="Slow", body="...").ticket
    due = clock.now() + timedelta(minutes=15)  # around the clock: no calendar

    clock.advance(minutes=12)  # 80% of 15 minutes: at risk
    helpdesk.sla.check()
    clock.advance(minutes=4)
    helpdesk.sla.check()

    warnings = [d.json for d in receiver.deliveries if d.event.startswith("sla_")]
    assert [(w["event"], w["target"], w["due"]) for w in warnings] == [
        ("sla_at_risk", "response", due.isoformat()),
        ("sla_breached", "response", due.isoformat()),
    ]
    assert warnings[1]["ticket"]["number"] == ticket.number
    assert warnings[1]["ticket"]["sla_state"] == "breached"
    assert "x-ticketcore-signature" not in receiver.deliveries[0].headers  # no secret set


# ---------------------------------------------------------------- (b) internal notes


def test_internal_notes_are_not_posted_unless_asked_for(
    installed: ModuleType,
    make_helpdesk: Callable[..., Helpdesk],
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(URL_ENV, receiver.url)
    helpdesk = make_helpdesk()
    users = people(helpdesk)
    ticket = helpdesk.tickets.create(users.carol_actor, subject="VPN down", body="...").ticket
    before = receiver.events()

    helpdesk.messages.add_note(users.ann_actor, ticket.id, "Carol's VPN profile is broken")
    assert receiver.events() == before

    monkeypatch.setenv("TICKETCORE_WEBHOOK_INCLUDE_NOTES", "1")  # read at every event
    helpdesk.messages.add_note(users.ann_actor, ticket.id, "Fixed the profile")
    assert receiver.events() == [*before, "message_posted"]
    note = receiver.deliveries[-1].json["message"]
    assert (note["kind"], note["is_internal"], note["body"]) == (
        "internal_note",
        True,
        "Fixed the profile",
    )


def test_without_a_url_the_plugin_does_nothing(
    installed: ModuleType,
    make_helpdesk: Callable[..., Helpdesk],
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    helpdesk = make_helpdesk()
    assert helpdesk.plugins.get_plugin("webhook") is installed
    users = people(helpdesk)
    with caplog.at_level(logging.WARNING):
        ticket = helpdesk.tickets.create(users.carol_actor, subject="Hi", body="...").ticket
        helpdesk.messages.reply(users.ann_actor, ticket.id, body="Hello", status="resolved")
    assert receiver.deliveries == []
    assert caplog.records == []


# ---------------------------------------------------------------- (c) a broken receiver


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers: only the timeout ends the wait."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def closed_port() -> int:
    """A port nothing listens on (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("failure", ["answers 500", "is down", "never answers"])
def test_a_broken_receiver_never_breaks_the_request(
    failure: str,
    installed: ModuleType,
    make_helpdesk: Callable[..., Helpdesk],
    receiver: Receiver,
    silent_port: int,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if failure == "answers 500":
        receiver.status = 500
        url = receiver.url
    elif failure == "is down":
        url = f"http://127.0.0.1:{closed_port()}/hooks/{TOKEN}"
    else:
        url = f"http://127.0.0.1:{silent_port}/hooks/{TOKEN}"
        monkeypatch.setenv("TICKETCORE_WEBHOOK_TIMEOUT", "0.2")
    monkeypatch.setenv(URL_ENV, url)
    helpdesk = make_helpdesk()
    users = people(helpdesk)

    with caplog.at_level(logging.ERROR, logger="ticketcore.plugins"):
        ticket = helpdesk.tickets.create(users.carol_actor, subject="VPN down", body="...").ticket
        reply = helpdesk.messages.reply(users.ann_actor, ticket.id, body="On it")

    # Saved, whatever the receiver did.
    assert helpdesk.tickets.get(users.carol_actor, ticket.id).subject == "VPN down"
    thread = helpdesk.messages.thread(users.carol_actor, ticket.id)
    assert [m.id for m in thread][-1] == reply.id
    # Each failed delivery is logged under the plugin's name, with what went wrong.
    failures = [r for r in caplog.records if r.name == "ticketcore.plugins"]
    assert [r.getMessage() for r in failures] == [
        "plugin 'webhook' failed in after_ticket_created",
        "plugin 'webhook' failed in after_ticket_assigned",
        "plugin 'webhook' failed in after_message_posted",
    ]
    errors = [r.exc_info[1] for r in failures if r.exc_info]
    assert [type(e).__name__ for e in errors] == ["WebhookError"] * 3
    expected = {"answers 500": "answered 500", "is down": "refused", "never answers": "timed out"}
    assert expected[failure] in str(errors[0])
    assert TOKEN not in caplog.text  # the path of a webhook URL is often a credential
    if failure == "answers 500":
        assert receiver.events() == ["ticket_created", "ticket_assigned", "message_posted"]


# ---------------------------------------------------------------- (d) switched off


def test_disable_plugins_keeps_it_out(
    installed: ModuleType,
    make_helpdesk: Callable[..., Helpdesk],
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(URL_ENV, receiver.url)
    monkeypatch.setenv("TICKETCORE_DISABLE_PLUGINS", "1")
    helpdesk = make_helpdesk()
    assert helpdesk.plugins.get_plugin("webhook") is None
    assert installed not in helpdesk.plugins.get_plugins()
    users = people(helpdesk)
    ticket = helpdesk.tickets.create(users.carol_actor, subject="VPN down", body="...").ticket
    helpdesk.tickets.close(users.ann_actor, ticket.id)
    assert receiver.deliveries == []
