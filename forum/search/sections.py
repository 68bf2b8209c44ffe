"""More sections on the search page, from other features (documents, …): each registers
a function that receives the search asked for and returns what to show, or None.

    register_section(find_documents)  # from the feature's listeners' connect()

    def find_documents(asked: Asked) -> Section | None:
        return Section("library/_search_results.html", {"documents": …})

The page includes each section's template after the discussions' results; the template
reads its values from `section.context`. A section applies the same visibility rules as its
own pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from forum.search.services import Query


@dataclass(frozen=True)
class Asked:
    """The search as the page parsed it: its words, the group, the author and the span of
    time (UTC, `since` included, `until` excluded), the page number, who asks."""

    query: Query
    text: str
    group: Any = None
    author: Any = None
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1
    viewer: Any = None


@dataclass
class Section:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


_MAKERS: list[Callable[[Asked], Section | None]] = []


def register_section(maker: Callable[[Asked], Section | None]) -> None:
    """Add a section maker (once: registering it again changes nothing)."""
    if maker not in _MAKERS:
        _MAKERS.append(maker)


def sections_for(asked: Asked) -> list[Section]:
    return [section for maker in _MAKERS if (section := maker(asked)) is not None]
