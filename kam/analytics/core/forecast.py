"""Forecast to period end: the run rate, adjusted by the seasonality of earlier years.

Method:

1. From each earlier equal period (the same months a year, two years... back)
   take the share of that period's total that had been reached by the same
   point (same month and day offset). Within a month the share grows
   linearly with the days elapsed.
2. The seasonal share `s` is the revenue-weighted mean of those shares over
   the earlier periods whose total was > 0 (a big year counts more than a
   thin one).
3. Forecast = actual to date ÷ s. When no earlier period is usable, or `s`
   is below `MIN_SHARE` (too early in the period to say much), the plain run
   rate is used instead: actual × period days ÷ elapsed days — and the result
   says which method it used.

Status against an objective: *on track* when the forecast reaches the
objective, *at risk* when it reaches `AT_RISK` (90 %) of it, *off track*
below. An objective of zero or less is always on track.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

MIN_SHARE = 0.05
AT_RISK = Decimal("0.9")

Month = tuple[int, int]  # (year, month)


class Method(enum.StrEnum):
    SEASONAL = "seasonal"
    RUN_RATE = "run_rate"
    COMPLETE = "complete"  # the period is over: the actual is the outcome


class Status(enum.StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"


@dataclass(frozen=True, slots=True)
class Forecast:
    actual: Decimal
    expected: Decimal  # forecast for the whole period
    method: Method
    share_elapsed: float  # share of the period's result normally reached by now (0-1)
    years_used: int  # earlier periods behind the seasonal share


def _months(start: dt.date, end: dt.date) -> list[Month]:
    months: list[Month] = []
    y, m = start.year, start.month
    while dt.date(y, m, 1) < end:
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _reached(
    monthly: Mapping[Month, Decimal], months: Sequence[Month], as_of: dt.date, shift: int
) -> tuple[Decimal, Decimal]:
    """(reached by the same point, total) of the period `shift` years earlier."""
    total = reached = Decimal(0)
    for y, m in months:
        amount = monthly.get((y - shift, m), Decimal(0))
        total += amount
        if (y, m) < (as_of.year, as_of.month):
            reached += amount
        elif (y, m) == (as_of.year, as_of.month):
            days = calendar.monthrange(y, m)[1]
            reached += amount * Decimal(as_of.day - 1) / Decimal(days)
    return reached, total


def forecast(
    *,
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
    actual: Decimal,
    monthly: Mapping[Month, Decimal],
    years_back: int = 3,
) -> Forecast:
    """Expected result of the period [start, end) seen on `as_of` (exclusive: days before it).

    `monthly` holds earlier revenue by (year, month); `actual` is the result
    from `start` up to `as_of`.
    """
    if as_of >= end:
        return Forecast(actual, actual, Method.COMPLETE, 1.0, 0)
    if as_of <= start:
        as_of = start
    months = _months(start, end)
    weighted = Decimal(0)
    weight = Decimal(0)
    used = 0
    for shift in range(1, years_back + 1):
        reached, total = _reached(monthly, months, as_of, shift)
        if total > 0:
            weighted += reached  # Σ reachedᵢ ÷ Σ totalᵢ is the total-weighted mean of shares
            weight += total
            used += 1
    share = float(weighted / weight) if weight > 0 else 0.0
    if used and share >= MIN_SHARE:
        expected = actual / Decimal(str(share))
        return Forecast(actual, expected.quantize(Decimal("0.01")), Method.SEASONAL, share, used)
    elapsed = (as_of - start).days
    days = (end - start).days
    if elapsed <= 0:
        return Forecast(actual, actual, Method.RUN_RATE, 0.0, 0)
    expected = actual * Decimal(days) / Decimal(elapsed)
    return Forecast(actual, expected.quantize(Decimal("0.01")), Method.RUN_RATE, elapsed / days, 0)


def status_of(expected: Decimal, objective: Decimal) -> Status:
    if objective <= 0 or expected >= objective:
        return Status.ON_TRACK
    if expected >= objective * AT_RISK:
        return Status.AT_RISK
    return Status.OFF_TRACK
