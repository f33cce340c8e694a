"""Actuals of key accounts: month by month from the ledger, and progress on objectives.

The months of every key account are refreshed after each import (the
`ledger_changed` signal); a client designated since the last import gets its
months the first time its page is opened. Objectives compare with these and
with the yearly snapshot, so actuals move with every import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max

from kam.analytics import engine
from kam.analytics.client_selectors import category_revenue
from kam.analytics.core.forecast import Forecast, Method, Status, forecast, status_of
from kam.analytics.engine_accounts import monthly_totals
from kam.analytics.models import ClientYearMetric, from_micros, to_micros
from kam.clients.models import Client
from kam.common.periods import Period
from kam.ledger.store import Store
from kam.planning.models import AccountMonth, AccountMonthState, Objective

ZERO = Decimal(0)


@transaction.atomic
def account_months_refresh(*, store: Store, clients: Iterable[Client] | None = None) -> int:
    """Recompute the months of `clients` (every key account when None); returns rows written."""
    targets = (
        list(clients) if clients is not None else list(Client.objects.filter(is_key_account=True))
    )
    if not targets:
        return 0
    span = engine.ledger_span(store)
    latest = engine.latest_import_id(store)
    by_external = {c.external_id: c for c in targets}
    AccountMonth.objects.filter(client__in=targets).delete()
    rows: list[AccountMonth] = []
    if span.first and span.last:
        period = Period(dt.date(span.first.year, 1, 1), dt.date(span.last.year + 1, 1, 1))
        for t in monthly_totals(store, sorted(by_external), period):
            rows.append(
                AccountMonth(
                    client=by_external[t.client],
                    year=t.year,
                    month=t.month,
                    revenue_micros=to_micros(t.revenue),
                    costed_revenue_micros=to_micros(t.costed_revenue),
                    cost_micros=to_micros(t.cost),
                    quantity=t.quantity,
                )
            )
    AccountMonth.objects.bulk_create(rows, batch_size=2000)
    for client in targets:
        AccountMonthState.objects.update_or_create(
            client=client, defaults={"ledger_import_id": latest}
        )
    return len(rows)


def account_months_ensure(*, store: Store, client: Client) -> None:
    """Fill a key account's months if they lag the ledger (e.g. designated since the import)."""
    state = AccountMonthState.objects.filter(client=client).first()
    if state is None or state.ledger_import_id != engine.latest_import_id(store):
        account_months_refresh(store=store, clients=[client])


def ledger_as_of() -> dt.date | None:
    """The day after the ledger's last invoice: what 'to date' means for actuals."""
    last = ClientYearMetric.objects.aggregate(m=Max("last_invoiced_on"))["m"]
    return last + dt.timedelta(days=1) if last else None


@dataclass(frozen=True, slots=True)
class YearActuals:
    revenue: Decimal
    margin: Decimal | None
    quantity: Decimal
    categories: int
    by_category: dict[str, Decimal]
    monthly_revenue: dict[tuple[int, int], Decimal]  # every year of the account


def year_actuals(*, client: Client, year: int) -> YearActuals:
    months = list(AccountMonth.objects.filter(client=client))
    mine = [m for m in months if m.year == year]
    costed = sum(m.costed_revenue_micros for m in mine)
    metric = ClientYearMetric.objects.filter(client=client, year=year).first()
    return YearActuals(
        revenue=from_micros(sum(m.revenue_micros for m in mine)),
        margin=from_micros(costed - sum(m.cost_micros for m in mine)) if costed else None,
        quantity=sum((m.quantity for m in mine), ZERO),
        categories=metric.categories if metric else 0,
        by_category=category_revenue(year=year, client_ids=[client.pk]).get(client.pk, {}),
        monthly_revenue={(m.year, m.month): from_micros(m.revenue_micros) for m in months},
    )


@dataclass(frozen=True, slots=True)
class Progress:
    objective: Objective
    actual: Decimal | None  # None: the measure cannot be measured (e.g. no wallet estimate)
    expected: Decimal | None  # forecast to period end
    method: str  # Method, or "point" for measures that are a level, not a sum
    share_of_target: float | None  # actual ÷ target
    status: Status | None


def _share_of_wallet(client: Client, year: int, category: str, revenue: Decimal) -> Decimal | None:
    wallet = client.wallet_estimates.filter(year=year, category=category).first()
    if wallet is None or wallet.amount <= 0:
        return None
    return revenue / wallet.amount


def objectives_progress(
    *, client: Client, year: int, as_of: dt.date | None = None
) -> list[Progress]:
    """Each objective of `client` in `year` against the actuals and the forecast."""
    as_of = as_of or ledger_as_of() or dt.date(year, 1, 1)
    actuals = year_actuals(client=client, year=year)
    period = Period.year(year)
    result: list[Progress] = []
    for objective in Objective.objects.filter(client=client, year=year):
        result.append(_progress(objective, client, actuals, period, as_of))
    return result


def _progress(
    objective: Objective, client: Client, actuals: YearActuals, period: Period, as_of: dt.date
) -> Progress:
    measure, category = objective.measure, objective.category
    revenue = actuals.by_category.get(category, ZERO) if category else actuals.revenue
    seasonal = _seasonal(actuals, period, as_of, actuals.revenue)
    actual: Decimal | None
    expected: Decimal | None
    method = seasonal.method.value
    if measure == Objective.Measure.REVENUE:
        actual = revenue
        expected = _scaled(revenue, seasonal)
    elif measure == Objective.Measure.MARGIN:
        actual = actuals.margin
        expected = None if actual is None else _scaled(actual, seasonal)
    elif measure == Objective.Measure.VOLUME:
        actual = actuals.quantity
        expected = _scaled(actual, seasonal)
    elif measure == Objective.Measure.SHARE_OF_WALLET:
        actual = _share_of_wallet(client, period.start.year, category, revenue)
        forecast_revenue = _scaled(revenue, seasonal)
        expected = _share_of_wallet(client, period.start.year, category, forecast_revenue)
    else:  # range breadth: a level reached, not a sum that grows
        actual = Decimal(actuals.categories)
        expected = actual
        method = "point"
    target = objective.target
    share = float(actual / target) if actual is not None and target > 0 else None
    status = status_of(expected, target) if expected is not None else None
    return Progress(objective, actual, expected, method, share, status)


def _seasonal(actuals: YearActuals, period: Period, as_of: dt.date, revenue: Decimal) -> Forecast:
    earlier = {k: v for k, v in actuals.monthly_revenue.items() if k[0] < period.start.year}
    return forecast(
        start=period.start, end=period.end, as_of=as_of, actual=revenue, monthly=earlier
    )


def _scaled(actual: Decimal, seasonal: Forecast) -> Decimal:
    """The forecast factor of revenue applied to another measure of the same account."""
    if seasonal.method is Method.COMPLETE:
        return actual
    if seasonal.actual > 0:
        return (actual * seasonal.expected / seasonal.actual).quantize(Decimal("0.01"))
    if seasonal.share_elapsed > 0:
        return (actual / Decimal(str(seasonal.share_elapsed))).quantize(Decimal("0.01"))
    return actual


def connect_refresh() -> None:
    """Refresh key accounts' months after each import (called once at start-up)."""
    from kam.ledger.signals import ledger_changed

    def refresh(sender: Any, *, store: Store, **_: Any) -> None:
        account_months_refresh(store=store)

    ledger_changed.connect(refresh, weak=False, dispatch_uid="kam.planning.months")
