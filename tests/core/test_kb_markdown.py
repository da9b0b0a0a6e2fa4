"""Article bodies: Markdown to sanitized HTML, and video addresses to privacy-enhanced players.

No database: rendering is a pure function.
"""

from __future__ import annotations

import re

import pytest

from ticketcore.rendering import article_text, render_article, video_embed

YOUTUBE_PLAYER = 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"'


def test_headings_code_blocks_tables_images_and_links() -> None:
    html = render_article(
        "# Setting up\n\n## Step one\n\n```python\nprint('hi')\n```\n\n"
        "| Plan | Price |\n|:-----|------:|\n| Pro | 10 |\n\n"
        "![Diagram](https://example.com/d.png)\n\n[Docs](https://example.com/docs)"
    )
    assert "<h1>Setting up</h1>" in html and "<h2>Step one</h2>" in html
    assert '<pre><code class="language-python">print' in html
    assert "<table>" in html and '<td style="text-align:right">10</td>' in html
    assert '<img src="https://example.com/d.png" alt="Diagram">' in html
    assert '<a href="https://example.com/docs" rel="nofollow noopener noreferrer">Docs</a>' in html


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<iframe src="https://evil.example.com"></iframe>',
        "[click](javascript:alert(1))",
        "![x](javascript:alert(1))",
        '<a href="#" onclick="alert(1)">x</a>',
        "<svg onload=alert(1)>",
        "```\n<script>alert(1)</script>\n```",
        'https://www.youtube.com/watch?v=dQw4w9WgXc"onload="alert(1)',
    ],
)
def test_nothing_an_author_types_can_run(body: str) -> None:
    html = render_article(body)
    assert not re.search(r"<(script|svg|iframe)", html)
    for tag in re.findall(r"<[a-z][^>]*>", html):
        assert not re.search(r"\son\w+\s*=", tag), tag  # no event handler
        assert "javascript:" not in tag, tag  # no script address


def test_a_video_address_alone_on_a_line_becomes_a_player() -> None:
    html = render_article(
        "Watch this:\nhttps://youtu.be/dQw4w9WgXcQ\nthen read on.\n\n"
        "<https://vimeo.com/76979871>\n\n"
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s"
    )
    assert "<p>Watch this:</p>" in html and "<p>then read on.</p>" in html
    assert html.count("<iframe") == 3
    assert YOUTUBE_PLAYER in html
    assert 'src="https://player.vimeo.com/video/76979871?dnt=1"' in html
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=42"' in html
    assert 'sandbox="allow-scripts allow-same-origin allow-presentation allow-popups"' in html
    # The plain link stays beside the player, for readers whose browser blocks it.
    assert '<a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ"' in html


@pytest.mark.parametrize(
    "body",
    [
        "See https://youtu.be/dQw4w9WgXcQ for more",  # not alone on its line
        "[the video](https://youtu.be/dQw4w9WgXcQ)",  # a link with its own words stays a link
        "```\nhttps://youtu.be/dQw4w9WgXcQ\n```",  # code stays code
        "https://youtube.evil.example.com/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=short",
        "javascript://youtu.be/dQw4w9WgXcQ",
    ],
)
def test_anything_else_stays_text_or_a_link(body: str) -> None:
    assert "<iframe" not in render_article(body)


def test_video_addresses_are_parsed_strictly() -> None:
    assert video_embed("https://youtu.be/dQw4w9WgXcQ") == ("youtube", "dQw4w9WgXcQ", 0, "")
    assert video_embed("https://m.youtube.com/shorts/dQw4w9WgXcQ") == (
        "youtube",
        "dQw4w9WgXcQ",
        0,
        "",
    )
    assert video_embed("https://vimeo.com/123/abc123") == ("vimeo", "123", 0, "abc123")
    assert video_embed("https://player.vimeo.com/video/123?h=ff") == ("vimeo", "123", 0, "ff")
    assert video_embed("https://vimeo.com/channels/staffpicks") is None
    assert video_embed("https://user:pw@youtu.be/dQw4w9WgXcQ") is None
    assert video_embed("ftp://youtu.be/dQw4w9WgXcQ") is None


def test_article_text_is_what_a_reader_sees() -> None:
    text = article_text("# Title\n\nSome **bold** & `code`.\n\n- one\n- two\n\n<b>raw</b>")
    assert text == "Title Some bold & code. one two <b>raw</b>"
