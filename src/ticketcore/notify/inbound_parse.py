"""Reading one RFC 822 message: who sent it, what it answers, its text and its files.

Real mail is messy: headers in RFC 2047 words or raw 8-bit bytes, bodies in ISO-2022-JP or
Windows-1252 labelled as ISO-8859-1, HTML without a text alternative, inline images inside
`multipart/related`, truncated uploads. This module turns all of that into one `ParsedMail`
with the standard `email` package, never raising: what cannot be read is reported in
`ParsedMail.problem` so the caller can keep the message for inspection instead of crashing.

It knows nothing about tickets or the database, so every decoding rule is tested on its own.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import email
import email.errors
import email.header
import email.policy
import email.utils
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser
from typing import Any

from .inbound_text import html_to_text, tidy, unflow

__all__ = [
    "ParsedAttachment",
    "ParsedMail",
    "automatic_reason",
    "decode_text",
    "fingerprint",
    "message_ids",
    "parse_headers",
    "parse_mail",
]


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content: bytes
    content_type: str
    inline: bool = False  # an image shown inside the text (`cid:`), not a separate file


@dataclass(frozen=True)
class ParsedMail:
    """What ticketcore needs from one email. `problem` says why it is unusable, if it is."""

    message_id: str | None = None
    sender: str | None = None  # the From address
    sender_name: str = ""
    subject: str = ""
    recipients: tuple[str, ...] = ()  # To, Cc, Delivered-To, X-Original-To… addresses
    references: tuple[str, ...] = ()  # In-Reply-To first, then References newest first
    text: str = ""  # the whole body as plain text (HTML converted), nothing stripped yet
    html_only: bool = False
    attachments: tuple[ParsedAttachment, ...] = ()
    automatic: str | None = None  # why this is a bounce or an automatic reply
    problem: str | None = None  # why it cannot be used (malformed)
    notes: tuple[str, ...] = field(default=())


# ------------------------------------------------------------------ decoding


# Labels that mail clients use for a charset Python knows under a wider name. ISO-8859-1 is
# read as Windows-1252 (as browsers do): Outlook labels its curly quotes and € that way.
_WIDER_CHARSET = {
    "iso8859-1": "cp1252",
    "latin-1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_cn": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "iso2022_jp": "iso2022_jp_ext",
    "tis-620": "cp874",
    "big5": "big5hkscs",
}


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    label = charset.strip().strip('"').lower()
    if label in ("ks_c_5601-1987", "ks_c_5601"):
        return "cp949"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _WIDER_CHARSET.get(name, name)


def decode_text(payload: bytes, charset: str | None) -> str:
    """Bytes of a text part as a string, whatever the label says.

    The declared charset (widened as above) is tried first; unlabelled, ASCII-labelled or
    unknown text is tried as UTF-8, then Windows-1252. Nothing is ever refused: the last
    resort replaces what cannot be read.
    """
    declared = _codec(charset)
    candidates: list[str] = []
    if declared and declared not in ("ascii", "us-ascii"):
        candidates.append(declared)
        if declared == "iso2022_jp_ext":
            candidates += ["iso2022_jp_2", "iso2022_jp"]
    candidates += ["utf-8", "cp1252"]
    for name in candidates:
        try:
            return payload.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    return payload.decode(declared or "latin-1", errors="replace")


def _clean_header(value: str) -> str:
    """A header value as one line of text: RFC 2047 words decoded, folding undone."""
    if "=?" in value:  # encoded words the parser left alone (inside quotes, say)
        with contextlib.suppress(ValueError, LookupError, email.errors.HeaderParseError):
            value = str(email.header.make_header(email.header.decode_header(value)))
    return " ".join(value.split())


def _raw_values(msg: Message, name: str) -> list[str]:
    """The header's values as received. Raw 8-bit bytes (not allowed, but common) come out
    of the parser as surrogates; they are read as UTF-8, else Windows-1252, as browsers do."""
    values = []
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            text = str(value)
            if any("\udc80" <= ch <= "\udcff" for ch in text):
                text = decode_text(text.encode("ascii", "surrogateescape"), None)
            values.append(text)
    return values


def _all_headers(msg: Message, name: str) -> list[str]:
    raw = _raw_values(msg, name)
    if any(not value.isascii() for value in raw):
        return [_clean_header(value) for value in raw]
    try:  # the policy's parser decodes encoded words the standard way
        return [_clean_header(str(v)) for v in msg.get_all(name) or []]
    except Exception:  # a header it cannot parse: its raw text will do
        return [_clean_header(value) for value in raw]


def _header(msg: Message, name: str) -> str:
    values = _all_headers(msg, name)
    return values[0] if values else ""


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    """(display name, address) pairs of an address header, leaving out what is no address.

    Read from the raw value, like classic mail readers, so "a@b (Name)" comments count as
    names and an encoded name holding a comma is decoded only after the split.
    """
    pairs = email.utils.getaddresses([" ".join(v.split()) for v in _raw_values(msg, name)])
    return [(_clean_header(n).strip(), a.strip()) for n, a in pairs if "@" in a]


_MSG_ID = re.compile(r"<([^<>\s]+)>")


def message_ids(value: str) -> list[str]:
    """The `<…>` ids in a Message-ID, In-Reply-To or References header, in order.

    A lone id without angle brackets (some clients write one) counts too."""
    found = [f"<{m}>" for m in _MSG_ID.findall(value)]
    if not found and "@" in value and len(value.split()) == 1:
        found = [f"<{value.strip().strip('<>')}>"]
    return found


# ------------------------------------------------------------------ automatic mail

_AUTO_SENDERS = frozenset({"mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster"})
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:(?:automatic\s+reply|auto(?:matic)?[- ]?(?:reply|response)|autoreply|"
    r"out\s+of\s+(?:the\s+)?office(?:\s+(?:reply|autoreply))?|abwesenheitsnotiz|"
    r"automatische\s+antwort|r[ée]ponse\s+automatique|respuesta\s+autom[áa]tica|autosvar|"
    r"undeliverable|unzustellbar|non\s+remis|returned\s+mail)\s*:"
    r"|undelivered\s+mail\s+returned\s+to\s+sender|mail\s+delivery\s+(?:failed|failure)"
    r"|delivery\s+status\s+notification\s+\((?:failure|delay)\)"
    r"|failure\s+notice\s*$)",
    re.IGNORECASE,
)


def automatic_reason(msg: Message, sender: str | None) -> str | None:
    """Why this mail was sent by a machine (bounce, out-of-office, list), else None.

    Such mail must never open a ticket or be answered: two auto-responders answering each other
    is the classic mail loop (RFC 3834).
    """
    if _header(msg, "X-Ticketcore-Event"):  # one of our own notifications came back
        return "a ticketcore notification (X-Ticketcore-Event), not a person's mail"
    if msg.get_content_type() == "multipart/report":
        kind = msg.get_param("report-type") or "report"
        return f"delivery report (multipart/report; report-type={kind})"
    if sender and sender.partition("@")[0].lower() in _AUTO_SENDERS:
        return f"bounce (from {sender})"
    if _header(msg, "X-Failed-Recipients"):
        return "bounce (X-Failed-Recipients)"
    if _header(msg, "Return-Path").replace(" ", "") == "<>":
        return "bounce (empty Return-Path)"
    auto_submitted = _header(msg, "Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"automatic message (Auto-Submitted: {auto_submitted})"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponse", "X-Auto-Reply"):
        value = _header(msg, name)
        if value and value.lower() not in ("no", "false", "0"):
            return f"automatic reply ({name}: {value})"
    for name in ("Precedence", "X-Precedence"):
        precedence = _header(msg, name).lower()
        if precedence in ("bulk", "junk", "list", "auto_reply"):
            return f"bulk or list mail ({name}: {precedence})"
    subject = _header(msg, "Subject")
    if _AUTO_SUBJECT.match(subject):
        return f"automatic reply (subject {subject[:80]!r})"
    return None


# ------------------------------------------------------------------ the whole message

# Defects meaning parts are missing, not merely oddly written.
_TRUNCATION = ("CloseBoundaryNotFoundDefect", "StartBoundaryNotFoundDefect")
_RECIPIENT_HEADERS = (
    "To",
    "Cc",
    "Delivered-To",
    "X-Original-To",
    "Envelope-To",
    "X-Envelope-To",
    "Resent-To",
)


def parse_headers(raw: bytes) -> ParsedMail:
    """Only the headers (for a message too large to read whole): sender, subject, ids."""
    try:
        msg = BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
        return _headers_of(msg)
    except Exception as exc:  # the log entry is best effort here
        return ParsedMail(problem=f"unreadable headers ({exc.__class__.__name__})")


def _headers_of(msg: Message) -> ParsedMail:
    senders = _addresses(msg, "From")
    name, sender = senders[0] if senders else ("", None)
    refs = message_ids(_header(msg, "In-Reply-To"))
    refs += [i for i in reversed(message_ids(_header(msg, "References"))) if i not in refs]
    ids = message_ids(_header(msg, "Message-ID"))
    recipients = [addr for header in _RECIPIENT_HEADERS for _, addr in _addresses(msg, header)]
    return ParsedMail(
        message_id=ids[0] if ids else None,
        sender=sender,
        sender_name=name,
        subject=_header(msg, "Subject"),
        recipients=tuple(dict.fromkeys(recipients)),
        references=tuple(refs),
    )


def parse_mail(raw: bytes) -> ParsedMail:
    """Everything ticketcore uses from one email. Never raises; see `ParsedMail.problem`."""
    if not raw.strip():
        return ParsedMail(problem="empty message")
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        head = _headers_of(msg)
        if not msg.keys():
            return ParsedMail(problem="not an email: no headers found")
        if head.sender is None:
            return _replace(head, problem="no sender address (From header missing or unreadable)")
        broken = sorted(
            {
                defect.__class__.__name__
                for part in msg.walk()
                for defect in part.defects
                if defect.__class__.__name__ in _TRUNCATION
            }
        )
        if broken:
            return _replace(
                head, problem="truncated or broken MIME structure (" + ", ".join(broken) + ")"
            )
        body = _Body()
        body.collect(msg)
        return _replace(
            head,
            text=tidy("\n\n".join(t for t in body.texts if t.strip())),
            html_only=body.html_only(),
            attachments=tuple(body.attachments),
            automatic=automatic_reason(msg, head.sender),
            notes=tuple(body.notes),
        )
    except Exception as exc:  # the email package has odd corners; never crash on input
        return ParsedMail(problem=f"could not be parsed ({exc.__class__.__name__}: {exc})")


def _replace(mail: ParsedMail, **changes: Any) -> ParsedMail:
    return dataclasses.replace(mail, **changes)


class _Body:
    """Walks the MIME tree: text parts become the body, everything else a file."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.kinds: set[str] = set()
        self.attachments: list[ParsedAttachment] = []
        self.notes: list[str] = []
        self._unnamed = 0

    def html_only(self) -> bool:
        return self.kinds == {"html"}

    def collect(self, part: Message, inline_images: bool = False) -> None:
        ctype = part.get_content_type()
        if part.is_multipart() and ctype != "message/rfc822":
            children = _children(part)
            subtype = part.get_content_subtype()
            if subtype == "alternative":
                self._alternative(children)
            elif subtype == "related" and children:
                root = self._related_root(part, children)
                self.collect(root)
                for child in children:
                    if child is not root:
                        self._files_of(child, inline=True)
            elif subtype == "signed" and children:
                self.collect(children[0])  # the signature part is no use to a reader
            else:
                for child in children:
                    self.collect(child)
            return
        if self._is_body_text(part):
            self._add_text(part)
        else:
            self._add_file(part, inline=inline_images)

    def _alternative(self, children: list[Message]) -> None:
        # Plain text when it says something, else HTML (converted), else whatever multipart
        # holds them; files in the alternatives we do not read (inline images) are still kept.
        def usable(kind: str) -> Message | None:
            for child in children:
                if child.get_content_type() == f"text/{kind}" and self._text_of(child).strip():
                    return child
            return None

        chosen = usable("plain") or usable("html")
        if chosen is None:
            chosen = next((c for c in children if c.is_multipart()), None)
        if chosen is not None:
            self.collect(chosen)
        for child in children:
            if child is not chosen and (child.is_multipart() or not self._is_body_text(child)):
                self._files_of(child, inline=True)

    @staticmethod
    def _related_root(part: Message, children: list[Message]) -> Message:
        start = part.get_param("start")
        if isinstance(start, str):
            for child in children:
                if (child.get("Content-ID") or "").strip() == start.strip():
                    return child
        return children[0]

    def _files_of(self, part: Message, inline: bool) -> None:
        """The files inside a part whose text is not used (an alternative not chosen)."""
        if part.is_multipart() and part.get_content_type() != "message/rfc822":
            for child in _children(part):
                self._files_of(child, inline)
        elif not self._is_body_text(part):
            self._add_file(part, inline)

    @staticmethod
    def _is_body_text(part: Message) -> bool:
        if part.get_content_type() not in ("text/plain", "text/html"):
            return False
        disposition = (part.get_content_disposition() or "inline").lower()
        return disposition == "inline" and not part.get_filename()

    def _text_of(self, part: Message) -> str:
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            return ""
        text = decode_text(payload, part.get_content_charset())
        if part.get_content_type() == "text/html":
            return html_to_text(text)
        if str(part.get_param("format") or "").lower() == "flowed":
            return unflow(text, delsp=str(part.get_param("delsp") or "").lower() == "yes")
        return text

    def _add_text(self, part: Message) -> None:
        self.kinds.add(part.get_content_subtype())
        self.texts.append(self._text_of(part))

    def _add_file(self, part: Message, inline: bool) -> None:
        ctype = part.get_content_type()
        if ctype in ("application/pgp-signature", "application/pkcs7-signature"):
            return
        if ctype == "message/rfc822":
            content, name = _attached_message(part)
        else:
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
            name = _clean_header(part.get_filename() or "")
        if not name:
            self._unnamed += 1
            stem = "image" if part.get_content_maintype() == "image" else "attachment"
            extension = mimetypes.guess_extension(ctype) or ".bin"
            name = f"{stem}-{self._unnamed}{extension}"
        if not content:
            self.notes.append(f"{name}: the file is empty")
            return
        disposition = (part.get_content_disposition() or "").lower()
        self.attachments.append(
            ParsedAttachment(
                filename=name[:255],
                content=content,
                content_type=ctype,
                inline=inline or (disposition == "inline" and ctype.startswith("image/")),
            )
        )


def _children(part: Message) -> list[Message]:
    payload = part.get_payload()
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def _attached_message(part: Message) -> tuple[bytes, str]:
    """A forwarded-as-attachment email, saved as an `.eml` file named after its subject."""
    inner = part.get_payload(0) if part.is_multipart() else None
    if not isinstance(inner, Message):
        payload = part.get_payload(decode=True)
        return (payload if isinstance(payload, bytes) else b""), "forwarded-message.eml"
    try:
        content = inner.as_bytes(policy=email.policy.default.clone(linesep="\r\n"))
    except Exception:  # a generator refusing an odd header: keep what was received
        content = inner.as_bytes(policy=email.policy.compat32)
    subject = re.sub(r"[^\w\- ]+", "", _header(inner, "Subject")).strip()[:80]
    return content, f"{subject or 'forwarded-message'}.eml"


def fingerprint(raw: bytes) -> str:
    """A stand-in Message-ID for mail without one, so a redelivery is still a duplicate."""
    return f"<{hashlib.sha256(raw).hexdigest()}@no-message-id.invalid>"
