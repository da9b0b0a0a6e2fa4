"""The words of an email: HTML turned into plain text, and a reply cut down to what is new.

A reply by email carries the whole conversation below it (quoted with `>`, or under an
"On … wrote:" line, or under an Outlook "From: … Sent: …" block) and usually a signature.
The ticket already shows that history, so storing it again would bury each message under
copies of the previous ones. These functions are pure (no database, no settings) so the
rules can be tested line by line; `ticketcore.notify.inbound` decides when to apply them.

Only the standard library is used: HTML is read with `html.parser`, which never raises on
broken markup, so whatever a mail client produced still becomes readable text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = [
    "html_to_text",
    "strip_quoted_reply",
    "strip_signature",
    "ticket_subject",
    "tidy",
    "unflow",
]

# ------------------------------------------------------------------ HTML to text

_SKIPPED = frozenset({"head", "style", "script", "title", "template", "noscript"})
_PARAGRAPHS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "pre", "blockquote"}
)
_LINES = frozenset(
    {
        "div", "tr", "li", "dt", "dd", "section", "article", "header", "footer", "address",
        "center", "form", "fieldset", "figure", "figcaption", "main", "nav", "aside", "caption",
    }
)  # fmt: skip
_SPACE = re.compile(r"[ \t\r\n\f\v\xa0\u200b]+")


class _TextWriter(HTMLParser):
    """Collects (quote depth, text) lines; a `<blockquote>` becomes `>`-quoted lines so the
    quote stripping below treats HTML and plain-text replies alike."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []
        self.current: list[str] = []
        self.line_depth = 0
        self.depth = 0  # blockquote nesting
        self.skip = 0  # inside <head>, <style>, <script>…
        self.pre = 0
        self.pending = 0  # newlines owed before the next text: 1 ends a line, 2 leaves a gap
        self.lists: list[list[int]] = []  # per open list: [is_ordered, items so far]
        self.links: list[tuple[str, int]] = []  # href and where its text starts

    # -- events

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self.skip = 0  # a page that never closed its <head>
        if tag in _SKIPPED:
            self.skip += 1
            return
        if self.skip:
            return
        attributes = dict(attrs)
        if tag == "br":
            self._end_line(force=True)
        elif tag == "hr":
            self._want(1)
            self._write("________________________________")
            self._want(1)
        elif tag == "img":
            alt = (attributes.get("alt") or "").strip()
            if alt:
                self._write(f"[{alt}]")
        elif tag == "blockquote":
            self._want(2)
            self.depth += 1
        elif tag in ("ul", "ol"):
            self._want(1 if self.lists else 2)
            self.lists.append([tag == "ol", 0])
        elif tag == "li":
            self._want(1)
            if self.lists:
                self.lists[-1][1] += 1
                ordered, number = self.lists[-1]
                self._write(f"{number}. " if ordered else "- ")
            else:
                self._write("- ")
        elif tag in ("td", "th"):
            if self.current:
                self._write("  ")
        elif tag == "a":
            self.links.append((attributes.get("href") or "", len(self._joined())))
        elif tag == "pre":
            self._want(2)
            self.pre += 1
        elif tag in _PARAGRAPHS:
            self._want(2)
        elif tag in _LINES:
            self._want(1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "hr", "img"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag == "blockquote":
            self._want(2)
            self.depth = max(0, self.depth - 1)
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self._want(1 if self.lists else 2)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            self._link_target(href, self._joined()[start:])
        elif tag == "pre":
            self._end_line()  # while still inside <pre>: its spaces are kept
            self.pre = max(0, self.pre - 1)
            self._want(2)
        elif tag in _PARAGRAPHS:
            self._want(2)
        elif tag in _LINES:
            self._want(1)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            first, *rest = data.replace("\r\n", "\n").split("\n")
            self._write(first, raw=True)
            for piece in rest:
                self._end_line(force=True)
                self._write(piece, raw=True)
            return
        text = _SPACE.sub(" ", data)
        if text.strip():
            self._write(text)
        elif text and self.current:
            self._write(" ")

    # -- building lines

    def _joined(self) -> str:
        return "".join(self.current)

    def _link_target(self, href: str, text: str) -> None:
        # Keep where a link points when its text does not say it: the body is plain text.
        href = href.strip()
        shown = href.removeprefix("mailto:")
        if not href.startswith(("http://", "https://", "mailto:")) or not text.strip():
            return
        if shown.rstrip("/") in text or text.strip().rstrip("/") in (shown.rstrip("/"), href):
            return
        self._write(f" ({shown})")

    def _want(self, newlines: int) -> None:
        self.pending = max(self.pending, newlines)

    def _write(self, text: str, raw: bool = False) -> None:
        if self.pending:
            if self.current:
                self._end_line()
                self.links = [(href, 0) for href, _ in self.links]  # the link starts this line
            if self.pending > 1 and self.lines and self.lines[-1][1]:
                # A gap before a quote belongs outside it, one after it inside the outer one.
                self.lines.append((min(self.lines[-1][0], self.depth), ""))
            self.pending = 0
        if not self.current:
            self.line_depth = self.depth
            if not raw:
                text = text.lstrip()
                if not text:
                    return
        elif not raw and text.startswith(" ") and self.current[-1].endswith(" "):
            text = text[1:]
        self.current.append(text)

    def _end_line(self, force: bool = False) -> None:
        if self.current:
            line = self._joined()
            self.lines.append((self.line_depth, line if self.pre else line.strip()))
            self.current = []
        elif force:
            self.lines.append((self.depth, ""))
        if force:
            self.pending = 0

    def text(self) -> str:
        self._end_line()
        rendered = []
        for depth, line in self.lines:
            marker = ">" * depth
            rendered.append(f"{marker} {line}" if marker and line else marker + line)
        return tidy("\n".join(rendered))


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML email body: paragraphs, line breaks, lists, link
    targets and `>`-quoted blockquotes; styles, scripts and the `<head>` dropped."""
    writer = _TextWriter()
    writer.feed(html)
    writer.close()
    return writer.text()


def tidy(text: str) -> str:
    """Unix newlines, no trailing spaces, at most one blank line in a row, no outer blanks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = text.replace("\ufeff", "")  # byte order marks some clients put inside quotes
    lines = [line.rstrip() for line in text.split("\n")]
    kept: list[str] = []
    for line in lines:
        if not line and (not kept or not kept[-1]):
            continue
        kept.append(line)
    return "\n".join(kept).strip("\n")


# ------------------------------------------------------------------ format=flowed


def unflow(text: str, delsp: bool = False) -> str:
    """Join the soft line breaks of a `format=flowed` text part (RFC 3676).

    Thunderbird and Apple Mail wrap paragraphs at 72 columns and mark each wrap with a
    trailing space; joining them gives back the paragraphs as typed. Quote depth is kept.
    """
    out: list[str] = []
    paragraph: tuple[int, str] | None = None

    def render(depth: int, line: str) -> str:
        return f"{'>' * depth} {line}".rstrip() if depth else line

    for raw in text.replace("\r\n", "\n").split("\n"):
        depth = len(raw) - len(raw.lstrip(">"))
        content = raw[depth:]
        if content.startswith(" "):  # space-stuffing (RFC 3676, 4.4)
            content = content[1:]
        if paragraph is not None and paragraph[0] != depth:
            out.append(render(*paragraph))
            paragraph = None
        joined = (paragraph[1] if paragraph else "") + content
        if content.endswith(" ") and content.rstrip() != "--":
            paragraph = (depth, joined[:-1] if delsp else joined)
        else:
            out.append(render(depth, joined))
            paragraph = None
    if paragraph is not None:
        out.append(render(*paragraph))
    return "\n".join(out)


# ------------------------------------------------------------------ quoted history

# "On <date>, <name> wrote:" as the common clients write it, one pattern per language.
# Matched against up to three joined lines, since plain-text parts wrap it at ~76 characters.
_ATTRIBUTION = re.compile(
    r"""^(?:
        On\s.+\swrote:                                  # Gmail, Apple Mail, Thunderbird (en)
      | .{0,80}\swrote:                                 # "Ann Smith wrote:", "Ann <a@x> wrote:"
      | Am\s.+\sschrieb\s.+:                            # de
      | .{0,80}\sschrieb:                               # de, short
      | Le\s.+\sa\s[ée]crit\s?:                         # fr
      | El\s.+\sescribi[óo]\s?:                         # es
      | Em\s.+\sescreveu\s?:                            # pt
      | Il\s.+\sha\sscritto\s?:                         # it
      | Op\s.+\sschreef\s.+:                            # nl
      | Den\s.+\sskrev\s.+:                             # sv, da, nb
      | .{0,80}\sskrev\s?:                              # sv, da, nb, short
      | W\sdniu\s.+\snapisa[łl]\S*\s?:                  # pl
      | .+\s(?:пишет|написал\S*)\s?:                    # ru
      | .+(?:写道|寫道)\s?[:\uff1a]                          # zh
      | .+(?:のメッセージ|書きました|wrote)\s?[:\uff1a]        # ja
      | \d{4}年\d{1,2}月\d{1,2}日.+[:\uff1a]                  # ja (Gmail: "2024年1月15日(月) … <a@x>:")
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# Separators above a forwarded or replied-to message (Outlook, Thunderbird, Lotus, Yahoo).
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*[-_=]{2,}\s*(?:Original\s+Message|Ursprüngliche\s+Nachricht|Message\s+d'origine|"
    r"Mensaje\s+original|Messaggio\s+originale|Oorspronkelijk\s+bericht|"
    r"Originalmeddelande|Alkuperäinen\s+viesti|Oprindelig\s+meddelelse|Opprinnelig\s+melding|"
    r"Исходное\s+сообщение|Reply\s+message)\s*[-_=]{2,}\s*$",
    re.IGNORECASE,
)
# The header block Outlook puts above the message it replies to ("From: … Sent: … To: …").
_HEADER_FROM = re.compile(
    r"^\s*\*?(?:From|De|Von|Van|Da|Från|Fra|Od|От|Lähettäjä|差出人|发件人|寄件者)\s*:\*?\s*\S",
    re.IGNORECASE,
)
_HEADER_DATE = re.compile(
    r"^\s*\*?(?:Sent|Date|Gesendet|Datum|Envoyé|Enviado(?:\s+el)?|Inviato|Data|Verzonden|"
    r"Skickat|Sendt|Wysłano|Отправлено|Дата|Lähetetty|送信日時|日付|发送时间|寄件日期)\s*:",
    re.IGNORECASE,
)
_HEADER_OTHER = re.compile(
    r"^\s*\*?(?:To|Cc|Subject|An|Betreff|À|Objet|Para|Asunto|Assunto|A|Oggetto|Aan|"
    r"Onderwerp|Till|Ämne|Til|Emne|Do|Temat|Кому|Тема|Vastaanottaja|Aihe|宛先|件名|收件人|主题|"
    r"收件者|主旨)\s*:",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*[-_=—]{5,}\s*$")
# A message forwarded on purpose: what follows is content, even though it looks like history.
_FORWARDED = re.compile(
    r"^\s*(?:[-_=]{2,}\s*(?:Forwarded\s+message|Weitergeleitete\s+Nachricht|"
    r"Message\s+transf[ée]r[ée]|Mensaje\s+reenviado|Messaggio\s+inoltrato|"
    r"Doorgestuurd\s+bericht)\s*[-_=]*|Begin\s+forwarded\s+message\s*:)\s*$",
    re.IGNORECASE,
)


def _quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _attribution_at(lines: list[str], index: int) -> int | None:
    """The index of the last line of an attribution starting at `index`, else None."""
    joined = ""
    for end in range(index, min(index + 3, len(lines))):
        part = lines[end].strip()
        if not part or _quoted(part):
            return None
        joined = f"{joined} {part}".strip()
        if len(joined) < 400 and _ATTRIBUTION.match(joined):
            return end
    return None


def _header_block_at(lines: list[str], index: int) -> bool:
    """True when an Outlook-style "From: …" line starts a block with a date and To/Subject."""
    if not _HEADER_FROM.match(lines[index]):
        return False
    following = [line for line in lines[index + 1 : index + 8] if line.strip()][:5]
    return any(_HEADER_DATE.match(line) for line in following) and any(
        _HEADER_OTHER.match(line) for line in following
    )


def strip_quoted_reply(text: str) -> str:
    """The new part of a reply: quoted history and the signature removed.

    * Everything from an Outlook "-----Original Message-----" line or a "From: … Sent: …"
      header block on is history (those clients never interleave answers), unless a
      "Forwarded message" line comes first: a forward is content, not history.
    * An "On … wrote:" line (in several languages) followed only by `>`-quoted lines is cut
      with them; `>` lines at the end are cut too. Quotes answered inline stay, so each answer
      keeps the question it answers.
    * The signature goes first (`strip_signature`): a `-- ` line sits below the text, and
      clients that reply above the quote put it above the quote as well.

    Returns "" when nothing new is left; the caller decides what to store then.
    """
    lines = strip_signature(text).split("\n")
    for index, line in enumerate(lines):
        if _FORWARDED.match(line):
            break  # below is a forwarded message the sender wants us to read
        if _ORIGINAL_MESSAGE.match(line) or _header_block_at(lines, index):
            lines = lines[:index]
            break
    for index in range(len(lines)):
        end = _attribution_at(lines, index)
        if end is not None and all(_quoted(rest) or not rest.strip() for rest in lines[end + 1 :]):
            lines = lines[:index]
            break
    while lines and (_quoted(lines[-1]) or not lines[-1].strip() or _RULE.match(lines[-1])):
        lines.pop()
    return tidy("\n".join(lines))


# ------------------------------------------------------------------ signatures

_SIGNATURE_DELIMITER = re.compile(r"^--\s*$")
# What phones and mail apps append by themselves; nobody writes these as content.
_DEVICE_SIGNATURE = re.compile(
    r"^\s*(?:Sent\s+from\s+(?:my\s+)?(?:iPhone|iPad|Android|Samsung|Galaxy|BlackBerry|"
    r"mobile|Huawei|Xiaomi|Pixel|Mail\s+for\s+Windows|Outlook|Yahoo\s+Mail|ProtonMail|Proton\s+Mail)"
    r"|Get\s+Outlook\s+for\s+(?:iOS|Android)"
    r"|Von\s+meinem\s+\S+(?:\s+\S+)?\s+gesendet"
    r"|Envoy[ée]\s+(?:de|depuis)\s+mon\s+\S+"
    r"|Enviado\s+desde\s+mi\s+\S+"
    r"|Enviado\s+do\s+meu\s+\S+"
    r"|Inviato\s+da\s+(?:iPhone|iPad|Android|\S+)"
    r"|Verzonden\s+(?:met|vanaf)\s+(?:mijn\s+)?\S+"
    r"|Skickat\s+från\s+min\s+\S+"
    r"|iPhoneから送信"
    r")\S*(?:\s+\S+){0,3}\s*$",  # a device name may follow; a sentence may not
    re.IGNORECASE,
)


def strip_signature(text: str) -> str:
    """Text without its signature: everything from a `-- ` line, or a "Sent from my iPhone"
    style line the device added."""
    lines = tidy(text).split("\n")
    for index, line in enumerate(lines):
        if _SIGNATURE_DELIMITER.match(line) or _DEVICE_SIGNATURE.match(line):
            lines = lines[:index]
            break
    return tidy("\n".join(lines))


# ------------------------------------------------------------------ subjects

# "Re:", "Fwd:" and their translations ("AW:", "SV:", "RV:", "回复:"…), repeated or numbered.
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|aw|wg|sv|vs|tr|rv|antw|odp|enc|res|r|i|ynt|ilt|转发|回复|答复)"
    r"(?:\[\d+\])?\s*[:\uff1a]\s*)+",
    re.IGNORECASE,
)


def ticket_subject(subject: str) -> str:
    """The subject of a ticket opened by email: without "Re:"/"Fwd:" prefixes, never empty."""
    cleaned = " ".join(_REPLY_PREFIX.sub("", subject).split())
    return cleaned or " ".join(subject.split()) or "(no subject)"
