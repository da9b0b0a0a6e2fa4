"""Message and knowledge-base bodies are written in plain text/Markdown and shown as sanitized
HTML.

Raw HTML in a message is never passed through: markdown-it renders with HTML disabled, and nh3
cleans the result again, so a `<script>` in a reply is shown as text, never run.

Articles add one thing: a YouTube or Vimeo address alone on a line becomes an embedded player.
The player is not made from what the author wrote: the address is parsed, its video id checked
against a strict pattern, and the `<iframe>` written from a fixed template pointing at the
provider's privacy-enhanced player, after the rest has been sanitized. Nothing an author types
can produce any other `<iframe>` or attribute.
"""

from __future__ import annotations

import html
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False}).enable(
    ["table", "strikethrough"]
)

_ALLOWED_TAGS = {
    "p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "th": {"style"},
    "td": {"style"},
}


def render_markdown(text: str) -> str:
    """Render a message body to HTML that is safe to put in a page as it is."""
    return _clean(_markdown.render(text))


def _clean(rendered: str) -> str:
    return nh3.clean(
        rendered,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )


# ---------------------------------------------------------------- articles

# Stands in for a video while the rest is sanitized; the random part keeps an author from
# typing it by chance (typing it on purpose would only embed a video with a valid id anyway).
_VIDEO_MARK = f"ticketcore-video-{secrets.token_hex(6)}"
_VIDEO_PLACEHOLDER = re.compile(
    rf"<p>{_VIDEO_MARK}:(youtube|vimeo):([A-Za-z0-9_-]{{1,20}}):(\d{{0,6}}):([0-9a-f]{{0,20}})</p>"
)
_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_VIMEO_ID = re.compile(r"\d{1,12}")
_VIMEO_HASH = re.compile(r"[0-9a-f]{1,20}")
_YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtube-nocookie.com"}
_YOUTUBE_HOSTS |= {"www.youtube-nocookie.com", "music.youtube.com"}
_VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}
_BLOCK_TAG = re.compile(
    r"</?(?:p|h[1-6]|li|ul|ol|pre|blockquote|table|thead|tbody|tr|th|td|hr|br|figure|figcaption)\b[^>]*>"
)
_TAG = re.compile(r"<[^>]*>")


def render_article(text: str) -> str:
    """Render an article body to HTML that is safe to put in a page as it is: Markdown as for
    messages, and a YouTube or Vimeo address alone on a line as an embedded player."""
    tokens = _mark_videos(_markdown.parse(text))
    rendered = _markdown.renderer.render(tokens, _markdown.options, {})
    return _VIDEO_PLACEHOLDER.sub(_video_html, _clean(rendered))


def article_text(text: str) -> str:
    """The plain text an article body shows (what search indexes and snippets quote)."""
    words = html.unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", render_markdown(text))))
    return " ".join(words.split())


def video_embed(url: str) -> tuple[str, str, int, str] | None:
    """(provider, video id, start second, Vimeo hash) of a YouTube or Vimeo address, else None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.username or parts.password:
        return None
    host = (parts.hostname or "").lower()
    query = parse_qs(parts.query)
    path = [p for p in parts.path.split("/") if p]
    if host in _YOUTUBE_HOSTS or host == "youtu.be":
        if host == "youtu.be":
            video = path[0] if len(path) == 1 else ""
        elif path == ["watch"]:
            video = (query.get("v") or [""])[0]
        elif len(path) == 2 and path[0] in ("embed", "shorts", "live", "v"):
            video = path[1]
        else:
            video = ""
        start = (query.get("t") or query.get("start") or ["0"])[0].removesuffix("s")
        if _YOUTUBE_ID.fullmatch(video):
            return "youtube", video, int(start) if start.isdigit() else 0, ""
        return None
    if host in _VIMEO_HOSTS:
        if host == "player.vimeo.com" and len(path) == 2 and path[0] == "video":
            video, secret = path[1], (query.get("h") or [""])[0]
        elif host != "player.vimeo.com" and len(path) in (1, 2):
            video, secret = path[0], path[1] if len(path) == 2 else ""
        else:
            return None
        if _VIMEO_ID.fullmatch(video) and (not secret or _VIMEO_HASH.fullmatch(secret)):
            return "vimeo", video, 0, secret
    return None


def _video_html(match: re.Match[str]) -> str:
    provider, video, start, secret = match.groups()
    if provider == "youtube":
        player = f"https://www.youtube-nocookie.com/embed/{video}"
        player += f"?start={int(start)}" if start and int(start) else ""
        link = f"https://www.youtube.com/watch?v={video}"
        title = "YouTube video"
    else:
        player = f"https://player.vimeo.com/video/{video}?dnt=1" + (
            f"&amp;h={secret}" if secret else ""
        )
        link = f"https://vimeo.com/{video}" + (f"/{secret}" if secret else "")
        title = "Vimeo video"
    return (
        f'<figure class="ticketcore-video ticketcore-video-{provider}">'
        f'<iframe src="{player}" title="{title}" width="560" height="315" loading="lazy"'
        ' referrerpolicy="strict-origin-when-cross-origin"'
        ' sandbox="allow-scripts allow-same-origin allow-presentation allow-popups"'
        ' allow="fullscreen; picture-in-picture; encrypted-media" allowfullscreen></iframe>'
        f'<figcaption><a href="{link}" rel="nofollow noopener noreferrer">{link}</a></figcaption>'
        "</figure>"
    )


def _mark_videos(tokens: list[Token]) -> list[Token]:
    """Split paragraphs around lines that hold only a video address, each such line becoming a
    paragraph of its own holding a placeholder (replaced by the player after sanitizing)."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        inline = tokens[i + 1] if i + 1 < len(tokens) else None
        if token.type != "paragraph_open" or token.hidden or inline is None:
            out.append(token)
            i += 1
            continue
        lines = _lines(inline.children or [])
        videos = [_line_video(line) for line in lines]
        if not any(videos):
            out.append(token)
            i += 1
            continue
        pending: list[Token] = []
        for line, video in zip(lines, videos, strict=True):
            if video is None:
                if pending:
                    pending.append(Token("softbreak", "br", 0))
                pending.extend(line)
                continue
            out.extend(_paragraph(pending))
            pending = []
            provider, video_id, start, secret = video
            mark = f"{_VIDEO_MARK}:{provider}:{video_id}:{start or ''}:{secret}"
            out.extend(_paragraph([Token("text", "", 0, content=mark)]))
        out.extend(_paragraph(pending))
        i += 3  # paragraph_open, inline, paragraph_close
    return out


def _lines(children: list[Token]) -> list[list[Token]]:
    lines: list[list[Token]] = [[]]
    for child in children:
        if child.type in ("softbreak", "hardbreak"):
            lines.append([])
        else:
            lines[-1].append(child)
    return [line for line in lines if line]


def _line_video(line: list[Token]) -> tuple[str, str, int, str] | None:
    kinds = [t.type for t in line]
    if set(kinds) == {"text"}:
        return video_embed("".join(t.content for t in line))
    if kinds == ["link_open", "text", "link_close"] and line[0].markup == "autolink":
        return video_embed(line[1].content)
    return None


def _paragraph(children: list[Token]) -> list[Token]:
    if not children:
        return []
    inline = Token("inline", "", 0, children=children, content="")
    opening = Token("paragraph_open", "p", 1, block=True)
    return [opening, inline, Token("paragraph_close", "p", -1, block=True)]
