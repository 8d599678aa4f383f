"""One page of a long listing: ``GET /api/articles`` and ``assistant list`` show a library of thousands
of articles a page at a time (``offset``, ``limit``) and say where the next page starts.

Plain arithmetic, no I/O: the surfaces check what a reader asked for (``count``), the listing says how
many items there are, and ``Page`` says which of them to show.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

from assistant.library.errors import InvalidPage

T = TypeVar("T")

DEFAULT_LIMIT = 100
# Items one API request may ask for: a page's JSON stays small however large the library.
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Page:
    """Items ``[offset, offset + limit)`` of ``total``; an offset at or past the end is an empty last page."""

    total: int
    offset: int
    limit: int

    def __post_init__(self) -> None:
        if self.total < 0 or self.offset < 0 or self.limit < 1:
            msg = f"a page needs total >= 0, offset >= 0 and limit >= 1; got {self}"
            raise ValueError(msg)

    @property
    def start(self) -> int:
        """The index of the page's first item, at most ``total`` (an offset past the end is cut there)."""
        return min(self.offset, self.total)

    @property
    def end(self) -> int:
        """One past the index of the page's last item."""
        return min(self.offset + self.limit, self.total)  # >= start

    @property
    def next_offset(self) -> int | None:
        """Where the next page starts; None on the last page."""
        return self.end if self.end < self.total else None

    def take(self, items: Iterable[T]) -> list[T]:
        """The page's items of ``items`` (the whole listing, in order); only those are kept."""
        return list(islice(items, self.start, self.end))


def count(name: str, given: object, minimum: int, maximum: int | None = None) -> int:
    """``given`` (an int, or text as typed) as a whole number in ``[minimum, maximum]``; else
    ``InvalidPage`` naming ``name``, what was given and what to give."""
    try:
        number = int(given) if isinstance(given, int | str) and not isinstance(given, bool) else None
    except ValueError:
        number = None
    if number is None or number < minimum or (maximum is not None and number > maximum):
        raise InvalidPage.out_of_range(name, given, minimum, maximum)
    return number
