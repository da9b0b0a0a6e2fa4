"""How email leaves the building: SMTP for real sites, the console for development, or any object
a plugin supplies through the `mail_transport` hook (an HTTP email API, a test double).

A transport only sends a finished `email.message.EmailMessage`: what goes into it is decided
when the outbox row is written (`notify.queue`) and assembled by the dispatcher
(`notify.outbox.build_email`), so every transport sends exactly the same bytes.
"""

from __future__ import annotations

import smtplib
import ssl
import sys
import threading
from email.message import EmailMessage
from email.policy import SMTP
from types import TracebackType
from typing import TYPE_CHECKING, Literal, Protocol, TextIO, runtime_checkable

if TYPE_CHECKING:
    from ..helpdesk import Helpdesk

__all__ = [
    "ConsoleTransport",
    "MailTransport",
    "PermanentDeliveryError",
    "SmtpTransport",
    "transport_for",
]


@runtime_checkable
class MailTransport(Protocol):
    """Anything that can send one email. Raise to report a failure: the outbox retries it later,
    unless the exception is a `PermanentDeliveryError` (or an SMTP 5xx refusal of the recipient).

    A transport may also be a context manager; the dispatcher then enters it once per delivery
    run, so SMTP can send many messages over one connection.
    """

    def send(self, message: EmailMessage) -> None: ...


class PermanentDeliveryError(Exception):
    """This message can never be delivered as it is (the address does not exist, …): the outbox
    marks it failed at once instead of retrying."""


Security = Literal["none", "starttls", "ssl"]


class SmtpTransport:
    """Send through an SMTP server: plain, STARTTLS or SMTP over SSL, with login when a
    username is given.

    Certificates are checked against the system's trust store (`SSL_CERT_FILE` / `SSL_CERT_DIR`
    name another one) unless an `ssl_context` is passed. Used as a context manager, one
    connection serves every message sent inside the `with` block; otherwise each `send()`
    connects and disconnects.
    """

    def __init__(
        self,
        host: str = "localhost",
        port: int = 25,
        *,
        security: Security = "none",
        username: str = "",
        password: str = "",
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in ("none", "starttls", "ssl"):
            raise ValueError(f"unknown SMTP security {security!r}")
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.timeout = timeout
        self.ssl_context = ssl_context
        self._smtp: smtplib.SMTP | None = None
        self._depth = 0  # nested `with` blocks share one connection

    def __repr__(self) -> str:
        return f"<SmtpTransport {self.host}:{self.port} {self.security}>"

    def _context(self) -> ssl.SSLContext:
        return self.ssl_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        smtp: smtplib.SMTP
        if self.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self._context()
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.security == "starttls":
                smtp.starttls(context=self._context())
                smtp.ehlo()  # the server's capabilities may differ once the channel is private
            if self.username:
                smtp.login(self.username, self.password)
        except BaseException:
            _close(smtp)
            raise
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            if self._depth == 0:
                self.close()
            if all(code >= 500 for code, _ in exc.recipients.values()):
                raise PermanentDeliveryError(_refusal(exc)) from exc
            raise
        except (smtplib.SMTPResponseException, smtplib.SMTPServerDisconnected, OSError):
            self.close()  # the connection's state is unknown: start afresh next time
            raise
        if self._depth == 0:
            self.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            _close(smtp)

    def __enter__(self) -> SmtpTransport:
        self._depth += 1
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.close()


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _refusal(exc: smtplib.SMTPRecipientsRefused) -> str:
    return "; ".join(
        f"{address}: {code} {reply.decode(errors='replace')}"
        for address, (code, reply) in exc.recipients.items()
    )


class ConsoleTransport:
    """Print each message, for development: the default `mail_transport`.

    Writes to `stream`, or to standard error when none is given (looked up at each send, so
    redirections and test capture see it). Standard error, not output, because the default
    transport runs inside every command and script: `ticketcore demo-data > summary.txt` or a
    program printing its own results must not get emails mixed into them.
    """

    separator = "-" * 72
    _lock = threading.Lock()  # whole messages, even from several threads and transports

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, message: EmailMessage) -> None:
        text = message.as_string(policy=message.policy.clone(linesep="\n"))
        stream = self.stream if self.stream is not None else sys.stderr
        with self._lock:
            stream.write(f"{text.rstrip()}\n{self.separator}\n")
            stream.flush()


def transport_for(helpdesk: Helpdesk) -> MailTransport:
    """The transport a plugin supplies (`mail_transport` hook), else the one the settings name."""
    supplied: MailTransport | None = helpdesk.hook.mail_transport(helpdesk=helpdesk)
    if supplied is not None:
        return supplied
    settings = helpdesk.settings
    if settings.mail_transport == "console":
        return ConsoleTransport()
    return SmtpTransport(
        settings.smtp_host,
        settings.smtp_port,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=settings.smtp_password,
        timeout=settings.smtp_timeout,
    )


# The policy every outgoing message is built with: CRLF line ends, lines folded for SMTP, and
# header values refused when they contain a line break (no header injection).
EMAIL_POLICY = SMTP
