"""The portfolio matrix maths: our strength with a client and its quadrant."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kam.analytics.core.portfolio import Quadrant, Thresholds, quadrant_of, strength_of

points = st.floats(min_value=0, max_value=100, allow_nan=False)


@pytest.mark.parametrize(
    ("attractiveness", "strength", "quadrant"),
    [
        (80, 80, Quadrant.STRATEGIC),
        (80, 20, Quadrant.STAR),
        (20, 80, Quadrant.STATUS),
        (20, 20, Quadrant.STREAMLINE),
        # a value on a threshold counts as high
        (50, 50, Quadrant.STRATEGIC),
        (50, 49.999, Quadrant.STAR),
        (49.999, 50, Quadrant.STATUS),
        (49.999, 49.999, Quadrant.STREAMLINE),
    ],
)
def test_each_quadrant_and_the_thresholds(
    attractiveness: float, strength: float, quadrant: Quadrant
) -> None:
    assert quadrant_of(attractiveness, strength, Thresholds()) is quadrant


def test_thresholds_move_the_boundaries() -> None:
    high = Thresholds(attractiveness=70, strength=30)
    assert quadrant_of(60, 40, high) is Quadrant.STATUS
    assert quadrant_of(70, 30, high) is Quadrant.STRATEGIC
    assert quadrant_of(70, 29, high) is Quadrant.STAR
    assert quadrant_of(60, 40, Thresholds()) is Quadrant.STAR
    assert quadrant_of(0, 0, Thresholds(0, 0)) is Quadrant.STRATEGIC
    assert quadrant_of(99.9, 99.9, Thresholds(100, 100)) is Quadrant.STREAMLINE


@pytest.mark.parametrize("bad", [(-1, 50), (50, 100.5), (101, 0)])
def test_thresholds_outside_0_100_are_refused(bad: tuple[float, float]) -> None:
    with pytest.raises(ValueError, match="thresholds lie between 0 and 100"):
        Thresholds(*bad)


@given(points, points, points, points)
def test_a_higher_score_or_strength_never_moves_a_client_down(
    a: float, s: float, ta: float, ts: float
) -> None:
    thresholds = Thresholds(ta, ts)
    quadrant = quadrant_of(a, s, thresholds)
    high_a = quadrant in (Quadrant.STRATEGIC, Quadrant.STAR)
    high_s = quadrant in (Quadrant.STRATEGIC, Quadrant.STATUS)
    assert high_a == (a >= ta) and high_s == (s >= ts)


def test_strength_is_the_mean_of_what_is_known() -> None:
    assert strength_of(None, None) is None
    assert strength_of(0.4, None) == pytest.approx(40)
    assert strength_of(None, 1) == 0
    assert strength_of(None, 5) == 100
    assert strength_of(0.4, 3) == pytest.approx(45)  # (40 + 50) / 2


def test_share_of_wallet_is_capped_to_0_100() -> None:
    # we sell more than the estimated wallet: an estimate too low, not a strength above 100
    assert strength_of(1.7, None) == 100
    assert strength_of(-0.2, None) == 0
    assert strength_of(1.7, 1) == 50


@pytest.mark.parametrize("bad", [0, 6])
def test_a_position_rating_is_1_to_5(bad: int) -> None:
    with pytest.raises(ValueError, match="1 to 5"):
        strength_of(0.5, bad)


@given(st.none() | st.floats(-1, 3, allow_nan=False), st.none() | st.integers(1, 5))
def test_strength_lies_within_0_and_100(share: float | None, rating: int | None) -> None:
    value = strength_of(share, rating)
    if share is None and rating is None:
        assert value is None
    else:
        assert value is not None and 0 <= value <= 100
