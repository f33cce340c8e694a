"""The snapshot's integer ranks agree with the SPEC maths of `core` (ABC, RFM)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from kam.analytics.core.rfm import RfmInput, rfm_score
from kam.analytics.models import from_micros
from kam.analytics.snapshot_extra import year_ranks
from kam.common.periods import Period

YEAR = 2024
clients = st.text(alphabet="aAbB0_-é", min_size=1, max_size=4)
purchase = st.tuples(
    st.integers(min_value=-50, max_value=60).map(lambda n: n * 250_000),  # many ties
    st.integers(min_value=0, max_value=4),
    st.one_of(st.none(), st.dates(dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31))),
)
thresholds = st.sampled_from([("0.80", "0.95"), ("0.5", "0.5"), ("0.333", "0.9"), ("1", "1")])


def _abc_plain(micros: dict[str, int], a: str, b: str) -> list[tuple[str, int, str]]:
    """SPEC ABC written out with fractions: (client, revenue, class) in Pareto order."""
    population = sorted(((c, m) for c, m in micros.items() if m > 0), key=lambda i: (-i[1], i[0]))
    total = sum(m for _, m in population)
    rows, running = [], 0
    for client, m in population:
        share_before = Fraction(running, total)
        rows.append(
            (
                client,
                m,
                "A" if share_before < Fraction(a) else "B" if share_before < Fraction(b) else "C",
            )
        )
        running += m
    return rows


def _core(
    purchases: dict[str, tuple[int, int, dt.date | None]], a: str, b: str
) -> list[tuple[object, ...]]:
    abc = _abc_plain({c: m for c, (m, _, last) in purchases.items() if last is not None}, a, b)
    inputs = {
        c: RfmInput(last, n, from_micros(m))
        for c, (m, n, last) in purchases.items()
        if last is not None
    }
    rfm = {r.client_id: r for r in rfm_score(inputs, period_end=Period.year(YEAR).end)}
    return [
        (
            client,
            rank,
            abc_class,
            rfm[client].recency_days,
            rfm[client].frequency,
            micros,
            rfm[client].r_score,
            rfm[client].f_score,
            rfm[client].m_score,
        )
        for rank, (client, micros, abc_class) in enumerate(abc, start=1)
    ]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(clients, purchase, max_size=40), thresholds)
def test_integer_ranks_equal_the_core_definitions(
    purchases: dict[str, tuple[int, int, dt.date | None]], limits: tuple[str, str]
) -> None:
    a, b = limits
    rows = [(c, YEAR, m, n, last) for c, (m, n, last) in purchases.items()]
    ids = {c: c for c in purchases}
    got = year_ranks(YEAR, rows, ids, a=Decimal(a), b=Decimal(b))  # type: ignore[arg-type]
    assert [(r[0], *r[2:]) for r in got] == [(c, *rest) for c, *rest in _core(purchases, a, b)]
    assert all(r[1] == YEAR for r in got)


def test_the_client_crossing_the_a_threshold_is_in_a() -> None:
    rows = [("x", YEAR, 70, 1, dt.date(YEAR, 5, 1)), ("y", YEAR, 20, 1, dt.date(YEAR, 5, 1))]
    rows += [("z", YEAR, 10, 1, dt.date(YEAR, 5, 1))]
    got = year_ranks(YEAR, rows, {"x": 1, "y": 2, "z": 3}, a=Decimal("0.8"), b=Decimal("0.95"))
    # x reaches 70 %, y crosses 80 % (A); z starts at 90 % < 95 % (B)
    assert [(r[0], r[2], r[3]) for r in got] == [(1, 1, "A"), (2, 2, "A"), (3, 3, "B")]
