"""Long lists of ids in pieces a database takes in one `IN (...)`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

# Below SQLite's oldest limit on the parameters of one query (999).
ID_CHUNK = 900

Item = TypeVar("Item")


def chunks(items: Sequence[Item], size: int = ID_CHUNK) -> Iterator[Sequence[Item]]:
    """`items` in consecutive slices of at most `size`."""
    for i in range(0, len(items), size):
        yield items[i : i + size]
