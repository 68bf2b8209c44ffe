"""Search results one per thread, as Discourse groups them: each thread's best-ranked post
stands for it, with how many more of its posts match ("n autres messages")."""

from __future__ import annotations

from dataclasses import dataclass

from forum.groups.models import Group
from forum.pagination import PageOf, clamp_page
from forum.search.services import (
    NO_FILTERS,
    PER_PAGE,
    Filters,
    Match,
    Query,
    SearchResult,
    parse_query,
    ranked,
    results,
)


@dataclass
class ThreadResult:
    """A thread in the results: its best post, and how many other posts of it match."""

    best: SearchResult
    others: int

    @property
    def thread(self):
        return self.best.thread


@dataclass
class ThreadPage(PageOf):
    posts: int = 0  # matching posts in all the threads found


def search_threads(
    query: str | Query,
    *,
    group: Group | None = None,
    filters: Filters = NO_FILTERS,
    page: int = 1,
    per_page: int = PER_PAGE,
    window: int | None = None,
) -> ThreadPage:
    """One page of the threads whose posts match, each at its best post, best first.

    The same ranking and window as search() (two statements in all): the matches come
    best first, so a thread's first match is its best one. `total` counts threads,
    `posts` their matching posts. Raises QueryError as search() does."""
    parsed = query if isinstance(query, Query) else parse_query(query)
    matches, capped = ranked(parsed, group=group, filters=filters, window=window)
    best: dict[int, Match] = {}
    counts: dict[int, int] = {}
    for match in matches:
        best.setdefault(match.thread_id, match)
        counts[match.thread_id] = counts.get(match.thread_id, 0) + 1
    threads = list(best.values())  # in the order of their best post
    total = len(threads)
    page, pages = clamp_page(page, total, per_page)
    shown = threads[(page - 1) * per_page : page * per_page]
    items = [
        ThreadResult(result, counts[result.thread.id] - 1) for result in results(shown, parsed)
    ]
    return ThreadPage(items, page, pages, total, capped=capped, posts=len(matches))
