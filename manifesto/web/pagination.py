"""Lists shown a page at a time: the page number a visitor asks for, and the page they get.

``page_arg`` is lenient, as pages for people are: what is not a page number on offer shows
the first page, never an error. The API has its own, strict parser (``api/params.py``).
Templates draw a ``Page`` with the ``pagination`` macro (``templates/_forms.html``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import request

T = TypeVar("T")


def page_arg(max_page: int) -> int:
    """The ``page`` of the query string, from 1 to ``max_page``; 1 for anything else."""
    text = request.args.get("page", "1")
    if (text.isascii() and text.isdigit()
            and len(text.lstrip("0")) <= len(str(max_page))  # int() of 5000 digits raises
            and 0 < int(text) <= max_page):
        return int(text)
    return 1


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, its number (from 1), and whether another follows.

    ``pages``, how many there are, is known only where the list is counted anyway (its
    totals are shown): counting a long list only to number its pages costs more than a page.
    """

    items: Sequence[T]
    page: int
    has_next: bool
    pages: int | None = None

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @classmethod
    def of_rows(cls, rows: Sequence[T], page: int, per_page: int) -> Page[T]:
        """The page from a query that asked for one row more than a page holds (``LIMIT
        per_page + 1``): that row, if it came, says another page follows, with no COUNT."""
        return cls(rows[:per_page], page, len(rows) > per_page)

    @classmethod
    def counted(cls, items: Sequence[T], page: int, pages: int) -> Page[T]:
        """A page of a list whose number of pages is known."""
        return cls(items, page, page < pages, pages)
