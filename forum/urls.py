"""URL helpers: absolute links for mails and feeds, safe redirects after sign-in, and
what a URL may carry to the database.

Every `<int:…>` of every route stops at the database's integer range (PostgreSQL's
`integer`, 2**31 - 1): a larger id is a 404, as any id that names nothing, instead of an
overflow in the query. A NUL byte, which PostgreSQL refuses in any text, is handled once,
before any view runs: in the path it is a 404 (no slug, token or file name holds one);
in a query argument or a form field it is dropped, as render_markdown drops it from posts
(never typed, never meaningful).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Request, abort, current_app, request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter

DB_INT_MAX = 2**31 - 1  # PostgreSQL's `integer`, the type of every id
NUL = "\x00"
# C0 controls (CR, LF, tab, NUL...), DEL and C1 controls: never in a path to go back to.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class BoundedIntegerConverter(IntegerConverter):
    """`<int:…>` within the database's integer range: a larger number matches no route."""

    def __init__(self, map, fixed_digits=0, min=None, max=DB_INT_MAX, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def db_int(value: str) -> int:
    """A query argument's id, for `request.args.get(name, type=db_int)`: beyond the
    database's integer range it raises ValueError, so that `get` returns the default."""
    number = int(value)
    if not -DB_INT_MAX - 1 <= number <= DB_INT_MAX:
        raise ValueError(f"{value!r} is beyond the database's integers")
    return number


def register_url_rules(app: Flask) -> None:
    """The bounded `int` converter (before any route is added) and the NUL guard."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.before_request(_without_nul)


def _cleaned(values: MultiDict) -> MultiDict:
    if not any(NUL in k or NUL in v for k, v in values.items(multi=True)):
        return values
    return ImmutableMultiDict(
        (k.replace(NUL, ""), v.replace(NUL, "")) for k, v in values.items(multi=True)
    )


def _without_nul() -> None:
    """A NUL in the path is a 404; NULs in query arguments and form fields are dropped."""
    if NUL in request.path:
        abort(404)
    args, form = _cleaned(request.args), _cleaned(request.form)
    if args is not request.args or form is not request.form:
        request.args, request.form = args, form  # both are cached properties: replaced
        request.__dict__.pop("values", None)  # their union, if read already, is rebuilt


def absolute_url(endpoint: str, **values: Any) -> str:
    """An absolute URL on BASE_URL, for mails and feeds; works outside a request too."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"] + path


def safe_next(target: str | None) -> str | None:
    """A same-site path to go back to, or None (never another host: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if _CONTROL.search(target):
        return None  # CR/LF would split the Location header (and make werkzeug raise)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def is_same_origin(request: Request) -> bool:
    """The form was posted from one of this site's pages: its Origin header (or, when the
    browser sends none, its Referer) is this site, as the request reached it or as BASE_URL
    names it (behind a proxy that PROXY_FIX does not trust, the two differ). Browsers set
    Origin on cross-site posts and a page cannot forge it: a CSRF check for forms that carry
    no token."""
    ours = {_origin(request.host_url), _origin(current_app.config["BASE_URL"])} - {""}
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        return origin in ours
    return _origin(request.headers.get("Referer", "")) in ours


def is_cross_site(request: Request) -> bool:
    """The form was posted from another site's page, as far as the browser says: an Origin
    header that is not this site (or "null", from a sandboxed or local page), or, without
    one, another site's Referer. A browser that sends neither is not taken for one. What a
    refused form carried is shown back only when this is False: another site must not get
    its text shown on our pages beside a fresh token and a "Send again" button."""
    ours = {_origin(request.host_url), _origin(current_app.config["BASE_URL"])} - {""}
    origin = request.headers.get("Origin")
    if origin:
        return origin not in ours
    referer = request.headers.get("Referer")
    return bool(referer) and _origin(referer) not in ours
