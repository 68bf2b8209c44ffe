"""What a request worked out once and asks again later: kept on the request object itself.

Not on `g`: an app context (a test's, a command's) may serve several requests, and a value
kept there would outlive the request that read it. Outside a request nothing is kept.
"""

from __future__ import annotations

from flask import has_request_context, request


def request_memo(name: str) -> dict:
    """This request's dictionary called `name` (a new, unkept one outside a request)."""
    if not has_request_context():
        return {}
    state = request._get_current_object().__dict__
    memo = state.get(name)
    if memo is None:
        memo = state[name] = {}
    return memo
