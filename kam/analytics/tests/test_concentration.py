"""The pure concentration maths (SPEC: ABC, top share, Gini, HHI)."""

from __future__ import annotations

import math
import random
from decimal import Decimal, localcontext
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kam.analytics.core.concentration import (
    abc_classify,
    concentration,
    concentration_of_units,
    gini,
    hhi,
    lorenz_points,
    pareto_order,
    top_share,
)

D = Decimal
revenues = st.dictionaries(
    st.text(alphabet="ABCDEFGHIJ0123456789", min_size=1, max_size=6),
    st.decimals(min_value=-1000, max_value=100000, places=2, allow_nan=False),
    max_size=60,
)


def test_client_crossing_the_threshold_is_in_class_a() -> None:
    rows = abc_classify({"a": D(50), "b": D(25), "c": D(15), "d": D(6), "e": D(4)})
    # 75% before c, 90% after it: c crosses 80% and is in A; d crosses 95% and is in B
    assert [r.abc_class for r in rows] == ["A", "A", "A", "B", "C"]


def test_client_reaching_exactly_the_threshold_closes_class_a() -> None:
    rows = abc_classify({"a": D(80), "b": D(15), "c": D(5)})
    assert [r.abc_class for r in rows] == ["A", "B", "C"]


def test_ties_are_ordered_by_client_id_as_text() -> None:
    order = pareto_order({"10": D(5), "9": D(5), "2": D(7)})
    assert [c for c, _ in order] == ["2", "10", "9"]


def test_non_positive_clients_are_counted_apart() -> None:
    result = concentration({"a": D(10), "b": D(0), "c": D(-3)})
    assert result.clients == 1 and result.non_positive == 2 and result.revenue == D(10)


def test_top_share_takes_the_ceiling_of_twenty_percent() -> None:
    # 6 clients: ceil(1.2) = 2 clients in the head
    assert top_share([D(40), D(20), D(10), D(10), D(10), D(10)], D("0.2")) == D("0.6")


def test_gini_is_zero_for_equal_clients_and_grows_with_concentration() -> None:
    assert gini([D(5)] * 4) == 0
    assert gini([D(1), D(1), D(1), D(97)]) > gini([D(10), D(20), D(30), D(40)]) > 0


def test_hhi_of_a_monopoly_is_ten_thousand() -> None:
    assert hhi([D(42)]) == D(10000)
    assert hhi([D(1)] * 4) == D(2500)


def test_thresholds_are_configurable() -> None:
    rows = abc_classify({"a": D(50), "b": D(30), "c": D(20)}, a=D("0.5"), b=D("0.8"))
    assert [r.abc_class for r in rows] == ["A", "B", "C"]
    with pytest.raises(ValueError, match="thresholds"):
        abc_classify({"a": D(1)}, a=D("0.9"), b=D("0.8"))


@given(revenues)
def test_shares_end_at_one_and_classes_are_monotone(data: dict[str, Decimal]) -> None:
    rows = abc_classify(data)
    if not rows:
        return
    assert rows[-1].cumulative_share == pytest.approx(D(1))
    classes = [r.abc_class for r in rows]
    assert classes == sorted(classes)  # A... then B... then C...
    assert classes[0] == "A"
    revenues_desc = [r.revenue for r in rows]
    assert revenues_desc == sorted(revenues_desc, reverse=True)


@given(revenues, st.randoms())
def test_input_order_does_not_matter(data: dict[str, Decimal], rnd: random.Random) -> None:
    items = list(data.items())
    rnd.shuffle(items)
    assert concentration(dict(items)) == concentration(data)


@given(revenues)
def test_figures_stay_in_their_ranges(data: dict[str, Decimal]) -> None:
    result = concentration(data)
    assert 0 <= result.gini < 1
    assert 0 <= result.hhi <= 10000
    assert 0 <= result.top20_share <= 1
    points = lorenz_points([r.revenue for r in result.rows])
    assert points[0] == (D(0), D(0))
    assert all(y1 >= y0 for (_, y0), (_, y1) in pairwise(points))


def _reference(data: dict[str, Decimal], a: Decimal, b: Decimal) -> dict[str, object]:
    """The SPEC's definitions written out plainly, in Decimal at 60 digits."""
    with localcontext(prec=60):
        population = sorted(((c, r) for c, r in data.items() if r > 0), key=lambda i: (-i[1], i[0]))
        total = sum((r for _, r in population), D(0))
        rows, running = [], D(0)
        for client, revenue in population:
            share_before = running / total
            rows.append(
                (
                    client,
                    revenue,
                    running + revenue,
                    "A" if share_before < a else "B" if share_before < b else "C",
                )
            )
            running += revenue
        n = len(population)
        ascending = [r for _, r in reversed(population)]
        figures = {
            "rows": rows,
            "top20": sum((r for _, r in population[: math.ceil(D("0.2") * n)]), D(0)) / total
            if n
            else D(0),
            "gini": 2 * sum((i * x for i, x in enumerate(ascending, 1)), D(0)) / (n * total)
            - D(n + 1) / n
            if n
            else D(0),
            "hhi": sum(((r * 100 / total) ** 2 for _, r in population), D(0)) if n else D(0),
        }
    return figures


# Amounts of 0 to 6 decimal places mixed, whole amounts with positive exponents
# (1.2E+5), and amounts beyond the default 28-digit context.
amounts = st.one_of(
    st.tuples(st.integers(-(10**6), 10**12), st.integers(0, 6)).map(
        lambda t: D(t[0]).scaleb(-t[1])
    ),
    st.tuples(st.integers(-99, 999), st.integers(1, 8)).map(lambda t: D(t[0]).scaleb(t[1])),
    st.integers(10**29, 10**31).map(lambda n: D(n).scaleb(-6)),
)
mixed = st.dictionaries(
    st.text(alphabet="ABCab019_é", min_size=1, max_size=4), amounts, max_size=40
)


@given(
    mixed,
    st.sampled_from(
        [
            (D("0.80"), D("0.95")),
            (D("0.5"), D("0.8")),
            (D("0.333"), D("0.7777")),
            (D("0.5"), D("0.5")),
            (D(1), D(1)),
        ]
    ),
)
def test_integer_arithmetic_gives_the_definitions(
    data: dict[str, Decimal], thresholds: tuple[Decimal, Decimal]
) -> None:
    a, b = thresholds
    want = _reference(data, a, b)
    result = concentration(data, a=a, b=b)
    rows = want["rows"]
    assert isinstance(rows, list)
    assert [(r.client_id, r.revenue, r.cumulative, r.abc_class) for r in result.rows] == rows
    assert result.class_counts() == {k: sum(1 for r in rows if r[3] == k) for k in ("A", "B", "C")}
    with localcontext(prec=60):
        by_class = {k: sum((r[1] for r in rows if r[3] == k), D(0)) for k in ("A", "B", "C")}
        shares = [(D(i) / len(rows), r[2] / rows[-1][2]) for i, r in enumerate(rows, 1)]
    assert result.class_revenues() == by_class
    points = result.lorenz(range(result.clients + 1))
    assert points[0] == (D(0), D(0))
    assert all(
        abs(x - wx) <= D("1e-25") and abs(y - wy) <= D("1e-25")
        for (x, y), (wx, wy) in zip(points[1:], shares, strict=True)
    )
    close = D("1e-20")
    for got, expected in (
        (result.top20_share, want["top20"]),
        (result.gini, want["gini"]),
        (result.hhi, want["hhi"]),
    ):
        assert abs(got - expected) <= close  # type: ignore[operator]


@given(revenues, st.integers(min_value=0, max_value=70))
def test_rows_read_in_part_are_the_same_rows(data: dict[str, Decimal], n: int) -> None:
    result = concentration(data)
    assert result.head(n) == result.rows[:n]
    assert result.revenues() == {r.client_id: r.revenue for r in result.rows}


def test_thresholds_and_amounts_must_be_exact() -> None:
    with pytest.raises(TypeError, match="float"):
        concentration({"a": D(1)}, a=0.8)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="whole numbers"):
        concentration_of_units({"a": D("1.5")}, places=0)  # type: ignore[dict-item]


def test_micros_and_decimals_give_the_same_result() -> None:
    micros = {"a": 1_500_000, "b": 250_000, "c": -1, "d": 1}
    decimals = {c: D(m).scaleb(-6) for c, m in micros.items()}
    by_units = concentration_of_units(micros, places=6)
    assert by_units.rows == concentration(decimals).rows
    assert by_units.revenue == D("1.750001") and by_units.non_positive == 1
    assert [r.abc_class for r in by_units.rows] == ["A", "B", "C"]


def test_amounts_beyond_the_default_precision_stay_exact() -> None:
    # 30 significant digits: the default 28-digit context would round these sums
    big = {"a": D("123456789012345678901234.567891"), "b": D("0.000001")}
    result = concentration(big)
    assert result.revenue == D("123456789012345678901234.567892")
    assert [r.cumulative for r in result.rows][-1] == result.revenue
