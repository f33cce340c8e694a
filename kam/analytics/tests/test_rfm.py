"""The pure RFM maths (SPEC: RFM): quintile scores and the three values."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from kam.analytics.core.rfm import RfmInput, quintile_scores, rfm_score

D = Decimal
values = st.lists(st.integers(min_value=-50, max_value=50), max_size=80)


def test_ten_distinct_values_fill_each_quintile_with_two() -> None:
    assert quintile_scores(list(range(10))) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_smaller_is_better_reverses_the_scores() -> None:
    assert quintile_scores(list(range(10)), higher_is_better=False) == [
        5,
        5,
        4,
        4,
        3,
        3,
        2,
        2,
        1,
        1,
    ]


def test_tied_values_share_the_score_of_the_first_place_they_occupy() -> None:
    # worst first: 1, 2, 2, 2, 9 -> the 2s have one value below them: 1 + 5*1//5 = 2
    assert quintile_scores([2, 9, 2, 1, 2]) == [2, 5, 2, 1, 2]
    assert quintile_scores([7, 7, 7]) == [1, 1, 1]


def test_a_single_client_scores_one() -> None:
    assert quintile_scores([D("12.5")]) == [1]
    assert quintile_scores([]) == []


@given(values)
def test_scores_stay_between_one_and_five(data: list[int]) -> None:
    scores = quintile_scores(data)
    assert all(1 <= s <= 5 for s in scores)
    if data:
        assert scores[data.index(min(data))] == 1


@given(values)
def test_a_better_value_never_scores_lower(data: list[int]) -> None:
    for better_first in (True, False):
        scores = quintile_scores(data, higher_is_better=better_first)
        pairs = sorted(zip(data, scores, strict=True))
        ranked = [s for _, s in pairs] if better_first else [s for _, s in reversed(pairs)]
        assert ranked == sorted(ranked)
        assert all(s1 == s2 for (v1, s1), (v2, s2) in pairwise(pairs) if v1 == v2)


@given(values, st.randoms())
def test_input_order_does_not_matter(data: list[int], rnd: random.Random) -> None:
    shuffled = list(data)
    rnd.shuffle(shuffled)
    by_value = dict(zip(data, quintile_scores(data), strict=True))
    assert quintile_scores(shuffled) == [by_value[v] for v in shuffled]


@given(st.integers(min_value=1, max_value=200))
def test_distinct_values_spread_evenly_across_quintiles(n: int) -> None:
    counts = Counter(quintile_scores(list(range(n))))
    if n >= 5:
        assert set(counts) == {1, 2, 3, 4, 5}
    assert max(counts.values()) - min(counts.values()) <= 1


def test_recency_counts_days_to_the_exclusive_period_end() -> None:
    end = dt.date(2025, 1, 1)
    rows = rfm_score(
        {
            "late": RfmInput(dt.date(2024, 12, 31), 3, D("100")),
            "early": RfmInput(dt.date(2024, 1, 1), 1, D("5")),
        },
        period_end=end,
    )
    assert [(r.client_id, r.recency_days) for r in rows] == [("early", 366), ("late", 1)]
    late = rows[1]
    assert (late.r_score, late.f_score, late.m_score) == (3, 3, 3) and late.code == "333"
    assert (rows[0].r_score, rows[0].f_score, rows[0].m_score) == (1, 1, 1)


def test_clients_without_positive_revenue_are_not_scored() -> None:
    rows = rfm_score(
        {
            "gone": RfmInput(dt.date(2024, 5, 1), 1, D("-20")),
            "zero": RfmInput(dt.date(2024, 5, 1), 1, D("0")),
            "kept": RfmInput(dt.date(2024, 5, 1), 1, D("1")),
        },
        period_end=dt.date(2025, 1, 1),
    )
    assert [r.client_id for r in rows] == ["kept"]
