"""The client page's part of the snapshot: ABC and RFM per year, categories, recent invoices.

`snapshot_details_refresh` runs inside `snapshot_refresh` for each run of
touched years, after the per-client totals; it costs one grouped ledger query
per table and no query per client.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models

from kam.analytics import engine_extra
from kam.analytics.core.concentration import abc_classify
from kam.analytics.core.rfm import RfmInput, rfm_score
from kam.analytics.models import (
    ClientCategoryYear,
    ClientYearRank,
    RecentInvoice,
    YearSummary,
    to_micros,
)
from kam.clients.models import Client
from kam.common.periods import Period
from kam.ledger.store import Store

_BATCH = 5000
_ID_CHUNK = 900  # below SQLite's oldest limit on query parameters


def snapshot_details_refresh(*, store: Store, years: Sequence[int]) -> None:
    """Recompute ranks and categories of `years`, and the recent invoices of their clients."""
    period = Period(Period.year(years[0]).start, Period.year(years[-1]).end)
    ids = dict(Client.objects.values_list("external_id", "pk"))
    _refresh_ranks(store, period, years, ids)
    _refresh_categories(store, period, years, ids)
    _refresh_recent_invoices(store, period, ids)
    # Years that left the ledger (a full rebuild) keep no rows behind.
    kept = YearSummary.objects.values("year")
    ClientYearRank.objects.exclude(year__in=kept).delete()
    ClientCategoryYear.objects.exclude(year__in=kept).delete()
    snapshot_statistics_update()


def snapshot_statistics_update() -> None:
    """Refresh SQLite's planner statistics (PostgreSQL's autovacuum does its own).

    Without them SQLite walks a whole ABC class to find a manager's few clients.
    """
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA analysis_limit = 1000")  # sampled: milliseconds, not seconds
            cursor.execute("ANALYZE")


def _refresh_ranks(store: Store, period: Period, years: Sequence[int], ids: dict[str, int]) -> None:
    by_year: dict[int, list[engine_extra.Purchases]] = defaultdict(list)
    for purchase in engine_extra.yearly_purchases(store, period):
        if purchase.client in ids:
            by_year[purchase.year].append(purchase)
    rows: list[tuple[Any, ...]] = []
    for year in years:
        rows.extend(_year_ranks(year, by_year[year], ids))
    ClientYearRank.objects.filter(year__in=years).delete()
    _insert(
        ClientYearRank,
        (
            "client_id",
            "year",
            "pareto_rank",
            "abc_class",
            "recency_days",
            "frequency",
            "monetary_micros",
            "r_score",
            "f_score",
            "m_score",
        ),
        rows,
    )


def _year_ranks(
    year: int, purchases: list[engine_extra.Purchases], ids: dict[str, int]
) -> list[tuple[Any, ...]]:
    """ABC and RFM of one year's Pareto population, as table rows."""
    a, b = Decimal(settings.KAM_ABC_A), Decimal(settings.KAM_ABC_B)
    abc = abc_classify({p.client: p.revenue for p in purchases}, a=a, b=b)
    inputs = {
        p.client: RfmInput(p.last_on, p.invoices, p.revenue)
        for p in purchases
        if p.last_on is not None
    }
    rfm = {row.client_id: row for row in rfm_score(inputs, period_end=Period.year(year).end)}
    return [
        (
            ids[row.client_id],
            year,
            rank,
            row.abc_class,
            rfm[row.client_id].recency_days,
            rfm[row.client_id].frequency,
            to_micros(row.revenue),
            rfm[row.client_id].r_score,
            rfm[row.client_id].f_score,
            rfm[row.client_id].m_score,
        )
        for rank, row in enumerate(abc, start=1)
    ]


def _refresh_categories(
    store: Store, period: Period, years: Sequence[int], ids: dict[str, int]
) -> None:
    rows = [
        (ids[client], year, category, micros, lines)
        for client, year, category, micros, lines in engine_extra.yearly_categories(store, period)
        if client in ids
    ]
    ClientCategoryYear.objects.filter(year__in=years).delete()
    _insert(ClientCategoryYear, ("client_id", "year", "category", "revenue_micros", "lines"), rows)


def _refresh_recent_invoices(store: Store, period: Period, ids: dict[str, int]) -> None:
    """Clients buying in the period, and those whose listed invoices in it are gone."""
    fresh = engine_extra.recent_invoices_of_active(store, period)
    active = {invoice[0] for invoice in fresh}
    listed = RecentInvoice.objects.filter(invoiced_on__gte=period.start, invoiced_on__lt=period.end)
    stale = set(listed.values_list("client__external_id", flat=True).distinct()) - active
    for chunk in _chunks(sorted(stale)):
        fresh.extend(engine_extra.recent_invoices_of(store, chunk))
    touched = sorted(ids[c] for c in active | stale if c in ids)
    for chunk_ids in _chunks(touched):
        RecentInvoice.objects.filter(client_id__in=chunk_ids).delete()
    rows = [
        (ids[c], invoice, on, lines, micros) for c, invoice, on, lines, micros in fresh if c in ids
    ]
    _insert(RecentInvoice, ("client_id", "invoice", "invoiced_on", "lines", "amount_micros"), rows)


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), _ID_CHUNK):
        yield items[i : i + _ID_CHUNK]


def _insert(model: type[models.Model], columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Plain executemany, as for the per-client totals: far faster than bulk_create."""
    table = model._meta.db_table
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    with connection.cursor() as cursor:
        for i in range(0, len(rows), _BATCH):
            cursor.executemany(sql, rows[i : i + _BATCH])
