"""Forecast to period end: seasonal run rate, fallbacks, status against the objective."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kam.analytics.core.forecast import Method, Status, forecast, status_of

D = Decimal
START, END = dt.date(2025, 1, 1), dt.date(2026, 1, 1)


def _flat(year: int, per_month: Decimal) -> dict[tuple[int, int], Decimal]:
    return {(year, m): per_month for m in range(1, 13)}


def test_a_seasonal_business_is_forecast_by_last_years_curve() -> None:
    # last year: a quarter of the year's sales in December alone
    monthly = _flat(2024, D(100))
    monthly[2024, 12] = D(1100) / 3 * 1  # 11 × 100 = 1100 before, ~366.67 in December
    f = forecast(start=START, end=END, as_of=dt.date(2025, 12, 1), actual=D(1210), monthly=monthly)
    assert f.method is Method.SEASONAL and f.years_used == 1
    assert f.share_elapsed == float(D(1100) / (D(1100) + D(1100) / 3))  # 0.75
    assert f.expected == D("1613.33")  # 1210 ÷ 0.75
    # the plain run rate would have said 1210 × 365 ÷ 334
    plain = forecast(start=START, end=END, as_of=dt.date(2025, 12, 1), actual=D(1210), monthly={})
    assert plain.method is Method.RUN_RATE
    assert plain.expected == (D(1210) * 365 / 334).quantize(D("0.01"))


def test_within_a_month_the_share_grows_with_the_days() -> None:
    f = forecast(
        start=START, end=END, as_of=dt.date(2025, 2, 16), actual=D(150), monthly=_flat(2024, D(100))
    )
    # January and 15 of 28 February days, of 1,200
    assert f.share_elapsed == float((D(100) + D(100) * 15 / 28) / 1200)
    assert f.method is Method.SEASONAL


def test_bigger_earlier_years_weigh_more() -> None:
    monthly = {**_flat(2024, D(100)), **_flat(2023, D(10))}
    monthly[2023, 1] = D(890)  # 2023 made most of its (small) year in January
    f = forecast(start=START, end=END, as_of=dt.date(2025, 2, 1), actual=D(100), monthly=monthly)
    assert f.years_used == 2
    assert f.share_elapsed == float((D(100) + D(890)) / (D(1200) + D(1000)))


def test_too_early_or_no_history_falls_back_to_the_run_rate() -> None:
    early = forecast(
        start=START, end=END, as_of=dt.date(2025, 1, 10), actual=D(30), monthly=_flat(2024, D(1))
    )
    assert early.method is Method.RUN_RATE  # 9/31 of a month is below 5 % of the year
    assert (
        forecast(start=START, end=END, as_of=dt.date(2025, 1, 1), actual=D(0), monthly={}).expected
        == 0
    )
    done = forecast(start=START, end=END, as_of=dt.date(2026, 3, 1), actual=D(7), monthly={})
    assert done.method is Method.COMPLETE and done.expected == D(7)


def test_status_against_the_objective() -> None:
    assert status_of(D(100), D(100)) is Status.ON_TRACK
    assert status_of(D(90), D(100)) is Status.AT_RISK
    assert status_of(D("89.99"), D(100)) is Status.OFF_TRACK
    assert status_of(D(0), D(0)) is Status.ON_TRACK


@given(
    st.decimals(min_value=0, max_value=10**6, places=2),
    st.decimals(min_value=0, max_value=10**6, places=2),
    st.integers(min_value=1, max_value=364),
)
def test_more_sold_to_date_never_lowers_the_forecast(a: Decimal, extra: Decimal, day: int) -> None:
    as_of = START + dt.timedelta(days=day)
    monthly = _flat(2024, D(100))
    low = forecast(start=START, end=END, as_of=as_of, actual=a, monthly=monthly)
    high = forecast(start=START, end=END, as_of=as_of, actual=a + extra, monthly=monthly)
    assert high.expected >= low.expected >= a.quantize(D("0.01")) - D("0.01")
