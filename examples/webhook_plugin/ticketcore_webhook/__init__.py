"""Tell another system about every ticket event: POST it as signed JSON to a URL.

Sites want their chat, CRM or data warehouse to hear about tickets as they happen, without
polling ticketcore. This plugin is the smallest useful answer, and the worked example of
`docs/plugins/writing.md`: each event hook becomes one HTTP POST, with the standard library
only, so installing it adds no dependency.

It is configured from the environment, read at every event, so nothing has to be passed to
`Helpdesk` and a site can change it without restarting:

* `TICKETCORE_WEBHOOK_URL`: where to POST (`http://` or `https://`). Unset or empty: the plugin
  does nothing at all, so having it installed is harmless.
* `TICKETCORE_WEBHOOK_SECRET`: when set, each request carries `X-Ticketcore-Signature:
  sha256=<hex>`, the HMAC-SHA256 of the exact body bytes under this secret.
* `TICKETCORE_WEBHOOK_TIMEOUT`: seconds to wait for the receiver (default 3).
* `TICKETCORE_WEBHOOK_INCLUDE_NOTES`: `1` posts internal notes too. They are staff-only, so by
  default they never leave the helpdesk.

The `after_*` and `sla_*` hooks run after the change has committed, in the request that made
it. A failed delivery raises `WebhookError`; ticketcore logs that under the plugin's name
(`webhook`) and carries on, so the person's ticket or reply is saved whatever the receiver
does. A slow receiver delays that request by up to the timeout: keep it short.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ticketcore import hookimpl

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ticketcore import Actor, Helpdesk
    from ticketcore.schemas import MessageOut, PersonRef, TicketOut

__all__ = [
    "DEFAULT_TIMEOUT",
    "SIGNATURE_HEADER",
    "Config",
    "WebhookError",
    "sign",
    "verify_signature",
]

URL_ENV = "TICKETCORE_WEBHOOK_URL"
SECRET_ENV = "TICKETCORE_WEBHOOK_SECRET"
TIMEOUT_ENV = "TICKETCORE_WEBHOOK_TIMEOUT"
NOTES_ENV = "TICKETCORE_WEBHOOK_INCLUDE_NOTES"
DEFAULT_TIMEOUT = 3.0

SIGNATURE_HEADER = "X-Ticketcore-Signature"
EVENT_HEADER = "X-Ticketcore-Event"
DELIVERY_HEADER = "X-Ticketcore-Delivery"
USER_AGENT = "ticketcore-webhook/0.1"


class WebhookError(Exception):
    """The webhook is misconfigured, or its receiver was unreachable or did not answer 2xx."""


@dataclass(frozen=True)
class Config:
    url: str
    secret: bytes | None = None
    timeout: float = DEFAULT_TIMEOUT
    include_notes: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config | None:
        """The configuration in `environ` (default: `os.environ`), or None when no URL is set."""
        env = os.environ if environ is None else environ
        url = env.get(URL_ENV, "").strip()
        if not url:
            return None
        # urllib also opens file:// and ftp:// addresses; a webhook must never read local files.
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise WebhookError(f"{URL_ENV} must start with http:// or https://")
        raw_timeout = env.get(TIMEOUT_ENV, "").strip()
        try:
            timeout = float(raw_timeout) if raw_timeout else DEFAULT_TIMEOUT
        except ValueError:
            timeout = 0.0
        if not timeout > 0:  # also refuses NaN
            raise WebhookError(f"{TIMEOUT_ENV} must be a number of seconds above 0")
        secret = env.get(SECRET_ENV, "")
        return cls(
            url=url,
            secret=secret.encode() if secret else None,
            timeout=timeout,
            include_notes=env.get(NOTES_ENV, "").strip() not in ("", "0"),
        )

    @property
    def receiver(self) -> str:
        """The URL without path or query, for messages: webhook URLs often hold a token."""
        parts = urllib.parse.urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


# ---------------------------------------------------------------- signatures


def sign(secret: bytes, body: bytes) -> str:
    """The `X-Ticketcore-Signature` value for `body`: `sha256=` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_signature(secret: bytes, body: bytes, header: str | None) -> bool:
    """What a receiver written in Python checks, in constant time, before trusting a body."""
    return header is not None and hmac.compare_digest(sign(secret, body), header)


# ---------------------------------------------------------------- payloads


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _person(person: PersonRef | None) -> dict[str, Any] | None:
    if person is None:
        return None
    return {"id": person.id, "display_name": person.display_name, "email": person.email}


def _actor(actor: Actor) -> dict[str, Any]:
    return {"kind": actor.kind.value, "user_id": actor.user_id}


def ticket_payload(ticket: TicketOut) -> dict[str, Any]:
    """The ticket as receivers see it: a stable, documented subset, not the whole snapshot."""
    return {
        "id": ticket.id,
        "track_id": ticket.track_id,
        "number": ticket.number,
        "subject": ticket.subject,
        "kind": ticket.kind.value,
        "status": ticket.status.value,
        "status_group": ticket.status_group.value,
        "priority": ticket.priority.name.lower(),
        "team": ticket.team_name,
        "organization": ticket.organization_name,
        "requester": _person(ticket.requester),
        "assignee": _person(ticket.assignee),
        "is_public": ticket.is_public,
        "custom_fields": dict(ticket.custom_fields),
        "reply_count": ticket.reply_count,
        "created_at": _time(ticket.created_at),
        "updated_at": _time(ticket.updated_at),
        "response_by": _time(ticket.response_by),
        "resolution_by": _time(ticket.resolution_by),
        "sla_state": ticket.sla_state,
    }


def message_payload(message: MessageOut) -> dict[str, Any]:
    return {
        "id": message.id,
        "kind": message.kind,
        "is_internal": message.is_internal,
        "source": message.source,
        "author": _person(message.author),
        "body": message.body,
        "created_at": _time(message.created_at),
        "attachments": [
            {"filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in message.attachments
        ],
    }


def _json_default(value: object) -> str:
    if isinstance(value, date):  # datetime too: custom fields are plain JSON, but be safe
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------- delivery


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would turn a redirected POST into a GET without the body (and repeat the
    signature to the new host): treat any redirect as a failed delivery instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def deliver(config: Config, event: str, delivery: str, body: bytes) -> None:
    """POST `body` to the receiver; raise `WebhookError` unless it answers 2xx in time."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery,
    }
    if config.secret is not None:
        headers[SIGNATURE_HEADER] = sign(config.secret, body)
    request = urllib.request.Request(config.url, data=body, headers=headers, method="POST")
    # A fresh opener each time, so proxy variables are read now, like everything else.
    opener = urllib.request.build_opener(_RefuseRedirects())
    try:
        with opener.open(request, timeout=config.timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the response's socket
        raise WebhookError(
            f"{config.receiver} answered {exc.code} to {event} (delivery {delivery})"
        ) from None
    except (urllib.error.URLError, OSError) as exc:  # refused, unknown host, timed out
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise WebhookError(
            f"could not POST {event} to {config.receiver} (delivery {delivery}): {reason}"
        ) from None


def post_event(
    helpdesk: Helpdesk,
    event: str,
    ticket: TicketOut,
    *,
    internal: bool = False,
    **details: Any,
) -> None:
    """Send one event, unless no URL is configured or it is internal and notes are not wanted."""
    config = Config.from_env()
    if config is None or (internal and not config.include_notes):
        return
    delivery = uuid.uuid4().hex
    payload = {
        "event": event,
        "delivery": delivery,
        "sent_at": helpdesk.clock.now().isoformat(),
        "ticket": ticket_payload(ticket),
        **details,
    }
    body = json.dumps(payload, ensure_ascii=False, default=_json_default).encode("utf-8")
    deliver(config, event, delivery, body)


# ---------------------------------------------------------------- the hooks


@hookimpl
def after_ticket_created(helpdesk: Helpdesk, ticket: TicketOut) -> None:
    post_event(helpdesk, "ticket_created", ticket)


@hookimpl
def after_message_posted(helpdesk: Helpdesk, ticket: TicketOut, message: MessageOut) -> None:
    post_event(
        helpdesk,
        "message_posted",
        ticket,
        internal=message.is_internal,
        message=message_payload(message),
    )


@hookimpl
def after_status_changed(
    helpdesk: Helpdesk, ticket: TicketOut, old_status: str, new_status: str, actor: Actor
) -> None:
    post_event(
        helpdesk,
        "status_changed",
        ticket,
        old_status=old_status,
        new_status=new_status,
        actor=_actor(actor),
    )


@hookimpl
def after_ticket_assigned(
    helpdesk: Helpdesk, ticket: TicketOut, assignee_id: int | None, actor: Actor
) -> None:
    post_event(helpdesk, "ticket_assigned", ticket, assignee_id=assignee_id, actor=_actor(actor))


@hookimpl
def after_ticket_closed(helpdesk: Helpdesk, ticket: TicketOut, actor: Actor) -> None:
    post_event(helpdesk, "ticket_closed", ticket, actor=_actor(actor))


@hookimpl
def after_ticket_reopened(helpdesk: Helpdesk, ticket: TicketOut, actor: Actor) -> None:
    post_event(helpdesk, "ticket_reopened", ticket, actor=_actor(actor))


@hookimpl
def sla_at_risk(helpdesk: Helpdesk, ticket: TicketOut, target: str, due: datetime) -> None:
    post_event(helpdesk, "sla_at_risk", ticket, target=target, due=due.isoformat())


@hookimpl
def sla_breached(helpdesk: Helpdesk, ticket: TicketOut, target: str, due: datetime) -> None:
    post_event(helpdesk, "sla_breached", ticket, target=target, due=due.isoformat())
