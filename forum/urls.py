"""URL helpers: absolute links for mails and feeds, safe redirects after sign-in."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Request, current_app


def absolute_url(endpoint: str, **values: Any) -> str:
    """An absolute URL on BASE_URL, for mails and feeds; works outside a request too."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"] + path


def safe_next(target: str | None) -> str | None:
    """A same-site path to go back to, or None (never another host: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
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
