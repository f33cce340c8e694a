"""The pure scoring maths: normalisation, weights, the explained score (SPEC part 2)."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kam.analytics.core.scoring import (
    CRITERIA,
    EQUAL_WEIGHTS,
    RawCriteria,
    WeightsError,
    growth_of,
    normalise,
    partnership_score,
    percentile_ranks,
    score,
    weights_normalise,
)

D = Decimal
points = st.floats(min_value=0, max_value=100, allow_nan=False)
maybe_points = st.none() | points
weights = st.fixed_dictionaries(
    {c: st.floats(min_value=0, max_value=1000, allow_nan=False) for c in CRITERIA}
).filter(lambda w: sum(w.values()) > 0)
criteria = st.fixed_dictionaries(dict.fromkeys(CRITERIA, maybe_points))
raw_values = st.dictionaries(
    st.text(alphabet="abcdefgh", min_size=1, max_size=4),
    st.none() | st.integers(min_value=-50, max_value=50).map(float),
    max_size=30,
)


# --- weights -------------------------------------------------------------------------------


@given(weights)
def test_normalised_weights_sum_to_one_and_keep_proportions(w: dict[str, float]) -> None:
    normal = weights_normalise(w)
    assert set(normal) == set(CRITERIA)
    assert math.isclose(sum(normal.values()), 1.0, abs_tol=1e-9)
    assert all(v >= 0 for v in normal.values())
    total = sum(w.values())
    for c in CRITERIA:
        assert math.isclose(normal[c], w[c] / total, rel_tol=1e-9, abs_tol=1e-12)


@given(st.dictionaries(st.sampled_from(CRITERIA), st.integers(1, 9), min_size=1))
def test_criteria_left_out_weigh_nothing(w: dict[str, int]) -> None:
    normal = weights_normalise(w)
    assert all(normal[c] == 0 for c in CRITERIA if c not in w)
    assert math.isclose(sum(normal.values()), 1.0)


def test_equal_weights_are_one_sixth_each() -> None:
    assert all(math.isclose(v, 1 / 6) for v in EQUAL_WEIGHTS.values())
    assert set(EQUAL_WEIGHTS) == set(CRITERIA)


@pytest.mark.parametrize(
    "bad",
    [
        {},
        dict.fromkeys(CRITERIA, 0.0),
        {"volume": -1.0, "growth": 2.0},
        {"volume": math.inf},
        {"volume": math.nan},
        {"volume": 1.0, "loyalty": 1.0},
    ],
    ids=["empty", "all-zero", "negative", "infinite", "nan", "unknown-criterion"],
)
def test_invalid_weights_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(WeightsError):
        weights_normalise(bad)
    with pytest.raises(WeightsError):
        score(dict.fromkeys(CRITERIA, 50.0), bad)


# --- the score -----------------------------------------------------------------------------


@given(criteria, weights)
def test_score_lies_within_0_and_100_and_is_the_sum_of_its_contributions(
    c: dict[str, float | None], w: dict[str, float]
) -> None:
    s = score(c, w)
    if s.total is None:
        assert s.contributions == {}
        assert s.coverage == 0
        return
    assert 0 <= s.total <= 100
    assert math.isclose(sum(s.contributions.values()), s.total, abs_tol=1e-9)
    assert 0 < s.coverage <= 1
    assert set(s.contributions) <= {k for k, v in c.items() if v is not None}


@given(criteria, weights, st.sampled_from(CRITERIA), points, points)
def test_score_is_monotone_in_each_criterion(
    c: dict[str, float | None], w: dict[str, float], criterion: str, a: float, b: float
) -> None:
    low, high = sorted((a, b))
    lower = score({**c, criterion: low}, w)
    higher = score({**c, criterion: high}, w)
    if lower.total is None:  # the criterion weighs nothing and nothing else is known
        assert higher.total is None and weights_normalise(w)[criterion] == 0
        return
    assert higher.total is not None
    assert higher.total >= lower.total - 1e-9


@given(criteria, weights)
def test_missing_criteria_are_listed_and_the_coverage_is_their_complement(
    c: dict[str, float | None], w: dict[str, float]
) -> None:
    s = score(c, w)
    normal = weights_normalise(w)
    assert s.missing == tuple(k for k in CRITERIA if normal[k] > 0 and c[k] is None)
    available = sum(normal[k] for k in CRITERIA if c[k] is not None)
    assert math.isclose(s.coverage, available, abs_tol=1e-9)


@given(criteria, weights, st.sampled_from(CRITERIA))
def test_a_missing_criterion_is_never_read_as_zero(
    c: dict[str, float | None], w: dict[str, float], criterion: str
) -> None:
    normal = weights_normalise(w)
    others = {k: v for k, v in c.items() if k != criterion}
    assume(normal[criterion] > 0)
    assume(any(v is not None and normal[k] > 0 for k, v in others.items()))
    missing = score({**others, criterion: None}, w)
    as_zero = score({**others, criterion: 0.0}, w)
    assert missing.total is not None and as_zero.total is not None
    assert criterion in missing.missing and criterion not in as_zero.missing
    # the missing criterion is left out of the mean: the score is the mean of the rest
    rest = {k: v for k, v in others.items() if v is not None and normal[k] > 0}
    mean = sum(normal[k] * v for k, v in rest.items()) / sum(normal[k] for k in rest)
    assert math.isclose(missing.total, mean, abs_tol=1e-9)
    assert missing.total >= as_zero.total - 1e-9
    if mean > 1e-6 and normal[criterion] > 1e-6:  # beyond floating-point rounding
        assert missing.total > as_zero.total


def test_a_client_missing_a_criterion_beats_one_with_zero_in_it() -> None:
    full = dict.fromkeys(CRITERIA, 80.0)
    missing = score({**full, "profitability": None}, EQUAL_WEIGHTS)
    zero = score({**full, "profitability": 0.0}, EQUAL_WEIGHTS)
    assert missing.total == pytest.approx(80.0)
    assert zero.total == pytest.approx(80.0 * 5 / 6)
    assert missing.missing == ("profitability",)
    assert missing.coverage == pytest.approx(5 / 6)
    assert zero.coverage == pytest.approx(1.0)


def test_nothing_available_gives_no_score_rather_than_zero() -> None:
    s = score(dict.fromkeys(CRITERIA), EQUAL_WEIGHTS)
    assert s.total is None
    assert s.missing == CRITERIA
    assert s.coverage == 0


def test_a_criterion_weighted_zero_is_neither_counted_nor_missing() -> None:
    s = score({"volume": 90.0, "growth": None}, {"volume": 1.0})
    assert s.total == pytest.approx(90.0)
    assert s.missing == ()  # growth weighs nothing in this model
    assert s.contributions == {"volume": pytest.approx(90.0)}


def test_contributions_follow_the_weights() -> None:
    s = score(
        {"volume": 100.0, "growth": 50.0, "partnership": 0.0},
        {"volume": 2.0, "growth": 1.0, "partnership": 1.0},
    )
    assert s.contributions == {
        "volume": pytest.approx(50.0),
        "growth": pytest.approx(12.5),
        "partnership": pytest.approx(0.0),
    }
    assert s.total == pytest.approx(62.5)


# --- percentile ranks ----------------------------------------------------------------------


@given(raw_values)
def test_percentile_ranks_are_bounded_monotone_and_equal_for_ties(
    values: dict[str, float | None],
) -> None:
    ranks = percentile_ranks(values)
    assert set(ranks) == set(values)
    present = {k: v for k, v in values.items() if v is not None}
    for k, v in values.items():
        if v is None:
            assert ranks[k] is None
    for a, va in present.items():
        ra = ranks[a]
        assert ra is not None and 0 <= ra <= 100
        for b, vb in present.items():
            rb = ranks[b]
            assert rb is not None
            if va < vb:
                assert ra < rb
            elif va == vb:
                assert ra == rb


@given(st.lists(st.integers(-1000, 1000), min_size=2, max_size=40, unique=True))
def test_distinct_values_spread_from_0_to_100(values: list[int]) -> None:
    ranks = percentile_ranks({str(i): float(v) for i, v in enumerate(values)})
    assert min(r for r in ranks.values() if r is not None) == 0
    assert max(r for r in ranks.values() if r is not None) == 100


def test_percentile_rank_counts_half_the_other_equal_values() -> None:
    ranks = percentile_ranks({"a": 1.0, "b": 2.0, "c": 2.0, "d": 3.0, "e": None})
    # b and c: one value below, one other equal value counted half: (1 + 0.5) / 3
    assert ranks == {"a": 0.0, "b": 50.0, "c": 50.0, "d": 100.0, "e": None}


def test_one_client_alone_is_in_the_middle() -> None:
    assert percentile_ranks({"a": 7.0, "b": None}) == {"a": 50.0, "b": None}
    assert percentile_ranks({}) == {}


def test_one_giant_does_not_squash_the_others() -> None:
    ranks = percentile_ranks({"a": 1.0, "b": 2.0, "c": 3.0, "giant": 1e9})
    assert ranks["b"] == pytest.approx(100 / 3)


# --- the criteria --------------------------------------------------------------------------


def _raw(revenue: int, **kw: object) -> RawCriteria:
    values: dict[str, object] = {
        "previous_revenue": None,
        "margin": None,
        "margin_percent": None,
        "discount": None,
        "partnership": None,
        "potential": None,
        **kw,
    }
    return RawCriteria(revenue=D(revenue), **values)  # type: ignore[arg-type]


def test_growth_is_undefined_when_the_previous_year_is_not_positive() -> None:
    assert growth_of(D(150), D(100)) == pytest.approx(0.5)
    assert growth_of(D(50), D(100)) == pytest.approx(-0.5)
    assert growth_of(D(50), D(0)) is None
    assert growth_of(D(50), D(-10)) is None
    assert growth_of(D(50), None) is None


def test_partnership_is_an_absolute_scale() -> None:
    assert [partnership_score(r) for r in (1, 2, 3, 4, 5)] == [0, 25, 50, 75, 100]
    assert partnership_score(None) is None
    for bad in (0, 6):
        with pytest.raises(ValueError, match="1 to 5"):
            partnership_score(bad)


def test_normalise_ranks_each_criterion_and_leaves_unknowns_missing() -> None:
    raw = {
        "big": _raw(
            1000,
            previous_revenue=D(500),
            margin=D(300),
            margin_percent=0.1,
            discount=0.20,
            partnership=5,
            potential=D(0),
        ),
        "mid": _raw(
            500,
            previous_revenue=D(0),
            margin=D(200),
            margin_percent=0.4,
            discount=0.05,
            potential=D(900),
        ),
        "small": _raw(100, previous_revenue=D(200), discount=0.10),
    }
    n = normalise(raw)
    assert [n[k]["volume"] for k in ("big", "mid", "small")] == [100, 50, 0]
    # a big margin at a thin margin % and the reverse both land in the middle
    assert n["big"]["profitability"] == 50 and n["mid"]["profitability"] == 50
    assert n["small"]["profitability"] is None
    # growth: +100 % and −50 %; undefined where the previous year was 0
    assert (n["big"]["growth"], n["mid"]["growth"], n["small"]["growth"]) == (100, None, 0)
    # the one that takes the most discount is the most price-sensitive: the lowest score
    assert (
        n["big"]["price_sensitivity"],
        n["mid"]["price_sensitivity"],
        n["small"]["price_sensitivity"],
    ) == (0, 100, 50)
    assert (n["big"]["partnership"], n["mid"]["partnership"], n["small"]["partnership"]) == (
        100,
        None,
        None,
    )
    assert (n["big"]["potential"], n["mid"]["potential"], n["small"]["potential"]) == (
        0,
        100,
        None,
    )


@given(
    st.dictionaries(
        st.text(alphabet="abcdef", min_size=1, max_size=3),
        st.tuples(
            st.integers(1, 10_000),
            st.none() | st.integers(-100, 10_000),
            st.none() | st.floats(0, 0.9),
            st.none() | st.integers(1, 5),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_every_normalised_criterion_lies_within_0_and_100(
    rows: dict[str, tuple[int, int | None, float | None, int | None]],
) -> None:
    raw = {
        k: _raw(
            revenue,
            previous_revenue=None if prev is None else D(prev),
            discount=discount,
            partnership=rating,
        )
        for k, (revenue, prev, discount, rating) in rows.items()
    }
    for values in normalise(raw).values():
        assert set(values) == set(CRITERIA)
        assert values["profitability"] is None and values["potential"] is None
        for v in values.values():
            assert v is None or 0 <= v <= 100
