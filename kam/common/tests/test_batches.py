"""Id lists cut into pieces for `IN (...)`."""

from __future__ import annotations

import pytest

from kam.common.batches import ID_CHUNK, chunks


@pytest.mark.parametrize("n", [0, 1, ID_CHUNK - 1, ID_CHUNK, ID_CHUNK + 1, 3 * ID_CHUNK + 7])
def test_every_item_once_in_order_no_piece_too_long(n: int) -> None:
    items = list(range(n))
    pieces = list(chunks(items))
    assert [x for piece in pieces for x in piece] == items
    assert all(0 < len(piece) <= ID_CHUNK for piece in pieces)
    assert len(pieces) == -(-n // ID_CHUNK)


def test_a_smaller_size() -> None:
    assert [list(p) for p in chunks("abcde", 2)] == [["a", "b"], ["c", "d"], ["e"]]


def test_below_sqlite_s_oldest_parameter_limit() -> None:
    assert ID_CHUNK < 999
