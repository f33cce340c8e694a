"""The client page's part of the snapshot: ABC and RFM per year, categories, recent invoices.

`snapshot_details_refresh` runs inside a full `snapshot_refresh` for each run
of years, after the per-client totals, from the RFM purchases and the
categories that refresh read from the ledger; the recent invoices cost one
more grouped ledger query, and no table costs a query per client.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.db.models import DateField

from kam.analytics import engine_extra
from kam.analytics.core.concentration import concentration_of_units
from kam.analytics.core.rfm import quintile_scores
from kam.analytics.engine import Purchases
from kam.analytics.models import (
    ClientRecentInvoices,
    ClientYearCategories,
    ClientYearRank,
    YearSummary,
)
from kam.common.batches import chunks
from kam.common.periods import Period
from kam.ledger.store import Store

_BATCH = 5000
_SQLITE_CACHE_KIB = 64 * 1024
_INDEX_LATER_ROWS = 20_000  # from here an empty table's indexes are built after the insert

# `ClientYearRank` columns in the order of `year_ranks` rows.
RANK_COLUMNS = (
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
)


def snapshot_details_refresh(
    *,
    store: Store,
    years: Sequence[int],
    ids: dict[str, int],
    purchases: Iterable[Purchases],
    categories: Iterable[engine_extra.CategoryTotals],
) -> None:
    """Recompute ranks and categories of `years`, and the recent invoices of their clients.

    `ids` maps ledger client ids to operational ids; `purchases` and `categories`
    are the ledger's rows for `years` (`engine.yearly_client_totals`,
    `engine_extra.yearly_categories`). After an import, `snapshot_touched` does this
    work for the touched clients alone.
    """
    period = Period(Period.year(years[0]).start, Period.year(years[-1]).end)
    bulk_load_settings()
    _refresh_ranks(purchases, years, ids)
    _refresh_categories(categories, years, ids)
    _refresh_recent_invoices(store, period, ids)
    # Years that left the ledger (a full rebuild) keep no rows behind.
    kept = YearSummary.objects.values("year")
    ClientYearRank.objects.exclude(year__in=kept).delete()
    ClientYearCategories.objects.exclude(year__in=kept).delete()
    snapshot_statistics_update()


def bulk_load_settings() -> None:
    """A larger page cache on SQLite for the refresh's index writes (per connection, harmless)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{_SQLITE_CACHE_KIB}")


def snapshot_statistics_update() -> None:
    """Refresh SQLite's planner statistics (PostgreSQL's autovacuum does its own).

    Without them SQLite walks a whole ABC class to find a manager's few clients.
    """
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA analysis_limit = 1000")  # sampled: milliseconds, not seconds
            cursor.execute("ANALYZE")


def _refresh_ranks(
    purchases: Iterable[Purchases], years: Sequence[int], ids: dict[str, int]
) -> None:
    by_year: dict[int, list[Purchases]] = defaultdict(list)
    for purchase in purchases:
        if purchase[0] in ids:
            by_year[purchase[1]].append(purchase)
    a, b = Decimal(settings.KAM_ABC_A), Decimal(settings.KAM_ABC_B)
    rows: list[tuple[Any, ...]] = []
    for year in years:
        rows.extend(year_ranks(year, by_year[year], ids, a=a, b=b))
    ClientYearRank.objects.filter(year__in=years).delete()
    bulk_insert(ClientYearRank, RANK_COLUMNS, rows)


def year_ranks(
    year: int,
    purchases: Sequence[Purchases],
    ids: dict[str, int],
    *,
    a: Decimal,
    b: Decimal,
) -> list[tuple[Any, ...]]:
    """ABC and RFM of one year's Pareto population, as table rows, in integer micros
    (SPEC: ABC, RFM; the order and classes are `core.concentration`'s)."""
    bought = {p[0]: p for p in purchases if p[4] is not None}
    result = concentration_of_units({c: p[2] for c, p in bought.items()}, places=6, a=a, b=b)
    if not result.order:
        return []
    population = [bought[c] for c in result.order]
    end = Period.year(year).end
    recency = [(end - p[4]).days for p in population]  # type: ignore[operator]
    frequency = [p[3] for p in population]
    monetary = result.units
    r_scores = quintile_scores(recency, higher_is_better=False)
    f_scores = quintile_scores(frequency)
    m_scores = quintile_scores(monetary)
    counts = result.class_counts()
    classes = ["A"] * counts["A"] + ["B"] * counts["B"] + ["C"] * counts["C"]
    return [
        (
            ids[client],
            year,
            i + 1,
            classes[i],
            recency[i],
            frequency[i],
            monetary[i],
            r_scores[i],
            f_scores[i],
            m_scores[i],
        )
        for i, client in enumerate(result.order)
    ]


def _refresh_categories(
    categories: Iterable[engine_extra.CategoryTotals], years: Sequence[int], ids: dict[str, int]
) -> None:
    rows = [(ids[client], year, totals) for client, year, totals, _ in categories if client in ids]
    ClientYearCategories.objects.filter(year__in=years).delete()
    bulk_insert(ClientYearCategories, ("client_id", "year", "totals"), rows)


def _refresh_recent_invoices(store: Store, period: Period, ids: dict[str, int]) -> None:
    """Clients buying in the period, and those whose listed invoices in it may be gone.

    Only rows whose text changed are rewritten: after a monthly file most clients
    buying in the period keep the same newest invoices.
    """
    fresh = engine_extra.recent_invoices_of_active(store, period)
    active = {row[0] for row in fresh}
    # Listed dates overlapping the period: a superset of the clients with a listed
    # invoice in it (recomputing a client more changes nothing).
    listed = ClientRecentInvoices.objects.filter(
        oldest_on__lt=period.end, newest_on__gte=period.start
    ).values_list("client_id", flat=True)
    external = {pk: client for client, pk in ids.items()}
    stale = {external[pk] for pk in listed if pk in external} - active
    fresh.extend(engine_extra.recent_invoices_of(store, sorted(stale)))
    write_recent_invoices(fresh, stale, ids)


def write_recent_invoices(
    fresh: list[engine_extra.RecentInvoices],
    stale: Iterable[str],
    ids: dict[str, int],
    existing: dict[int, str] | None = None,
) -> None:
    """Write `fresh` rows whose text changed; delete the rows of `stale` clients without one.

    `existing` is the stored text of every client of `fresh` and `stale` that has a
    row, when the caller has read it (all rows are read otherwise).
    """
    if existing is None:
        existing = dict(ClientRecentInvoices.objects.values_list("client_id", "invoices"))
    rows = [
        (ids[c], oldest, newest, text)
        for c, oldest, newest, text in fresh
        if c in ids and existing.get(ids[c]) != text
    ]
    kept = {ids[c] for c, *_ in fresh if c in ids}
    gone = [ids[c] for c in stale if c in ids and ids[c] in existing and ids[c] not in kept]
    run_in_chunks(
        f"DELETE FROM {ClientRecentInvoices._meta.db_table} WHERE client_id IN ({{values}})",
        sorted(gone + [row[0] for row in rows if row[0] in existing]),
    )
    bulk_insert(ClientRecentInvoices, ("client_id", "oldest_on", "newest_on", "invoices"), rows)


def run_in_chunks(sql: str, values: Sequence[Any], params: Sequence[Any] = ()) -> list[Any]:
    """Run `sql`, whose `{values}` is an IN list, over `values` in chunks; the rows of all.

    Plain SQL: the ORM spends milliseconds building each filter of 900 values.
    `params` come before the chunk's values.
    """
    rows: list[Any] = []
    with connection.cursor() as cursor:
        for chunk in chunks(values):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(sql.replace("{values}", marks), [*params, *chunk])
            if cursor.description is not None:
                rows.extend(cursor.fetchall())
    return rows


def bulk_insert(
    model: type[models.Model], columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Plain executemany in batches: far faster than bulk_create for 100k rows.

    On SQLite dates go in as ISO text (what the ORM writes too), sparing the
    sqlite3 module's per-value date adapter.
    """
    table = model._meta.db_table
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    dates = [i for i, c in enumerate(columns) if isinstance(model._meta.get_field(c), DateField)]
    with connection.cursor() as cursor, _indexes_set_aside(cursor, table, len(rows)):
        for i in range(0, len(rows), _BATCH):
            batch = rows[i : i + _BATCH]
            if dates and connection.vendor == "sqlite":
                batch = [_iso_dates(row, dates) for row in batch]
            cursor.executemany(sql, batch)


@contextlib.contextmanager
def _indexes_set_aside(cursor: Any, table: str, rows: int) -> Iterator[None]:
    """Into an empty SQLite table, many rows go in faster with its indexes built after.

    Only inside a transaction, which restores the indexes if anything fails (SQLite's
    DDL is transactional); the unique constraints' own indexes stay.
    """
    if connection.vendor != "sqlite" or rows < _INDEX_LATER_ROWS or not connection.in_atomic_block:
        yield
        return
    cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")
    if cursor.fetchone() is not None:
        yield
        return
    cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
        "AND sql IS NOT NULL",
        [table],
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    for _, create in indexes:
        cursor.execute(create)


def _iso_dates(row: tuple[Any, ...], dates: list[int]) -> tuple[Any, ...]:
    values = list(row)
    for i in dates:
        values[i] = values[i].isoformat()
    return tuple(values)
