"""Markdown to safe HTML: the only place bleach is imported.

User text is rendered once, on write (CommonMark via markdown-it-py, raw HTML off), then
sanitized with an allow-list; bare URLs become links; every link gets
rel="nofollow ugc noopener". `@handle` mentions are returned to the caller; those of a live
account (its current handle or an earlier one) link to its profile, resolved in one query
per render; any other stays plain text. The link names the handle as it is now; an earlier
one still leads there (`/users/<old>` redirects).

A post's HTML is bounded: Markdown can multiply its text (one reference link used 16,000
times repeats its URL each time: 50,000 characters became 7.7 MB). A text whose tokens would
render to more than RENDERED_MAX characters is shown as escaped text instead, its lines and
paragraphs kept: at most 5 characters for each one typed (`&` -> `&amp;`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser

import bleach
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import escape

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tr", "th", "td", "span",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel"],
    "ol": ["start"],
    "span": ["class"],
    "th": ["align"],
    "td": ["align"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"
RENDERED_MAX = 200_000  # characters of HTML for one post (4 times the longest body)
# Elements in one post, and how deep they nest. Sanitizing costs per element, and more
# than linearly with depth (20,000 nested emphases took bleach 2.3 s): past either bound,
# the post shows as text. A long post of 800 links, 800 bold words and 800 paragraphs
# opens 2,400 elements; an honest post never nests 100 deep.
ELEMENTS_MAX = 5_000
DEPTH_MAX = 100
MENTION_RE = re.compile(r"(?<![\w@/.])@([a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?)", re.IGNORECASE)


@dataclass
class Rendered:
    html: str
    mentions: set[str] = field(default_factory=set)


@cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    md.enable("table").enable("strikethrough").enable("linkify")
    return md


def _set_link_rel(tokens: list[Token]) -> None:
    """Every link, written or a bare URL made into one, gets rel="nofollow ugc noopener"."""
    for token in tokens:
        for child in token.children or ():
            if child.type == "link_open":
                child.attrSet("rel", LINK_REL)


def _mark_mentions(tokens: list[Token], found: set[str]) -> list[tuple[Token, str]]:
    """Cut the @handles out of text tokens (never in code or links) into tokens of their
    own, filled once the handles are resolved; collect the handles."""
    marks: list[tuple[Token, str]] = []
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        children: list[Token] = []
        in_link = 0
        for child in token.children:
            if child.type == "link_open":
                in_link += 1
            elif child.type == "link_close":
                in_link -= 1
            if child.type != "text" or in_link or "@" not in child.content:
                children.append(child)
                continue
            pos = 0
            for match in MENTION_RE.finditer(child.content):
                handle = match.group(1).lower()
                found.add(handle)
                if match.start() > pos:
                    children.append(_text(child.content[pos : match.start()]))
                html = Token("html_inline", "", 0)
                html.content = f"@{handle}"  # plain text until resolved (_fill_mentions)
                children.append(html)
                marks.append((html, handle))
                pos = match.end()
            if pos < len(child.content):
                children.append(_text(child.content[pos:]))
        token.children = children
    return marks


def _resolve(handles: set[str]) -> dict[str, str]:
    """{handle: the live account's current handle}: one query (forum/people/services.py),
    when there is a database to ask (an app context)."""
    from flask import has_app_context

    if not handles or not has_app_context():
        return {}
    from forum.people.services import resolve_handles

    return resolve_handles(handles)


def _fill_mentions(marks: list[tuple[Token, str]], resolved: dict[str, str]) -> None:
    """A known handle becomes a link to the profile; an unknown one stays text."""
    for token, handle in marks:
        now = resolved.get(handle)
        if now is not None:
            token.content = (
                f'<a href="/users/{escape(now)}" rel="{LINK_REL}">'
                f'<span class="mention">@{handle}</span></a>'
            )


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


# The escapes markdown-it writes for text, and characters of Unicode's private use area
# that stand for them while bleach works: html5lib parses each character reference one
# by one, 40 times slower than plain text (a post of 40,000 "<" took a second). Only
# escapes are put back, so nothing bleach removed can come back.
_ESCAPES = {"&lt;": "\ue000", "&gt;": "\ue001", "&amp;": "\ue002", "&quot;": "\ue003"}


def clean_html(html: str) -> str:
    """Keep only allowed tags, attributes and URL schemes."""
    stand_ins = not any(char in html for char in _ESCAPES.values())
    if stand_ins:
        for escape_, char in _ESCAPES.items():
            html = html.replace(escape_, char)
    cleaned = bleach.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    if stand_ins:
        for escape_, char in _ESCAPES.items():
            cleaned = cleaned.replace(char, escape_)
    # Only the mention marker survives as a span class.
    return re.sub(r'<span class="(?!mention")[^"]*">', "<span>", cleaned)


def _token_size(token: Token) -> int:
    size = sum(len(str(value)) for value in (token.attrs or {}).values())
    if token.tag:
        size += len(token.tag) + 2  # <tag> or </tag>
    if token.type == "link_open":
        size += len(LINK_REL) + 8  # added by _set_link_rel
    return size + (0 if token.children else len(token.content))  # inline: its children


def _rendered_size(tokens: list[Token]) -> int:
    """About how many characters the tokens render to, without rendering them (escaping
    may add up to 4 per character of text: the rendered HTML is checked again)."""
    return sum(
        _token_size(token) + sum(_token_size(child) for child in token.children or ())
        for token in tokens
    )


def _too_many_elements(tokens: list[Token]) -> bool:
    """More than ELEMENTS_MAX elements, or nested deeper than DEPTH_MAX."""
    opened = depth = 0
    for token in tokens:
        for part in (token, *(token.children or ())):
            if part.nesting == 1 or (part.nesting == 0 and part.tag):
                opened += 1
            depth += part.nesting
            if depth > DEPTH_MAX or opened > ELEMENTS_MAX:
                return True
    return False


def _as_text(text: str) -> str:
    """The text escaped, in paragraphs and lines: what a post too heavy for Markdown shows."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n".join(
        "<p>" + "<br>\n".join(str(escape(line)) for line in paragraph.splitlines()) + "</p>"
        for paragraph in paragraphs
        if paragraph.strip()
    )


def render_markdown(text: str) -> Rendered:
    """Markdown as typed -> sanitized HTML and the @handles it mentions; escaped text when
    the Markdown would render to more than RENDERED_MAX characters."""
    text = text.replace("\x00", "")  # never storable (PostgreSQL), never meaningful
    md = _markdown()
    env: dict = {}
    tokens = md.parse(text, env)
    mentions: set[str] = set()
    marks = _mark_mentions(tokens, mentions)
    _fill_mentions(marks, _resolve(mentions))
    if _rendered_size(tokens) > RENDERED_MAX or _too_many_elements(tokens):
        return Rendered(html=_as_text(text), mentions=mentions)
    _set_link_rel(tokens)
    html = md.renderer.render(tokens, md.options, env)
    if len(html) > RENDERED_MAX:
        return Rendered(html=_as_text(text), mentions=mentions)
    return Rendered(html=clean_html(html), mentions=mentions)


class _TextOf(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(html: str) -> str:
    """The text a reader sees in HTML this module sanitized, on one line, NOT escaped: for
    the search index, extracts and mails, which escape it where they show it. (The stdlib
    parser: 7 times faster than bleach, which matters when a million posts are indexed.)"""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


def count_links(html: str) -> int:
    return html.count("<a ")
