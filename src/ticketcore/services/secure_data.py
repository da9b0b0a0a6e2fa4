"""Secure data: secrets a customer sends on a ticket, encrypted at rest, revealed to staff only
on an explicit, audited request, and purged when no longer needed.

The secret itself only ever exists in two places: the Fernet token in `SecureData.ciphertext`
(encrypted with `settings.secure_data_key`), and the return value of `reveal()`. It is never put
in a message, the outbox, a hook argument, an audit record or an error message; the customer
side sees only that something was sent, and when (`SecureDataOut`, which has no secret field).
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..errors import ConfigurationError, Conflict, InvalidInput, NotFound, PermissionDenied
from ..models import Ticket
from ..models.security import SecureData
from ..permissions import Action, Actor
from ..schemas import Output, PersonRef
from ..workflow import Status
from .base import FieldErrors, Service
from .changes import audit
from .convert import SeenTicket, person, shows_email
from .unit_of_work import UnitOfWork

LABEL_MAX = 200
SECRET_MAX = 10_000
DEFAULT_LABEL = "Secure data"
DISABLED = "secure data is not enabled on this site"


class SecureDataOut(Output):
    """What anyone may know about one secure data entry: never the secret itself."""

    id: int
    ticket_id: int
    label: str
    author: PersonRef | None
    created_at: datetime
    purged_at: datetime | None
    available: bool  # False once purged: there is nothing left to reveal


class SecureDataService(Service):
    @property
    def enabled(self) -> bool:
        """Whether the site has a `secure_data_key`, which switches the feature on."""
        return bool(self.settings.secure_data_key)

    def send(self, actor: Actor, ticket_id: int, *, label: str = "", secret: str) -> SecureDataOut:
        """Store `secret` encrypted on the ticket. Whoever may reply to the ticket may send.

        Nothing is emailed, notified or added to the thread; the audit trail records the label.
        A closed ticket takes no secure data (it would outlive the purge on close).
        """
        fernet = self._fernet()
        clean_label, clean_secret = _check(label, secret)
        with self.transaction() as uow:
            tickets = self.helpdesk.tickets
            ticket = tickets.load(uow.session, actor, ticket_id, for_update=True)
            tickets.require(actor, ticket, Action.REPLY)
            if ticket.status is Status.CLOSED:
                raise Conflict("secure data cannot be sent on a closed ticket")
            now = self.helpdesk.clock.now()
            item = SecureData(
                ticket_id=ticket.id,
                author_id=actor.user_id,
                label=clean_label,
                ciphertext=fernet.encrypt(clean_secret.encode()).decode("ascii"),
                created_at=now,
            )
            uow.session.add(item)
            ticket.updated_at = now
            uow.session.flush()
            audit(uow, actor, ticket, "secure_data_sent", _field(item), None, item.label)
            return _out(actor, ticket, item)

    def list(self, actor: Actor, ticket_id: int) -> builtins.list[SecureDataOut]:
        """The entries on a ticket, oldest first: all of them for staff, a customer's (or
        guest's) own for the customer side."""
        self._require_enabled()
        with self.reading() as uow:
            ticket = self.helpdesk.tickets.seen(uow.session, actor, ticket_id)
            query = (
                select(SecureData)
                .where(SecureData.ticket_id == ticket.id)
                .options(selectinload(SecureData.author))
                .order_by(SecureData.created_at, SecureData.id)
            )
            if not actor.is_staff:
                if actor.user_id is None:
                    return []
                query = query.where(SecureData.author_id == actor.user_id)
            return [_out(actor, ticket, item) for item in uow.session.scalars(query)]

    def reveal(self, actor: Actor, ticket_id: int, item_id: int) -> str:
        """The secret in clear, for staff who may see the ticket; the reveal is audited (who,
        when, which entry) and committed with it. `Conflict` once the entry was purged."""
        fernet = self._fernet()
        if not actor.is_staff:
            raise NotFound(f"no secure data {item_id}")
        with self.transaction() as uow:
            ticket = self.helpdesk.tickets.load(uow.session, actor, ticket_id)
            item = self._item(uow, ticket, item_id)
            if item.ciphertext is None:
                raise Conflict("this secure data was purged")
            try:
                secret = fernet.decrypt(item.ciphertext.encode("ascii")).decode()
            except InvalidToken:
                raise ConfigurationError(
                    "this secure data cannot be decrypted with the current secure_data_key"
                ) from None
            audit(uow, actor, ticket, "secure_data_revealed", _field(item), None, item.label)
            return secret

    def purge(self, actor: Actor, ticket_id: int, item_id: int | None = None) -> int:
        """Destroy one entry's secret (or every entry's on the ticket, without `item_id`); the
        metadata stays. Staff only; returns how many were purged (0: already purged)."""
        self._require_enabled()
        if not actor.is_staff:
            raise NotFound(f"no ticket {ticket_id}")
        with self.transaction() as uow:
            tickets = self.helpdesk.tickets
            ticket = tickets.load(uow.session, actor, ticket_id, for_update=True)
            tickets.require(actor, ticket, Action.UPDATE)
            if item_id is not None:
                items = [self._item(uow, ticket, item_id)]
            else:
                items = _unpurged(uow, ticket)
            return _purge(uow, actor, ticket, items)

    # ------------------------------------------------------------ helpers

    def _require_enabled(self) -> None:
        if not self.enabled:
            raise PermissionDenied(DISABLED)

    def _fernet(self) -> Fernet:
        self._require_enabled()
        try:
            return Fernet(self.settings.secure_data_key)
        except (ValueError, TypeError):
            raise ConfigurationError(
                "secure_data_key is not a Fernet key: `ticketcore keys secure-data` prints one"
            ) from None

    def _item(self, uow: UnitOfWork, ticket: Ticket, item_id: Any) -> SecureData:
        try:
            key = int(item_id)
        except (TypeError, ValueError):
            raise NotFound(f"no secure data {item_id!r}") from None
        item = uow.session.scalar(
            select(SecureData).where(SecureData.id == key, SecureData.ticket_id == ticket.id)
        )
        if item is None:
            raise NotFound(f"no secure data {key}")
        return item


def purge_on_close(uow: UnitOfWork, actor: Actor, ticket: Ticket) -> int:
    """Purge the ticket's secure data as it closes, when `secure_data_purge_on_close` is on.

    Called by `changes.set_status`, the one place statuses change. It works without a key too,
    so switching the feature off never leaves secrets behind on closed tickets.
    """
    if not uow.helpdesk.settings.secure_data_purge_on_close:
        return 0
    return _purge(uow, actor, ticket, _unpurged(uow, ticket))


def _unpurged(uow: UnitOfWork, ticket: Ticket) -> builtins.list[SecureData]:
    return list(
        uow.session.scalars(
            select(SecureData)
            .where(SecureData.ticket_id == ticket.id, SecureData.ciphertext.is_not(None))
            .order_by(SecureData.id)
        )
    )


def _purge(uow: UnitOfWork, actor: Actor, ticket: Ticket, items: builtins.list[SecureData]) -> int:
    now = uow.helpdesk.clock.now()
    count = 0
    for item in items:
        if item.ciphertext is None:
            continue
        item.ciphertext = None
        item.purged_at = now
        audit(uow, actor, ticket, "secure_data_purged", _field(item), None, item.label)
        count += 1
    if count:
        uow.session.flush()
    return count


def _check(label: Any, secret: Any) -> tuple[str, str]:
    errors = FieldErrors()
    clean_label = errors.check(_check_label, label)
    clean_secret = errors.check(_check_secret, secret)
    errors.raise_if_any()
    return clean_label, clean_secret


def _check_label(label: Any) -> str:
    if label is None:
        return DEFAULT_LABEL
    if not isinstance(label, str):
        raise InvalidInput("must be text", field="label")
    clean = " ".join(label.split()) or DEFAULT_LABEL
    if len(clean) > LABEL_MAX:
        raise InvalidInput(f"must be at most {LABEL_MAX} characters", field="label")
    return clean


def _check_secret(secret: Any) -> str:
    # Kept exactly as typed (a password may start or end with a space); never echoed back.
    if not isinstance(secret, str):
        raise InvalidInput("must be text", field="secret")
    if not secret.strip():
        raise InvalidInput("enter the secure data to send", field="secret")
    if len(secret) > SECRET_MAX:
        raise InvalidInput(f"must be at most {SECRET_MAX} characters", field="secret")
    return secret


def _field(item: SecureData) -> str:
    return f"secure_data.{item.id}"


def _out(actor: Actor, ticket: Ticket | SeenTicket, item: SecureData) -> SecureDataOut:
    return SecureDataOut(
        id=item.id,
        ticket_id=item.ticket_id,
        label=item.label,
        author=person(item.author, show_email=shows_email(actor, ticket, item.author)),
        created_at=item.created_at,
        purged_at=item.purged_at,
        available=item.ciphertext is not None,
    )
