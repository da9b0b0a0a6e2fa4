"""Attachments: checked before anything is written, stored outside the database, and served
only to those who may see both the ticket and the message that carries them. Messages are
added here too, since a message and its files are always saved together."""

from __future__ import annotations

import functools
import hashlib
import mimetypes
import re
import unicodedata
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Conflict, InvalidInput, NotFound
from ..models import Attachment, Message, MessageSource, Ticket, User
from ..permissions import Actor, message_visibility
from ..rendering import render_markdown
from ..schemas import AttachmentOut, UploadedFile
from ..settings import Settings
from .base import Service
from .convert import attachment_out
from .inserting import insert_now
from .unit_of_work import UnitOfWork

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def sanitize_filename(name: str) -> str:
    """A file name safe to show and to put in a Content-Disposition header.

    Drops any directory part (`../../etc/passwd` becomes `passwd`), control and reserved
    characters, and leading dots; keeps the extension when shortening.
    """
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip().lstrip(".").strip()
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: 190 - len(ext)]}.{ext}" if dot and len(ext) <= 10 else name[:200]
    return name or "attachment"


def check_files(files: Sequence[UploadedFile], settings: Settings) -> None:
    """Raise `InvalidInput` on `attachments` listing every refused file, before any is stored."""
    problems: list[str] = []
    if len(files) > settings.max_attachments_per_message:
        problems.append(f"at most {settings.max_attachments_per_message} files per message")
    blocked = {e.lower().lstrip(".") for e in settings.blocked_attachment_extensions}
    for file in files:
        name = sanitize_filename(file.filename)
        extension = name.rpartition(".")[2].lower() if "." in name else ""
        if extension in blocked:
            problems.append(f"{name}: .{extension} files are not accepted")
        if len(file.content) > settings.max_attachment_bytes:
            limit = settings.max_attachment_bytes / (1024 * 1024)
            problems.append(f"{name}: larger than the {limit:g} MB limit")
        if not file.content:
            problems.append(f"{name}: the file is empty")
    if problems:
        raise InvalidInput({"attachments": problems})


class PostedMessage(Protocol):
    """What a new ticket (`TicketCreate`) and a reply (`ReplyCreate`) carry for their message."""

    @property
    def body(self) -> str: ...
    @property
    def attachments(self) -> Sequence[UploadedFile]: ...
    @property
    def source(self) -> str: ...
    @property
    def email_message_id(self) -> str | None: ...


def refuse_repeated_email(session: Session, posted: PostedMessage) -> None:
    """An email is taken once: the same Message-ID delivered again is a `Conflict`."""
    if posted.email_message_id and session.scalar(
        select(Message.id).where(Message.email_message_id == posted.email_message_id)
    ):
        raise Conflict(f"message {posted.email_message_id} was already received")


def add_posted_message(
    uow: UnitOfWork, ticket: Ticket, author: User | None, posted: PostedMessage
) -> Message:
    """The message a new ticket or a reply brings, with its files."""
    return add_message(
        uow,
        ticket,
        author,
        posted.body,
        posted.attachments,
        source=posted.source,
        email_message_id=posted.email_message_id,
    )


def add_message(
    uow: UnitOfWork,
    ticket: Ticket,
    author: User | None,
    body: str,
    files: Sequence[UploadedFile],
    *,
    internal: bool = False,
    source: str = "web",
    email_message_id: str | None = None,
) -> Message:
    """Add a message with its rendered body and its files to the ticket's thread."""
    message = Message(
        ticket=ticket,
        author=author,
        is_internal=internal,
        source=MessageSource(source),
        body=body,
        body_html=render_markdown(body),
        email_message_id=email_message_id,
        created_at=uow.helpdesk.clock.now(),
        attachments=[],  # known to be empty until store_files: reading it later costs no query
    )
    store_files(uow, ticket, message, files)
    insert_now(uow.session, message)
    return message


def store_files(
    uow: UnitOfWork, ticket: Ticket, message: Message, files: Sequence[UploadedFile]
) -> None:
    """Write the files and their rows; if the transaction fails the files are deleted again."""
    storage = uow.helpdesk.storage
    now = uow.helpdesk.clock.now()
    for file in files:
        name = sanitize_filename(file.filename)
        key = storage.save(file.content)
        uow.on_rollback(functools.partial(storage.delete, key))
        message.attachments.append(
            Attachment(
                ticket=ticket,
                filename=name,
                # Our guess from the name, not the sender's claim: a claimed text/html is not served.
                content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                size=len(file.content),
                sha256=hashlib.sha256(file.content).hexdigest(),
                storage_key=key,
                created_at=now,
            )
        )


class AttachmentService(Service):
    def get(self, actor: Actor, attachment_id: int) -> tuple[AttachmentOut, bytes]:
        """The attachment and its bytes, or `NotFound` for anyone who may not see it."""
        tickets = self.helpdesk.tickets
        with self.reading() as uow:
            row = uow.session.scalar(
                select(Attachment)
                .join(Message, Message.id == Attachment.message_id)
                .join(Ticket, Ticket.id == Attachment.ticket_id)
                .where(
                    Attachment.id == attachment_id,
                    tickets.visibility(actor),
                    message_visibility(actor),
                )
            )
            if row is None:
                raise NotFound(f"no attachment {attachment_id}")
            return attachment_out(row), self.helpdesk.storage.read(row.storage_key)
