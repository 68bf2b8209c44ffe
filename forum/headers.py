"""Security headers on every response, and the caching rules of pages and feeds.

Visitors' pages and feeds carry a weak ETag, a hash of the body sent, and answer 304 Not
Modified when the client already holds that body (If-None-Match). The hash is always right:
an edit, a hidden post, a renamed author, a new reply, another language or a new release all
change the body, whatever changed them. A validator built from timestamps instead would miss
what leaves no timestamp (a post shown again, a display name changed), and Last-Modified is
not sent for that reason. The page is still rendered (a few milliseconds); what a 304 saves is
the transfer and the client's work.

Anything personal (a signed-in user's page, a response that changes the session, hence sets
a cookie) is `Cache-Control: private, no-cache` and carries no validator: no shared cache
may keep it, and a browser asks again each time.
"""

from __future__ import annotations

from flask import Flask, g, request, session

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# What may answer 304: pages, feeds and calendars, the same for every visitor.
CONDITIONAL_TYPES = frozenset({"text/html", "application/atom+xml", "text/calendar"})


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            h.setdefault("Strict-Transport-Security", f"max-age={app.config['HSTS_SECONDS']}")
        if response.mimetype in CONDITIONAL_TYPES:
            _cache_policy(response)
        return response


def _cache_policy(response) -> None:
    h = response.headers
    if _personal():
        # Pages can hold personal data: no shared caches, no validator.
        h.setdefault("Cache-Control", "private, no-cache")
        h.pop("ETag", None)
        return
    h.setdefault("Cache-Control", "no-cache")  # may be kept, but asked again each time
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")  # a visitor's language comes from this header
    if (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and not response.is_streamed
        and not response.direct_passthrough
    ):
        response.add_etag(weak=True)
        response.make_conditional(request)


def _personal() -> bool:
    """True when the response belongs to one person: signed in, or their session changed.

    Reads only what the request has loaded already: a view that never looked at the user
    (a feed) cannot have made anything personal of it, and no query runs for it here.
    """
    user = g.get("_login_user")
    if user is not None and not user.is_anonymous:
        return True
    return session.modified
