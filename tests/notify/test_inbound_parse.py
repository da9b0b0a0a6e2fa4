"""Reading email without a database: charsets, encoded headers, MIME shapes, HTML to text,
quoted history and signatures, automatic mail. What the corpus shows whole, line by line."""

# ruff: noqa: RUF001  (en dashes, Cyrillic and full-width colons are what these tests are about)

from __future__ import annotations

import base64
import quopri
from email.header import Header

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketcore.notify.inbound_parse import (
    decode_text,
    fingerprint,
    message_ids,
    parse_headers,
    parse_mail,
)
from ticketcore.notify.inbound_text import (
    html_to_text,
    strip_quoted_reply,
    strip_signature,
    ticket_subject,
    unflow,
)


def mail(headers: str, body: bytes | str = b"Hello\n", **extra: str) -> bytes:
    head = "From: Carol <carol@acme.example.com>\nTo: support@example.com\n" + headers
    for name, value in extra.items():
        head += f"{name.replace('_', '-')}: {value}\n"
    data = body.encode() if isinstance(body, str) else body
    return head.encode() + b"\n" + data


# ------------------------------------------------------------------ charsets


@pytest.mark.parametrize(
    ("payload", "charset", "expected"),
    [
        ("Grüße €".encode(), "utf-8", "Grüße €"),
        ("Grüße".encode("latin-1"), "iso-8859-1", "Grüße"),
        # Labelled Latin-1, written by Windows: 0x80 is €, 0x93/0x94 are curly quotes.
        (b"\x93quoted\x94 \x80 5", "iso-8859-1", "“quoted” € 5"),
        ("“quoted” – €".encode("cp1252"), "windows-1252", "“quoted” – €"),
        # Unlabelled or labelled ASCII but really UTF-8 (or Windows-1252).
        ("Café".encode(), None, "Café"),
        ("Café".encode(), "us-ascii", "Café"),
        ("Café".encode("cp1252"), "us-ascii", "Café"),
        # A charset Python does not know: read as UTF-8.
        ("naïve".encode(), "x-unknown-charset", "naïve"),
        # Outlook's name for Korean, and GBK characters labelled GB2312.
        ("안녕하세요".encode("cp949"), "ks_c_5601-1987", "안녕하세요"),
        ("镕".encode("gb18030"), "gb2312", "镕"),
        # ISO-2022-JP with half-width katakana (a common extension Japanese mailers send).
        ("ﾃｽﾄです".encode("iso2022_jp_ext"), "iso-2022-jp", "ﾃｽﾄです"),
        ("テスト".encode("iso-2022-jp"), "ISO-2022-JP", "テスト"),
        # UTF-8 labelled but broken: never an exception.
        (b"abc \xff\xfe def", "utf-8", "abc ÿþ def"),
    ],
)
def test_text_is_decoded_whatever_the_label_says(payload, charset, expected):
    assert decode_text(payload, charset) == expected


def test_bodies_in_every_transfer_encoding_are_decoded():
    text = "Grüße aus Köln - 10 €"
    qp = quopri.encodestring(text.encode("iso-8859-15")).decode()
    b64 = base64.b64encode(text.encode()).decode()
    parsed_qp = parse_mail(
        mail(
            "Subject: qp\nContent-Type: text/plain; charset=iso-8859-15\n"
            "Content-Transfer-Encoding: quoted-printable\n",
            qp,
        )
    )
    parsed_b64 = parse_mail(
        mail(
            "Subject: b64\nContent-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: base64\n",
            b64,
        )
    )
    parsed_8bit = parse_mail(
        mail(
            "Subject: 8bit\nContent-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: 8bit\n",
            text.encode(),
        )
    )
    assert parsed_qp.text == parsed_b64.text == parsed_8bit.text == text


# ------------------------------------------------------------------ headers


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("=?UTF-8?Q?Caf=C3=A9_au_lait?=", "Café au lait"),
        ("=?utf-8?B?8J+OiSBkb25l?=", "🎉 done"),
        ("=?ISO-8859-1?Q?Gr=FC=DFe?=", "Grüße"),
        ("=?windows-1252?Q?=93Quoted=94_=80?=", "“Quoted” €"),
        (Header("プリンター", "iso-2022-jp").encode(), "プリンター"),
        # Two encoded words: the space between them is not part of the text (RFC 2047).
        ("=?UTF-8?Q?Hel?= =?UTF-8?Q?lo?=", "Hello"),
        ("Re: =?UTF-8?Q?R=C3=A9sum=C3=A9?= attached", "Re: Résumé attached"),
        # Folded over two lines.
        ("A long subject\n that was folded", "A long subject that was folded"),
    ],
)
def test_encoded_subjects_are_decoded(header, expected):
    assert parse_mail(mail(f"Subject: {header}\n")).subject == expected


def test_raw_8bit_headers_in_utf8_or_windows_1252_are_read():
    utf8 = b"From: J\xc3\xbcrgen <j@example.de>\nSubject: Gr\xc3\xbc\xc3\x9fe\n\nHi\n"
    latin = b"From: J\xfcrgen <j@example.de>\nSubject: Gr\xfc\xdfe \x80\n\nHi\n"
    assert (parse_mail(utf8).sender_name, parse_mail(utf8).subject) == ("Jürgen", "Grüße")
    assert (parse_mail(latin).sender_name, parse_mail(latin).subject) == ("Jürgen", "Grüße €")


@pytest.mark.parametrize(
    ("from_header", "name", "address"),
    [
        (
            "=?ISO-8859-1?Q?Andr=E9_M=FCller?= <andre@example.de>",
            "André Müller",
            "andre@example.de",
        ),
        ('"Smith, Carol" <carol@acme.example.com>', "Smith, Carol", "carol@acme.example.com"),
        ("carol@acme.example.com", "", "carol@acme.example.com"),
        ("carol@acme.example.com (Carol Smith)", "Carol Smith", "carol@acme.example.com"),
        ('"=?UTF-8?B?5bGx55Sw?=" <yamada@example.co.jp>', "山田", "yamada@example.co.jp"),
    ],
)
def test_sender_name_and_address(from_header, name, address):
    raw = f"From: {from_header}\nSubject: x\n\nHi\n".encode()
    parsed = parse_mail(raw)
    assert (parsed.sender_name, parsed.sender) == (name, address)


def test_recipients_come_from_to_cc_and_the_delivery_headers():
    parsed = parse_mail(
        b"From: c@acme.example.com\nTo: Support <support@example.com>, other@x.example\n"
        b"Cc: support+abc123@example.com\nDelivered-To: support+def456@example.com\n"
        b"X-Original-To: support+ghi789@example.com\n\nHi\n"
    )
    assert parsed.recipients == (
        "support@example.com",
        "other@x.example",
        "support+abc123@example.com",
        "support+def456@example.com",
        "support+ghi789@example.com",
    )


def test_references_list_in_reply_to_first_then_newest_reference():
    parsed = parse_mail(
        mail(
            "Subject: x\nIn-Reply-To: <c@x>\n"
            "References: <a@x>\n <b@x> <c@x>\nMessage-ID:   <me@x>  \n"
        )
    )
    assert parsed.references == ("<c@x>", "<b@x>", "<a@x>")
    assert parsed.message_id == "<me@x>"


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        ("<a@x> <b@y>", ["<a@x>", "<b@y>"]),
        ("<a@x>,<b@y>", ["<a@x>", "<b@y>"]),
        ("a@x", ["<a@x>"]),  # some clients leave the brackets out
        ("Your message of Monday", []),
        ("", []),
    ],
)
def test_message_ids(value, ids):
    assert message_ids(value) == ids


def test_a_mail_without_message_id_gets_a_stable_stand_in():
    raw = mail("Subject: x\n")
    assert parse_mail(raw).message_id is None
    assert fingerprint(raw) == fingerprint(raw) != fingerprint(raw + b"!")
    assert len(fingerprint(raw)) < 255


def test_headers_alone_of_a_huge_mail():
    parsed = parse_headers(mail("Subject: =?UTF-8?Q?Gro=C3=9F?=\nMessage-ID: <big@x>\n", "x" * 10))
    assert (parsed.sender, parsed.subject, parsed.message_id) == (
        "carol@acme.example.com",
        "Groß",
        "<big@x>",
    )


# ------------------------------------------------------------------ MIME shapes


def multipart(subtype: str, *parts: str, boundary: str = "b1") -> str:
    body = "".join(f"--{boundary}\n{part}\n" for part in parts) + f"--{boundary}--\n"
    return f'Content-Type: multipart/{subtype}; boundary="{boundary}"\n\n{body}'


PLAIN = "Content-Type: text/plain; charset=utf-8\n\nplain words\n"
HTML = "Content-Type: text/html; charset=utf-8\n\n<p>html <b>words</b></p>\n"


def test_alternative_prefers_the_text_part():
    parsed = parse_mail(
        mail("Subject: x\nMIME-Version: 1.0\n" + multipart("alternative", PLAIN, HTML))
    )
    assert (parsed.text, parsed.html_only) == ("plain words", False)


def test_alternative_with_an_empty_text_part_uses_the_html():
    empty = "Content-Type: text/plain; charset=utf-8\n\n \n"
    parsed = parse_mail(mail("Subject: x\n" + multipart("alternative", empty, HTML)))
    assert (parsed.text, parsed.html_only) == ("html words", True)


def test_apple_mail_text_around_an_inline_attachment_is_joined():
    pdf = (
        'Content-Type: application/pdf; name="a.pdf"\nContent-Disposition: inline; '
        'filename="a.pdf"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n'
    )
    before = "Content-Type: text/plain; charset=utf-8\n\nSee the file:\n"
    after = "Content-Type: text/plain; charset=utf-8\n\nThanks\n"
    parsed = parse_mail(mail("Subject: x\n" + multipart("mixed", before, pdf, after)))
    assert parsed.text == "See the file:\n\nThanks"
    assert [(a.filename, a.content) for a in parsed.attachments] == [("a.pdf", b"%PDF-1.4\n")]


def test_html_with_inline_images_inside_alternative_keeps_the_images():
    image = (
        "Content-Type: image/png\nContent-ID: <img1>\nContent-Transfer-Encoding: base64\n\n"
        "iVBORw0KGgo=\n"
    )
    related = multipart("related", HTML, image, boundary="b2").replace("\n\n--b2", "\n--b2", 1)
    parsed = parse_mail(mail("Subject: x\n" + multipart("alternative", PLAIN, related)))
    assert parsed.text == "plain words"
    assert [(a.filename, a.inline) for a in parsed.attachments] == [("image-1.png", True)]


def test_signed_mail_drops_the_signature_part():
    signature = (
        'Content-Type: application/pgp-signature; name="signature.asc"\n\n'
        "-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n"
    )
    parsed = parse_mail(mail("Subject: x\n" + multipart("signed", PLAIN, signature)))
    assert (parsed.text, parsed.attachments) == ("plain words", ())


def test_a_text_file_is_an_attachment_not_body_text():
    notes = (
        'Content-Type: text/plain; charset=utf-8; name="notes.txt"\n'
        'Content-Disposition: attachment; filename="notes.txt"\n\nnot the body\n'
    )
    parsed = parse_mail(mail("Subject: x\n" + multipart("mixed", PLAIN, notes)))
    assert parsed.text == "plain words"
    assert [a.filename for a in parsed.attachments] == ["notes.txt"]


def test_empty_files_are_noted_not_kept():
    empty = 'Content-Type: application/pdf; name="empty.pdf"\nContent-Disposition: attachment\n\n'
    parsed = parse_mail(mail("Subject: x\n" + multipart("mixed", PLAIN, empty)))
    assert parsed.attachments == ()
    assert parsed.notes == ("empty.pdf: the file is empty",)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"", "empty message"),
        (b"\x00\x01\x02 binary junk \xff\xfe", "no headers"),
        (b"Subject: who sent this?\n\nbody\n", "no sender"),
        (b"From: nobody\nSubject: x\n\nbody\n", "no sender"),
        (
            mail('Subject: x\nContent-Type: multipart/mixed; boundary="cut"\n', "--cut\n" + PLAIN),
            "truncated",
        ),
    ],
)
def test_unusable_mail_is_reported_not_raised(raw, problem):
    assert problem in (parse_mail(raw).problem or "")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_no_bytes_make_the_parser_raise(raw):
    parsed = parse_mail(raw)
    assert parsed.problem is not None or parsed.sender is not None


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_no_body_text_makes_the_parser_raise(text):
    parsed = parse_mail(
        mail("Subject: x\nContent-Type: text/html\n", text.encode("utf-8", "replace"))
    )
    assert parsed.problem is None


# ------------------------------------------------------------------ automatic mail


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("Auto-Submitted: auto-replied\n", "Auto-Submitted: auto-replied"),
        ("Auto-Submitted: auto-generated\n", "Auto-Submitted: auto-generated"),
        ("X-Autoreply: yes\n", "X-Autoreply: yes"),
        ("X-Autorespond: vacation\n", "X-Autorespond"),
        ("Precedence: bulk\n", "Precedence: bulk"),
        ("Precedence: junk\n", "Precedence: junk"),
        ("Precedence: list\n", "Precedence: list"),
        ("Return-Path: <>\n", "empty Return-Path"),
        ("X-Failed-Recipients: a@b.example\n", "X-Failed-Recipients"),
        ("X-Ticketcore-Event: agent_replied\n", "ticketcore notification"),
        ("Subject: Automatic reply: your ticket\n", "automatic reply"),
        ("Subject: Out of Office: back Monday\n", "automatic reply"),
        ("Subject: Undeliverable: your ticket\n", "automatic reply"),
        ("Subject: Delivery Status Notification (Failure)\n", "automatic reply"),
        (
            'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\n\n'
            "--r\nContent-Type: text/plain\n\nundeliverable\n--r--",
            "delivery report",
        ),
        # A person's mail that merely talks about these things.
        ("Auto-Submitted: no\n", None),
        ("Precedence: first-class\n", None),
        ("Subject: Out of office settings are broken\n", None),
        ("Subject: Re: automatic replies do not work\n", None),
        ("List-Id: <team.lists.example.org>\n", None),
    ],
)
def test_automatic_mail_is_recognized(headers, reason):
    found = parse_mail(mail(headers)).automatic
    assert (found is None) if reason is None else (reason in (found or ""))


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.com", "postmaster@example.net"])
def test_mail_from_the_mail_system_is_a_bounce(sender):
    raw = f"From: {sender}\nSubject: failure notice\n\nsorry\n".encode()
    assert "bounce" in (parse_mail(raw).automatic or "")


# ------------------------------------------------------------------ HTML to text


def test_html_becomes_readable_text():
    html = """<html><head><title>t</title><style>p{color:red}</style></head><body>
    <h1>Status</h1><p>Line one<br>line&nbsp;two &amp; more</p>
    <ul><li>first</li><li>second<ul><li>nested</li></ul></li></ul>
    <ol><li>one</li><li>two</li></ol>
    <p>See <a href="https://example.com/kb/1">the article</a> or <a href="https://example.com">https://example.com</a>
    or mail <a href="mailto:help@example.com">help@example.com</a>.</p>
    <pre>  code   kept
  as is</pre>
    <table><tr><th>Pages</th><td>12</td></tr><tr><td>Jams</td><td>3</td></tr></table>
    <img src="cid:x" alt="photo"><img src="cid:y">
    <script>alert(1)</script></body></html>"""
    assert html_to_text(html) == (
        "Status\n\nLine one\nline two & more\n\n- first\n- second\n- nested\n\n1. one\n2. two\n\n"
        "See the article (https://example.com/kb/1) or https://example.com or mail "
        "help@example.com.\n\n  code   kept\n  as is\n\nPages  12\nJams  3\n\n[photo]"
    )


def test_blockquotes_become_quoted_lines_at_their_depth():
    html = (
        "<div>My answer</div><div>On Monday Ann wrote:</div>"
        "<blockquote>Question?<blockquote>Older<br>still</blockquote>Back</blockquote>"
    )
    assert html_to_text(html) == (
        "My answer\nOn Monday Ann wrote:\n\n> Question?\n>\n>> Older\n>> still\n>\n> Back"
    )


def test_broken_html_still_gives_text():
    assert html_to_text("<p>Unclosed <b>bold <i>and <div>more") == "Unclosed bold and\nmore"
    assert html_to_text("<head><title>never closed<body>Hello") == "Hello"
    assert html_to_text("") == ""


# ------------------------------------------------------------------ format=flowed


def test_format_flowed_paragraphs_are_joined():
    text = "A long line \nthat goes on.\n\n> quoted soft \n> break\n>\n-- \nsig"
    assert unflow(text) == "A long line that goes on.\n\n> quoted soft break\n>\n-- \nsig"
    assert unflow("joined \nwithout space", delsp=True) == "joinedwithout space"
    assert unflow(" >not a quote, space-stuffed") == ">not a quote, space-stuffed"


# ------------------------------------------------------------------ quoted history


@pytest.mark.parametrize(
    "attribution",
    [
        "On Mon, 15 Jan 2024 at 10:02, Support <support@example.com> wrote:",
        "On Mon, 15 Jan 2024 at 10:02, Support <support@example.com>\nwrote:",
        "On 15.01.24 10:02, Support wrote:",
        "Support <support@example.com> wrote:",
        "Am Mo., 15. Jan. 2024 um 10:02 Uhr schrieb Support <support@example.com>:",
        "Le lun. 15 janv. 2024 à 10:02, Support <support@example.com> a écrit :",
        "El lun, 15 ene 2024 a las 10:02, Support (<support@example.com>) escribió:",
        "Em seg., 15 de jan. de 2024 às 10:02, Support <support@example.com> escreveu:",
        "Il giorno lun 15 gen 2024 alle ore 10:02 Support <support@example.com> ha\nscritto:",
        "Op ma 15 jan 2024 om 10:02 schreef Support <support@example.com>:",
        "Den mån 15 jan. 2024 kl 10:02 skrev Support <support@example.com>:",
        "W dniu 15.01.2024 o 10:02, Support pisze napisał:",
        "пн, 15 янв. 2024 г. в 10:02, Support <support@example.com>:\nпишет:",
        "2024年1月15日(月) 10:02 Support <support@example.com>:",
        "Support <support@example.com> 于2024年1月15日周一 10:02写道：",
    ],
)
def test_attribution_and_quote_are_cut_in_many_languages(attribution):
    text = f"The new answer.\n\n{attribution}\n\n> The old message.\n> More of it.\n"
    assert strip_quoted_reply(text) == "The new answer."


@pytest.mark.parametrize(
    "history",
    [
        "-----Original Message-----\nFrom: Support\nSent: Monday\nTo: Carol\nSubject: x\n\nold",
        "----- Original Message -----\nFrom: Support\nold",
        "-----Ursprüngliche Nachricht-----\nVon: Support\nold",
        "________________________________\nFrom: Support <support@example.com>\n"
        "Sent: Monday, January 15, 2024 10:02\nTo: Carol\nSubject: x\n\nold",
        "From: Support <support@example.com>\nSent: Monday, January 15, 2024 10:02 AM\n"
        "To: Carol Smith <carol@acme.example.com>\nCc: Dave\nSubject: x\n\nold",
        "*From:* Support <support@example.com>\n*Sent:* Monday\n*To:* Carol\n*Subject:* x\n\nold",
        "De : Support <support@example.com>\nEnvoyé : lundi 15 janvier 2024 10:02\n"
        "À : Carol\nObjet : x\n\nold",
        "Von: Support <support@example.com>\nGesendet: Montag, 15. Januar 2024 10:02\n"
        "An: Carol\nBetreff: x\n\nold",
    ],
)
def test_outlook_history_is_cut(history):
    assert strip_quoted_reply(f"Thanks, that worked.\n\nCarol\n\n{history}\n") == (
        "Thanks, that worked.\n\nCarol"
    )


def test_inline_answers_keep_the_questions_they_answer():
    text = (
        "On Monday Ann wrote:\n> Which model is it?\nOfficeJet 9020.\n"
        "> And which tray?\nThe second one.\n>\n> Thanks, Ann\n"
    )
    assert strip_quoted_reply(text) == (
        "On Monday Ann wrote:\n> Which model is it?\nOfficeJet 9020.\n"
        "> And which tray?\nThe second one."
    )


def test_a_reply_below_the_quote_is_kept():
    text = "On Monday Ann wrote:\n> Which model?\n\nThe OfficeJet 9020."
    assert strip_quoted_reply(text) == text


def test_a_forward_inside_a_reply_is_content():
    text = (
        "See what the vendor says:\n\n---------- Forwarded message ---------\n"
        "From: Vendor <v@example.net>\nDate: Mon, 15 Jan 2024\nSubject: Parts\nTo: carol\n\n"
        "The part ships Monday."
    )
    assert strip_quoted_reply(text) == text


def test_a_reply_with_only_history_leaves_nothing():
    assert strip_quoted_reply("\n\nOn Monday Ann wrote:\n> Hello\n> there\n") == ""


def test_words_like_from_in_a_message_are_not_history():
    text = "From: my desk to yours, the printer moved.\nSent: yesterday, by courier."
    assert strip_quoted_reply(text) == text


@pytest.mark.parametrize(
    "signature",
    [
        "-- \nCarol Smith\nOffice Manager",
        "--\nCarol Smith",
        "Sent from my iPhone",
        "Sent from my Galaxy",
        "Get Outlook for iOS",
        "Von meinem iPhone gesendet",
        "Envoyé de mon iPhone",
        "Enviado desde mi iPhone",
        "iPhoneから送信",
    ],
)
def test_signatures_are_cut(signature):
    assert strip_signature(f"See you Monday.\n\n{signature}\n") == "See you Monday."
    assert strip_quoted_reply(f"See you Monday.\n\n{signature}\n\n> old\n") == "See you Monday."


def test_text_that_merely_mentions_phones_is_kept():
    text = "Sent from my iPhone is what it says under every mail, can you remove it?"
    assert strip_signature(text) != ""
    assert strip_signature("I use -- as a dash -- often.") == "I use -- as a dash -- often."


# ------------------------------------------------------------------ subjects


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: Printer jammed", "Printer jammed"),
        ("RE: Fwd: AW: WG: Printer jammed", "Printer jammed"),
        ("Re[2]: Printer", "Printer"),
        ("SV: Skrivare", "Skrivare"),
        ("回复：打印机", "打印机"),
        ("Regarding the printer", "Regarding the printer"),
        ("Re:", "Re:"),
        ("   ", "(no subject)"),
        ("", "(no subject)"),
    ],
)
def test_ticket_subjects_lose_reply_prefixes(subject, expected):
    assert ticket_subject(subject) == expected
