"""Reads of the analytics app: the concentration analysis of a period."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from kam.analytics import engine
from kam.analytics.core.concentration import ConcentrationResult, concentration_of_units
from kam.analytics.engine import RevenueMicros
from kam.analytics.models import ClientYearMetric, YearSummary, from_micros
from kam.clients.models import Client
from kam.common.money import money_str, ratio
from kam.common.periods import Period, PeriodError
from kam.ledger.store import Store


@dataclass(frozen=True, slots=True)
class Margin:
    amount: Decimal
    percent: Decimal
    coverage: Decimal


@dataclass(frozen=True, slots=True)
class Analysis:
    period: Period
    currency: str
    result: ConcentrationResult
    unattributed_lines: int
    unattributed_amount: Decimal
    margin: Margin | None
    names: dict[str, str]
    # gross margin per client of the population, where cost is known (none without margins)
    margins: dict[str, Decimal] = field(default_factory=dict)

    def top(self, n: int) -> list[dict[str, Any]]:
        return [
            {
                "client": row.client_id,
                "name": self.names.get(row.client_id, row.client_id),
                "revenue": money_str(row.revenue),
                "share": ratio(row.share),
                "cumulative_share": ratio(row.cumulative_share),
                "class": row.abc_class,
            }
            for row in self.result.head(n)
        ]

    def as_json(self, *, top: int = 20) -> dict[str, Any]:
        """The `kam analyze --format json` document (same keys in the API)."""
        r = self.result
        return {
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "currency": self.currency,
            "clients": r.clients,
            "non_positive": r.non_positive,
            "revenue": money_str(r.revenue),
            "top20_share": ratio(r.top20_share),
            "abc": r.class_counts(),
            "gini": ratio(r.gini),
            "hhi": ratio(r.hhi, 4),
            "unattributed": {
                "lines": self.unattributed_lines,
                "amount": money_str(self.unattributed_amount),
            },
            "margin": None
            if self.margin is None
            else {
                "amount": money_str(self.margin.amount),
                "percent": ratio(self.margin.percent),
                "coverage": ratio(self.margin.coverage),
            },
            "top": self.top(top),
        }


def available_years() -> list[int]:
    """Calendar years that have ledger lines, newest first (from the snapshot)."""
    return sorted(YearSummary.objects.values_list("year", flat=True), reverse=True)


def default_period(*, store: Store) -> Period:
    """The latest (fiscal) year in the ledger (SPEC: periods)."""
    start_month = settings.KAM_FISCAL_YEAR_START
    span = engine.ledger_span(store)
    if span.last is None:
        raise PeriodError("the ledger is empty: import a file first (kam import, or kam demo)")
    return Period.containing(span.last, start_month=start_month)


def concentration_analysis(
    *,
    store: Store,
    period: Period,
    within: QuerySet[Client] | None = None,
    with_margin: bool = True,
) -> Analysis:
    """Every concentration figure of a period, from the snapshot when it can.

    `within` limits the analysis to the clients a person may see; lines without
    a client then belong to nobody they see and are left out. Money stays in
    integer micros until the figures are made.
    """
    if _snapshot_covers(period):
        totals, lines, micros = _from_snapshot(period.start.year, within)
    else:
        found = engine.period_revenue(store, period)
        totals, lines, micros = found.clients, found.unattributed_lines, found.unattributed_micros
        if within is not None:
            allowed = set(within.values_list("external_id", flat=True))
            totals = {c: t for c, t in totals.items() if c in allowed}
    if within is not None:
        lines, micros = 0, 0
    a, b = Decimal(settings.KAM_ABC_A), Decimal(settings.KAM_ABC_B)
    result = concentration_of_units(
        dict(zip(totals, map(itemgetter(0), totals.values()), strict=True)), places=6, a=a, b=b
    )
    names = dict(
        Client.objects.filter(external_id__in=result.order[:1000]).values_list(
            "external_id", "name"
        )
    )
    # The population's clients with lines of known cost (often none): only they
    # count in the margin, and those with costed revenue get a margin of their own.
    costed = {c: t for c, t in totals.items() if (t[1] or t[2]) and t[0] > 0} if with_margin else {}
    return Analysis(
        period=period,
        currency=settings.KAM_CURRENCY,
        result=result,
        unattributed_lines=lines,
        unattributed_amount=from_micros(micros),
        margin=_margin(costed, sum(result.units)) if with_margin else None,
        names=names,
        margins={c: from_micros(cr - co) for c, (_, cr, co) in costed.items() if cr},
    )


def _snapshot_covers(period: Period) -> bool:
    return period.is_year() and period.start.month == 1 and YearSummary.objects.exists()


def _from_snapshot(
    year: int, within: QuerySet[Client] | None
) -> tuple[dict[str, RevenueMicros], int, int]:
    metrics = ClientYearMetric.objects.filter(year=year)
    if within is not None:
        metrics = metrics.filter(client__in=within)
    rows = metrics.values_list(
        "client__external_id", "revenue_micros", "costed_revenue_micros", "cost_micros"
    )
    totals = {c: (r, cr, co) for c, r, cr, co in rows}
    summary = YearSummary.objects.filter(year=year).first()
    if summary is None:
        return totals, 0, 0
    return totals, summary.unattributed_lines, summary.unattributed_micros


def _margin(costed: dict[str, RevenueMicros], revenue: int) -> Margin | None:
    """SPEC gross margin over the lines whose cost is known, for the Pareto population
    (`costed`: its clients with such lines; `revenue`: its net revenue)."""
    costed_revenue = sum(t[1] for t in costed.values())
    if costed_revenue == 0 or revenue == 0:
        return None
    amount = costed_revenue - sum(t[2] for t in costed.values())
    return Margin(
        amount=from_micros(amount),
        percent=Decimal(amount) / Decimal(costed_revenue),
        coverage=Decimal(costed_revenue) / Decimal(revenue),
    )
