"""Cross-site scripting: payloads modelled on the OWASP XSS filter-evasion cheat sheet.

The checks parse the HTML (html.parser) and walk every tag and attribute: only the tags and
attributes of the allow-list below inside a post, no event handler anywhere, no
`javascript:`/`vbscript:`/`data:` URL, every link with `rel="nofollow ugc noopener"`.

- Every payload goes through `render_markdown` (unit tests, one per payload: the sanitizer).
- Every payload is a post and a thread title of one group, read on every thread page (as a
  visitor and as a coordinator, who sees the most markup), every group page and both feeds.
- Every payload in one post, edited twice: the edit preview, the history, the report form and
  the coordinators' queue.
- A handful go through the real endpoints end to end (CSRF token and sign-in included): the
  reply form and its preview, the new-thread form and its preview.

`tests/browser/test_forum_journeys.py` loads the same PAYLOADS in Chromium and checks that no
script runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from forum.db import utcnow
from forum.discussions import services
from forum.discussions.feeds import FEED_SIZE
from forum.discussions.models import THREADS_PER_PAGE, Post
from forum.extensions import db as _db
from forum.groups.models import Group
from forum.markup import render_markdown
from tests import factories
from tests.conftest import login_as, post_form

ATOM = "{http://www.w3.org/2005/Atom}"
# A base64 HTML document holding <script>alert(1)</script>.
B64_SCRIPT = "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="

# (id, payload). Written for this forum: Markdown with raw HTML off, so both raw HTML and the
# Markdown ways of making links (inline, reference, autolink, image) are tried.
PAYLOADS: list[tuple[str, str]] = [
    # --- <script> in many casings and splittings
    ("script-plain", "<script>alert(1)</script>"),
    ("script-upper", "<SCRIPT>alert(1)</SCRIPT>"),
    ("script-mixed-case", "<ScRiPt>alert(1)</sCrIpT>"),
    ("script-src", '<script src="http://evil.example/xss.js"></script>'),
    ("script-slash-src-no-quotes", "<SCRIPT/SRC=http://evil.example/xss.js></SCRIPT>"),
    ("script-extra-open-bracket", "<<SCRIPT>alert(1);//<</SCRIPT>"),
    ("script-nested-split", "<scr<script>ipt>alert(1)</scr</script>ipt>"),
    ("script-newline-in-tag", "<script\n>alert(1)</script\n>"),
    ("script-gt-in-attribute", '<SCRIPT a=">" SRC="http://evil.example/xss.js"></SCRIPT>'),
    ("script-unclosed", "<script src=//evil.example/x.js?<b>"),
    ("script-in-blockquote", "> <script>alert(1)</script>\n> quoted"),
    ("script-in-list", "- item\n- <script>alert(1)</script>"),
    ("script-html-block", "<div>\n<script>alert(1)</script>\n</div>"),
    # --- event handlers
    ("img-onerror", "<img src=x onerror=alert(1)>"),
    ("img-onmouseover-backticks", "<IMG SRC=# onmouseover=`alert(1)`>"),
    ("img-javascript-src", "<IMG SRC=javascript:alert('XSS')>"),
    ("img-dynsrc", '<IMG DYNSRC="javascript:alert(1)">'),
    ("img-slash-separators", "<img/src=x/onerror=alert(1)>"),
    ("img-quote-breakout", '<IMG """><SCRIPT>alert("XSS")</SCRIPT>">'),
    ("svg-onload", "<svg onload=alert(1)>"),
    ("svg-slash-onload", "<svg/onload=alert(1)//"),
    ("body-onload", "<body onload=alert(1)>"),
    ("body-onpageshow", "<BODY ONPAGESHOW=alert(1)>"),
    ("iframe-onload", "<iframe onload=alert(1)></iframe>"),
    ("details-ontoggle", "<details open ontoggle=alert(1)>x</details>"),
    ("video-source-onerror", "<video><source onerror=alert(1)></video>"),
    ("audio-onerror", "<audio src=x onerror=alert(1)>"),
    ("input-autofocus-onfocus", "<input autofocus onfocus=alert(1)>"),
    ("select-autofocus-onfocus", "<select autofocus onfocus=alert(1)></select>"),
    ("marquee-onstart", "<marquee onstart=alert(1)>x</marquee>"),
    ("div-onmouseover", '<div onmouseover="alert(1)">hover</div>'),
    # --- Markdown links with dangerous schemes
    ("md-link-javascript", "[x](javascript:alert(1))"),
    ("md-link-javascript-mixed-case", "[x](JaVaScRiPt:alert(1))"),
    ("md-link-javascript-decimal-entity", "[x](&#106;avascript:alert(1))"),
    ("md-link-javascript-hex-entity", "[x](&#x6A;avascript:alert(1))"),
    (
        "md-link-javascript-padded-entities",
        "[x](&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105"
        "&#0000112&#0000116&#0000058alert(1))",
    ),
    ("md-link-javascript-colon-entity", "[x](javascript&colon;alert(1))"),
    ("md-link-javascript-tab", "[x](<jav\tascript:alert(1)>)"),
    ("md-link-javascript-tab-entity", "[x](jav&#x09;ascript:alert(1))"),
    ("md-link-javascript-newline-entity", "[x](jav&#x0A;ascript:alert(1))"),
    ("md-link-javascript-leading-junk", "[x]( &#14; javascript:alert(1))"),
    ("md-link-javascript-leading-control", "[x](\x0bjavascript:alert(1))"),
    ("md-link-javascript-percent", "[x](%6Aavascript:alert(1))"),
    ("md-link-javascript-backslash", "[x](java\\script:alert(1))"),
    ("md-link-javascript-angle-brackets", "[x](<javascript:alert(1)>)"),
    ("md-link-javascript-comment-newline", "[x](javascript://%0Aalert(1))"),
    ("md-link-vbscript", "[x](vbscript:msgbox(1))"),
    ("md-link-data-html-base64", f"[x](data:text/html;base64,{B64_SCRIPT})"),
    ("md-link-data-html", "[x](data:text/html,<script>alert(1)</script>)"),
    ("md-link-data-image", "[x](data:image/png;base64,iVBORw0KGgo=)"),
    ("md-link-file", "[x](file:///etc/passwd)"),
    ("md-autolink-javascript", "<javascript:alert(1)>"),
    ("md-autolink-vbscript", "<vbscript:msgbox(1)>"),
    ("md-autolink-data", f"<data:text/html;base64,{B64_SCRIPT}>"),
    ("md-autolink-quote-breakout", '<http://example.org/"onmouseover="alert(1)>'),
    ("md-reference-javascript", "[click][r]\n\n[r]: javascript:alert(1)"),
    ("md-reference-data", f"[click][r]\n\n[r]: data:text/html;base64,{B64_SCRIPT}"),
    ("md-reference-title-breakout", '[click][r]\n\n[r]: http://example.org "a\\" onclick=\\"x"'),
    ("md-image-javascript", "![x](javascript:alert(1))"),
    ("md-image-data-svg", "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)"),
    ("md-image-alt-breakout", '![x" onerror="alert(1)](http://example.org/a.png)'),
    ("md-image-inside-javascript-link", "[![x](x.png)](javascript:alert(1))"),
    ("md-link-title-breakout", '[a](http://example.org "a\\" onmouseover=alert(1) \\"")'),
    ("md-link-title-single-quotes", "[a](http://example.org 'x\\' onmouseover=alert(1) x')"),
    ("md-link-url-quote-breakout", '[a](http://example.org/"onmouseover="alert(1))'),
    ("md-link-text-html", "[<img src=x onerror=alert(1)>](http://example.org)"),
    ("md-link-mailto-html", "[mail](mailto:a@example.org?subject=<script>alert(1)</script>)"),
    ("bare-url-quote-breakout", 'http://example.org/"onmouseover="alert(1)"'),
    ("bare-url-script", "http://example.org/<script>alert(1)</script>"),
    ("bare-www-svg-breakout", "www.example.org/'><svg/onload=alert(1)>"),
    ("bare-javascript-url", "javascript:alert(1)"),
    # --- SVG
    ("svg-animate-onbegin", "<svg><animate onbegin=alert(1) attributeName=x dur=1s>"),
    (
        "svg-animate-href",
        "<svg><a><animate attributeName=href values=javascript:alert(1) />"
        "<text x=20 y=20>X</text></a></svg>",
    ),
    (
        "svg-xlink-href",
        '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">X</text></a></svg>',
    ),
    ("svg-script", "<svg><script>alert(1)</script></svg>"),
    ("svg-set-handler", "<svg><set attributeName=onmouseover to=alert(1)>"),
    # --- style
    ("style-tag-import", "<style>@import 'http://evil.example/xss.css';</style>"),
    ("style-expression", '<div style="width: expression(alert(1));">x</div>'),
    ("style-url-javascript", '<div style="background-image: url(javascript:alert(1))">x</div>'),
    ("style-behavior", '<span style="behavior: url(xss.htc);">x</span>'),
    ("link-stylesheet-javascript", '<link rel="stylesheet" href="javascript:alert(1)">'),
    # --- malformed and nested tags
    ("double-open-img", "<<img src=x onerror=alert(1)//<"),
    ("unclosed-attribute", '<a href="http://example.org onmouseover=alert(1) x="'),
    ("half-open-img", '<IMG SRC="javascript:alert(1)"'),
    (
        "attribute-without-space",
        '<a href="http://example.org/" title="x"onmouseover="alert(1)">x</a>',
    ),
    ("null-byte-in-tag", "<scr\x00ipt>alert(1)</scr\x00ipt>"),
    ("end-title-breakout", "</title><script>alert(1)</script>"),
    ("end-textarea-breakout", "</textarea><script>alert(1)</script>"),
    ("noscript-breakout", '<noscript><p title="</noscript><img src=x onerror=alert(1)>">'),
    # --- entities and encodings
    ("entity-named", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("entity-decimal", "&#60;script&#62;alert(1)&#60;/script&#62;"),
    ("entity-hex-img", "&#x3C;img src=x onerror=alert(1)&#x3E;"),
    ("percent-encoded", "%3Cscript%3Ealert(1)%3C/script%3E"),
    ("utf7", "+ADw-script+AD4-alert(1)+ADw-/script+AD4-"),
    ("fullwidth-brackets", "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e"),
    # --- comments and CDATA
    ("html-comment", "<!--<script>alert(1)</script>-->"),
    ("conditional-comment", "<!--[if gte IE 4]><script>alert(1)</script><![endif]-->"),
    ("cdata", "<![CDATA[<script>alert(1)</script>]]>"),
    ("comment-breakout", "<!-- --!><img src=x onerror=alert(1)> -->"),
    # --- frames, documents, forms, plugins
    ("iframe-srcdoc", '<iframe srcdoc="<script>alert(1)</script>"></iframe>'),
    ("iframe-javascript-src", '<iframe src="javascript:alert(1)"></iframe>'),
    ("frameset", '<frameset><frame src="javascript:alert(1)"></frameset>'),
    ("meta-refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'),
    (
        "meta-refresh-data",
        f'<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html;base64,{B64_SCRIPT}">',
    ),
    ("base-href", '<base href="javascript:alert(1)//">'),
    ("form-action", '<form action="javascript:alert(1)"><input type=submit></form>'),
    ("button-formaction", '<button formaction="javascript:alert(1)">x</button>'),
    ("object-data", '<object data="javascript:alert(1)"></object>'),
    ("embed-src", f'<embed src="data:text/html;base64,{B64_SCRIPT}">'),
    ("math-href", '<math><mtext><a href="javascript:alert(1)">x</a></mtext></math>'),
    (
        "math-maction",
        '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction>'
        "</math>",
    ),
    ("math-mglyph-style", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"),
    # --- mentions, code, tables, headings
    ("mention-followed-by-html", "@membre<img src=x onerror=alert(1)>"),
    ("mention-in-link-text", "[@admin<script>alert(1)</script>](http://example.org)"),
    ("mention-span-forged", '<span class="mention" onclick="alert(1)">@x</span>'),
    ("code-span-html", "`<script>alert(1)</script>` and `<img src=x onerror=alert(1)>`"),
    ("code-block-html", "```html\n<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n```"),
    ("code-info-string-breakout", '```"><script>alert(1)</script>\ncode\n```'),
    (
        "table-cell-html",
        "| a | b |\n|---|---|\n| <script>alert(1)</script> | <svg onload=alert(1)> |",
    ),
    ("heading-html", "# <svg onload=alert(1)>"),
    # --- very long strings
    ("long-attribute", '<img src="' + "x" * 5000 + '" onerror=alert(1)>'),
    ("long-link-url", "[x](http://example.org/" + "a" * 8000 + '" onmouseover="alert(1))'),
    ("long-link-title", '[x](http://example.org "' + "t" * 5000 + '\\" onmouseover=alert(1) x")'),
]

PAYLOAD_PARAMS = [pytest.param(payload, id=name) for name, payload in PAYLOADS]

# What a post may contain: the reviewed allow-list, kept here on purpose rather than imported,
# so that widening forum/markup.py's list is a decision this test makes visible.
POST_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "span",
}  # fmt: skip
POST_ATTRIBUTES = {
    "a": {"href", "title", "rel"},
    "ol": {"start"},
    "span": {"class"},
    "th": {"align"},
    "td": {"align"},
}
POST_SCHEMES = {"http", "https", "mailto"}
LINK_REL = {"nofollow", "ugc", "noopener"}

# Anywhere on a page.
DANGEROUS_SCHEMES = {"javascript", "vbscript", "data", "livescript", "mocha"}
NEVER_ON_A_PAGE = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "style",
}  # fmt: skip
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "data", "xlink:href", "poster", "background",
    "dynsrc", "lowsrc", "codebase", "cite", "longdesc", "ping", "manifest", "icon", "srcset",
    "values", "to", "from", "by",
}  # fmt: skip
VOID_ELEMENTS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr", "keygen", "frame",
}  # fmt: skip


# --- Parsing ---------------------------------------------------------------------------


@dataclass
class Tag:
    name: str
    attrs: list[tuple[str, str | None]]
    raw: str
    ancestors: tuple[Tag, ...] = field(repr=False)

    def attr(self, name: str) -> str | None:
        return next((v for k, v in self.attrs if k == name), None)

    def classes(self) -> set[str]:
        return set((self.attr("class") or "").split())

    def within(self, name: str, *, id: str | None = None, cls: str | None = None) -> bool:
        return any(
            a.name == name
            and (id is None or a.attr("id") == id)
            and (cls is None or cls in a.classes())
            for a in self.ancestors
        )


class TagCollector(HTMLParser):
    """Every start tag with its (decoded) attributes and its open ancestors."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[Tag] = []
        self.comments: list[str] = []
        self.declarations: list[str] = []
        self._open: list[Tag] = []

    def handle_starttag(self, tag, attrs):
        node = Tag(tag, attrs, self.get_starttag_text() or "", tuple(self._open))
        self.tags.append(node)
        if tag not in VOID_ELEMENTS:
            self._open.append(node)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(Tag(tag, attrs, self.get_starttag_text() or "", tuple(self._open)))

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i].name == tag:
                del self._open[i:]
                return

    def handle_comment(self, data):
        self.comments.append(data)

    def unknown_decl(self, data):
        self.declarations.append(data)

    def handle_pi(self, data):
        self.declarations.append(data)


def parse(html: str) -> TagCollector:
    collector = TagCollector()
    collector.feed(html)
    collector.close()
    return collector


def url_scheme(value: str) -> str | None:
    """The scheme a browser would see: tabs and newlines dropped, leading controls trimmed."""
    value = re.sub(r"[\t\n\r]", "", value).lstrip("".join(map(chr, range(0x21))))
    match = re.match(r"([a-zA-Z][a-zA-Z0-9+.\-]*):", value)
    return match.group(1).lower() if match else None


# --- Checks ----------------------------------------------------------------------------


def assert_safe_fragment(html: str, where: str) -> None:
    """Sanitized post HTML: allow-listed tags and attributes only, safe links, rel on links."""
    assert "<script" not in html.lower(), f"{where}: <script in {html!r}"
    parsed = parse(html)
    assert parsed.comments == [], f"{where}: comment kept: {parsed.comments!r}"
    assert parsed.declarations == [], f"{where}: declaration kept: {parsed.declarations!r}"
    for tag in parsed.tags:
        assert_tag_in_post(tag, where)


def assert_tag_in_post(tag: Tag, where: str) -> None:
    assert tag.name in POST_TAGS, f"{where}: tag outside the allow-list: {tag.raw!r}"
    allowed = POST_ATTRIBUTES.get(tag.name, set())
    for name, value in tag.attrs:
        assert not name.startswith("on"), f"{where}: event handler in {tag.raw!r}"
        assert name in allowed, f"{where}: attribute {name!r} not allowed in {tag.raw!r}"
        if name == "href":
            scheme = url_scheme(value or "")
            assert scheme is None or scheme in POST_SCHEMES, f"{where}: href {value!r}"
        if name == "class":
            assert value == "mention", f"{where}: class {value!r} in {tag.raw!r}"
    if tag.name == "a" and (tag.attr("href") or "").lower().startswith("mailto:"):
        # forum/markup.py leaves mail links without rel on purpose (nothing to follow).
        return
    if tag.name == "a":
        rel = set((tag.attr("rel") or "").split())
        assert rel >= LINK_REL, f"{where}: link without rel={' '.join(LINK_REL)}: {tag.raw!r}"


def assert_safe_page(html: str, where: str) -> TagCollector:
    """A whole page: no script, no handler, no dangerous URL, nothing executable."""
    assert "<script" not in html.lower(), f"{where}: <script on the page"
    parsed = parse(html)
    for tag in parsed.tags:
        assert tag.name not in NEVER_ON_A_PAGE, f"{where}: {tag.raw[:200]!r}"
        for name, value in tag.attrs:
            assert not re.match(r"on\w+", name), f"{where}: event handler in {tag.raw[:200]!r}"
            assert name != "srcdoc", f"{where}: srcdoc in {tag.raw[:200]!r}"
            assert name != "style", f"{where}: inline style in {tag.raw[:200]!r}"
            if name in URL_ATTRIBUTES:
                scheme = url_scheme(value or "")
                assert scheme not in DANGEROUS_SCHEMES, f"{where}: {name}={value[:200]!r}"
        if tag.name == "meta":
            assert tag.attr("http-equiv") is None, f"{where}: {tag.raw!r}"
        if tag.name == "link":
            assert tag.within("head"), f"{where}: <link> outside <head>: {tag.raw!r}"
    return parsed


def inside(parsed: TagCollector, container: Tag) -> list[Tag]:
    return [t for t in parsed.tags if any(a is container for a in t.ancestors)]


def post_bodies(parsed: TagCollector, **within) -> list[Tag]:
    return [
        t
        for t in parsed.tags
        if t.name == "div" and "post-body" in t.classes() and (not within or t.within(**within))
    ]


def assert_post_on_page(html: str, post_id: int, body_html: str, where: str) -> None:
    """The post shows its stored HTML, and its body holds only allowed markup."""
    parsed = assert_safe_page(html, where)
    articles = [t for t in parsed.tags if t.name == "article" and t.attr("id") == f"post-{post_id}"]
    assert len(articles) == 1, f"{where}: post-{post_id} not shown once"
    bodies = post_bodies(parsed, name="article", id=f"post-{post_id}")
    assert len(bodies) == 1, f"{where}: the post's body is not shown once"
    for tag in inside(parsed, bodies[0]):
        assert_tag_in_post(tag, where)
    assert body_html in html, f"{where}: the page does not show the stored HTML as is"


def assert_bodies_on_page(html: str, where: str, *, expected: int | None = None, **within):
    """Every post body on a page (or those within a container) holds only allowed markup."""
    parsed = assert_safe_page(html, where)
    bodies = post_bodies(parsed, **within)
    assert bodies, f"{where}: no post body on the page"
    if expected is not None:
        assert len(bodies) == expected, f"{where}: {len(bodies)} post bodies, not {expected}"
    for body in bodies:
        for tag in inside(parsed, body):
            assert_tag_in_post(tag, where)


def assert_feed_inert(http, url: str, *, entries: int) -> None:
    """A feed reader shows each entry's HTML content: it must be as inert as the page."""
    response = http.get(url)
    assert response.status_code == 200, url
    root = ElementTree.fromstring(response.get_data())  # noqa: S314 - our own answer
    found = root.findall(f"{ATOM}entry")
    assert len(found) == entries
    for entry in found:
        content = entry.find(f"{ATOM}content")
        assert content is not None and content.get("type") in ("html", "xhtml", None)
        assert_safe_fragment(content.text or "", f"feed entry {entry.findtext(f'{ATOM}id')}")


# --- Fixtures --------------------------------------------------------------------------


@dataclass
class Scene:
    thread_id: int
    group_slug: str
    poster_id: int


@pytest.fixture
def scene(app, client) -> Scene:
    """A group, a thread, and a signed-in member whose account is old enough to post links."""
    month_ago = utcnow() - timedelta(days=30)
    author = factories.make_user(name="Autrice")
    poster = factories.make_user(name="Posteur")
    author.created_at = poster.created_at = month_ago
    group = factories.make_group()
    thread = services.create_thread(author, group, title="Fil de test", body="Bonjour.")
    _db.session.commit()
    login_as(client, poster)
    return Scene(thread.id, group.slug, poster.id)


def reply(client, thread_id: int, body: str, **extra):
    # ?page=1: a member would otherwise be sent to their first unread post.
    return post_form(
        client,
        f"/threads/{thread_id}/posts",
        {"body": body, **extra},
        form_url=f"/threads/{thread_id}?page=1",
    )


def stored_post(thread_id: int, number: int) -> Post:
    _db.session.rollback()
    post = _db.session.scalar(
        select(Post).where(Post.thread_id == thread_id, Post.number == number)
    )
    assert post is not None
    return post


# --- Tests -----------------------------------------------------------------------------


def test_there_are_at_least_60_distinct_payloads():
    names = [name for name, _ in PAYLOADS]
    assert len(PAYLOADS) >= 60
    assert len(set(names)) == len(names)
    assert len({payload for _, payload in PAYLOADS}) == len(PAYLOADS)


@pytest.mark.parametrize("payload", PAYLOAD_PARAMS)
def test_rendered_payload_is_inert(payload):
    """The sanitizer alone: what is stored in `body_html` and shown as is on every page."""
    html = render_markdown(payload).html
    assert_safe_fragment(html, "render_markdown")
    assert_safe_page(html, "render_markdown")


def test_every_payload_is_inert_on_thread_and_group_pages_and_feeds(app, db):
    """The pages put the stored HTML as is inside their own markup, and the titles escaped:
    each payload as a post and as a thread title, on every page that lists them (the
    thread's pages, the group's, the home page's latest discussions)."""
    month_ago = utcnow() - timedelta(days=30)
    author = factories.make_user(name="Autrice")
    coordinator = factories.make_user(name="Coordinatrice")
    author.created_at = coordinator.created_at = month_ago
    group = factories.make_group()
    factories.add_member(coordinator, group, "coordinator")
    thread = services.create_thread(author, group, title="Fil de test", body="Bonjour.")
    posts = [services.reply(author, thread, body=payload) for _, payload in PAYLOADS]
    for _, payload in PAYLOADS:
        title = ("T " + payload.replace("\n", " "))[: services.TITLE_MAX]
        services.create_thread(author, group, title=title, body="Bonjour.")
    _db.session.commit()
    for (name, payload), post in zip(PAYLOADS, posts, strict=True):
        if "\x00" not in payload:
            assert post.body == payload, name  # kept as typed, for editing
    stored = {post.id: post.body_html for post in posts}

    visitor, moderator = app.test_client(), app.test_client()
    login_as(moderator, coordinator)
    pages = thread.page_count
    assert pages >= 5
    seen: set[int] = set()
    for who, http in (("visitor", visitor), ("coordinator", moderator)):
        for number in range(1, pages + 1):
            response = http.get(f"/threads/{thread.id}?page={number}")
            assert response.status_code == 200
            html = response.get_data(as_text=True)
            on_page = [i for i in stored if f'id="post-{i}"' in html]
            assert on_page, f"{who}: no payload on page {number}"
            for post_id in on_page:
                assert_post_on_page(html, post_id, stored[post_id], f"{who}, page {number}")
            seen.update(on_page)
        group_pages = len(PAYLOADS) // THREADS_PER_PAGE + 1
        for number in range(1, group_pages + 1):
            listing = http.get(f"/groups/{group.slug}/?page={number}")
            assert listing.status_code == 200
            assert_safe_page(listing.get_data(as_text=True), f"{who}'s group page {number}")
        # The home page's latest discussions: the newest titles, each a payload.
        home = http.get("/").get_data(as_text=True)
        assert home.count('class="activity-title"') == 10
        assert_safe_page(home, f"{who}'s home page")
    assert seen == set(stored)
    assert_feed_inert(visitor, f"/threads/{thread.id}/feed.atom", entries=FEED_SIZE)
    assert_feed_inert(visitor, f"/groups/{group.slug}/feed.atom", entries=FEED_SIZE)


# A handful through the real forms, end to end: one of each kind of attack.
END_TO_END = [
    "script-plain",
    "img-onerror",
    "md-link-javascript-hex-entity",
    "md-autolink-quote-breakout",
    "end-textarea-breakout",
    "null-byte-in-tag",
]


@pytest.mark.parametrize(
    "payload", [pytest.param(dict(PAYLOADS)[name], id=name) for name in END_TO_END]
)
def test_reply_payload_is_stored_and_rendered_inert(app, client, scene, payload):
    response = reply(client, scene.thread_id, payload)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]

    post = stored_post(scene.thread_id, 2)
    if "\x00" not in payload:
        assert post.body == payload  # kept as typed, for editing
    assert_safe_fragment(post.body_html, "stored body_html")

    as_author = client.get(response.location, follow_redirects=True)
    assert as_author.status_code == 200
    assert_post_on_page(as_author.get_data(as_text=True), post.id, post.body_html, "author's page")

    as_visitor = app.test_client().get(f"/threads/{scene.thread_id}")
    assert as_visitor.status_code == 200
    assert_post_on_page(
        as_visitor.get_data(as_text=True), post.id, post.body_html, "visitor's page"
    )

    preview = reply(client, scene.thread_id, payload, preview="1")
    assert preview.status_code == 200
    assert_bodies_on_page(
        preview.get_data(as_text=True), "reply preview", expected=1, name="div", cls="preview"
    )
    assert_feed_inert(app.test_client(), f"/threads/{scene.thread_id}/feed.atom", entries=2)
    stored_post(scene.thread_id, 2)  # the preview posted nothing
    assert _db.session.scalar(select(Post).where(Post.number == 3)) is None


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(dict(PAYLOADS)[name], id=name)
        for name in ("svg-slash-onload", "end-title-breakout", "noscript-breakout")
    ],
)
def test_new_thread_title_and_body_render_inert(app, client, scene, payload):
    """The same payloads as a thread's title (plain text) and first post, on every page
    that shows them: the thread, the group's list, the preview of the new-thread form."""
    url = f"/groups/{scene.group_slug}/threads/new"
    title = ("T " + payload.replace("\n", " "))[:150]
    response = post_form(client, url, {"title": title, "body": payload})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    thread_id = int(re.search(r"/threads/(\d+)", response.location).group(1))
    post = stored_post(thread_id, 1)
    assert_safe_fragment(post.body_html, "stored body_html")

    for who, http in (("author", client), ("visitor", app.test_client())):
        page = http.get(f"/threads/{thread_id}").get_data(as_text=True)
        assert_post_on_page(page, post.id, post.body_html, f"{who}'s thread page")
        listing = http.get(f"/groups/{scene.group_slug}/").get_data(as_text=True)
        assert_safe_page(listing, f"{who}'s group page")

    preview = post_form(client, url, {"title": title, "body": payload, "preview": "1"})
    assert preview.status_code == 200
    assert_bodies_on_page(
        preview.get_data(as_text=True), "new-thread preview", expected=1, name="div", cls="preview"
    )


def test_edited_history_flag_and_queue_pages_stay_inert(app, client, scene):
    """Every payload in one post, edited twice: the edit form's preview, the history with
    its earlier versions, the report form and the coordinators' queue show them inert."""
    everything = "\n\n".join(payload for _, payload in PAYLOADS)
    assert len(everything) <= services.BODY_MAX
    assert reply(client, scene.thread_id, "Premier jet.").status_code == 302
    post = stored_post(scene.thread_id, 2)
    edit_url = f"/posts/{post.id}/edit"
    for body in (everything, everything[::-1]):
        response = post_form(client, edit_url, {"body": body})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    preview = post_form(client, edit_url, {"body": everything, "preview": "1"})
    assert preview.status_code == 200
    assert_bodies_on_page(
        preview.get_data(as_text=True), "edit preview", expected=1, name="div", cls="preview"
    )

    post = stored_post(scene.thread_id, 2)
    assert_safe_fragment(post.body_html, "edited body_html")
    history = client.get(f"/posts/{post.id}/history").get_data(as_text=True)
    # The current version and the two earlier ones.
    assert_bodies_on_page(history, "history", expected=3)

    # A second member reports it; a coordinator reads the queue.
    reporter = factories.make_user(name="Rapporteuse")
    coordinator = factories.make_user(name="Coordinatrice")
    group = _db.session.scalar(select(Group).where(Group.slug == scene.group_slug))
    factories.add_member(coordinator, group, "coordinator")
    _db.session.commit()
    reporter_client = app.test_client()
    login_as(reporter_client, reporter)
    flag_form = reporter_client.get(f"/posts/{post.id}/flag").get_data(as_text=True)
    parsed = assert_safe_page(flag_form, "report form")
    quoted = [t for t in parsed.tags if t.name == "blockquote" and "post-body" in t.classes()]
    assert len(quoted) == 1
    for tag in inside(parsed, quoted[0]):
        assert_tag_in_post(tag, "report form")
    flagged = post_form(
        reporter_client,
        f"/posts/{post.id}/flag",
        {"category": "other", "reason": "<script>alert(1)</script>"},
    )
    assert flagged.status_code == 302

    coordinator_client = app.test_client()
    login_as(coordinator_client, coordinator)
    queue = coordinator_client.get(f"/groups/{scene.group_slug}/flags")
    assert queue.status_code == 200
    assert_bodies_on_page(queue.get_data(as_text=True), "flag queue", expected=1)


def test_code_shows_html_exactly_as_typed():
    html = render_markdown("`<b>&` and\n\n```\na < b && c\n```").html
    assert "<code>&lt;b&gt;&amp;</code>" in html
    assert "a &lt; b &amp;&amp; c" in html
