"""One page of a list: the page arithmetic every listing shares."""

from __future__ import annotations

from dataclasses import dataclass


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` items fill (at least one, empty lists included)."""
    return max((total - 1) // per_page + 1, 1)


def clamp_page(page: int, total: int, per_page: int) -> tuple[int, int]:
    """(page, pages): the asked page brought inside 1..pages."""
    pages = page_count(total, per_page)
    return min(max(page, 1), pages), pages


def page_of_number(number: int, per_page: int) -> int:
    """The page on which the item at position `number` (from 1) falls."""
    return (max(number, 1) - 1) // per_page + 1


@dataclass
class PageOf:
    items: list
    page: int
    pages: int
    total: int
    capped: bool = False  # there are more than `total` (search counts so far, no further)

    @classmethod
    def build(cls, items: list, page: int, total: int, per_page: int, **kw) -> PageOf:
        page, pages = clamp_page(page, total, per_page)
        return cls(items, page, pages, total, **kw)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages
