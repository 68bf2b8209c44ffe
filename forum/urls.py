"""URL helpers: absolute links for mails and feeds, safe redirects after sign-in."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


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
