"""Helpers for the mail tests: a real SMTP server (aiosmtpd on 127.0.0.1) that can be stopped
and started again, a self-signed certificate, an in-memory transport plugin, and readers for
the parts of a received email.

A plain module rather than a `conftest.py`, so tests import these helpers by name; the modules
that need servers make their own small fixtures from them.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import shutil
import socket
import subprocess
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from ticketcore import Helpdesk, hookimpl

USERNAME = "mailer"
PASSWORD = "s3cret-pass"


class SmtpSink:
    """Keeps every envelope (`.mail_from`, `.rcpt_tos`, `.content` bytes) and who sent it."""

    def __init__(self, delay: float = 0.0, refuse: frozenset[str] = frozenset()) -> None:
        self.envelopes: list[Any] = []
        self.peers: list[Any] = []
        self.received_at: list[float] = []
        self.delay = delay
        self.refuse = refuse  # recipients answered "550 no such user"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.envelopes.append(envelope)
        self.peers.append(session.peer)
        self.received_at.append(time.monotonic())
        return "250 Message accepted for delivery"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USERNAME.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # aiosmtpd answers 235 or 535 itself


class MailServer:
    def __init__(self, port: int, sink: SmtpSink, **options: Any) -> None:
        self.port = port
        self.sink = sink
        self.options = options
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(
            self.sink,
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="localhost",
            **self.options,
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            with contextlib.suppress(AssertionError):  # "SMTP daemon not running"
                self.controller.stop()
            self.controller = None

    @property
    def envelopes(self) -> list[Any]:
        return self.sink.envelopes

    @property
    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(e.content, policy=email.policy.default)  # type: ignore[misc]
            for e in self.sink.envelopes
        ]

    def clear(self) -> None:
        self.sink.envelopes.clear()
        self.sink.peers.clear()


def free_port() -> int:
    with socket.socket() as s:  # Controller cannot take port=0: pick a free port first
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Servers:
    """Starts SMTP servers on free ports (`servers(delay=…, refuse=…, **controller_options)`)
    and stops them all at the end of a test."""

    def __init__(self) -> None:
        self.started: list[MailServer] = []

    def __call__(
        self, *, delay: float = 0.0, refuse: frozenset[str] = frozenset(), **options: Any
    ) -> MailServer:
        server = MailServer(free_port(), SmtpSink(delay, refuse), **options)
        server.start()
        self.started.append(server)
        return server

    def stop_all(self) -> None:
        for server in self.started:
            server.stop()


def make_certificate(directory: Path) -> tuple[Path, Path] | None:
    """A self-signed certificate for localhost and 127.0.0.1, made with the openssl command
    (the `cryptography` package is not installed); None without openssl."""
    if shutil.which("openssl") is None:
        return None
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def auth_options(**extra: Any) -> dict[str, Any]:
    """Controller options for a server that checks USERNAME / PASSWORD."""
    return {"authenticator": _authenticator, "auth_required": True, **extra}


class Captured:
    """A mail transport plugin that keeps what it is given: for tests about content."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        # What a server would receive: the bytes, parsed again.
        self.sent.append(
            email.message_from_bytes(bytes(message), policy=email.policy.default)  # type: ignore[arg-type]
        )

    @hookimpl
    def mail_transport(self, helpdesk: Helpdesk) -> Captured:
        return self

    def to(self, address: str, event: str | None = None) -> list[EmailMessage]:
        return [
            m
            for m in self.sent
            if m["To"].addresses[0].addr_spec == address
            and (event is None or m["X-Ticketcore-Event"] == event)
        ]

    def events(self) -> list[tuple[str, str]]:
        return [(m["X-Ticketcore-Event"], m["To"].addresses[0].addr_spec) for m in self.sent]

    def clear(self) -> None:
        self.sent.clear()


def smtp_settings(server: MailServer, **extra: Any) -> dict[str, Any]:
    return {
        "mail_transport": "smtp",
        "smtp_host": "127.0.0.1",
        "smtp_port": server.port,
        "smtp_timeout": 5.0,
        **extra,
    }


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]
