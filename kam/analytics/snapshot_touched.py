"""The snapshot after an import: only the rows the import can have changed.

An import changes the lines of the clients it touches (those of the invoices it
brings or replaces) in the years it touches. A client's totals, categories and
newest invoices depend on its own lines alone, so only the touched clients'
rows are read from the ledger again. What depends on every client of a year is
recomputed whole but written only where it changed: the Pareto ranks, ABC
classes and RFM scores (from the touched clients' new purchases and the other
clients' unchanged ones, kept in the rank rows), the year's headline figures,
and the reference prices (a product's market price moves with any client's
lines). A full rebuild gives the same tables; `snapshot_refresh` falls back to
it whenever the snapshot did not follow the import before this one.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Model, QuerySet

from kam.analytics import engine, engine_extra
from kam.analytics.engine import ClientYear, Purchases
from kam.analytics.models import (
    ClientRecentInvoices,
    ClientYearCategories,
    ClientYearMetric,
    ClientYearRank,
    YearSummary,
)
from kam.analytics.snapshot_extra import (
    RANK_COLUMNS,
    bulk_insert,
    run_in_chunks,
    snapshot_statistics_update,
    write_recent_invoices,
    year_ranks,
)
from kam.analytics.snapshot_rows import (
    METRIC_COLUMNS,
    Prices,
    client_ids_of,
    metric_rows,
    unattributed_micros,
    year_runs,
    year_summary_write,
)
from kam.common.periods import Period
from kam.ledger.store import Store

RECENT = engine_extra.RECENT_INVOICES


@dataclass(frozen=True, slots=True)
class _RunLedger:
    """What the ledger says about a run of touched years, as it comes in."""

    figures: Future[list[ClientYear]]  # the touched clients'
    categories: Future[list[engine_extra.CategoryTotals]]  # the touched clients'
    prices: Future[Prices]  # every client's
    unattributed: Future[dict[int, tuple[int, int]]]


def _run_ledger(
    pool: ThreadPoolExecutor, store: Store, years: list[int], touched: frozenset[str]
) -> _RunLedger:
    """Queue the run's ledger queries, in the order the refresh needs their answers."""
    period = Period(Period.year(years[0]).start, Period.year(years[-1]).end)
    return _RunLedger(
        pool.submit(engine.yearly_client_totals, store, period, clients=touched),
        pool.submit(engine_extra.yearly_categories, store, period, clients=touched),
        pool.submit(_prices, store, period),
        pool.submit(unattributed_micros, store, years),
    )


def _prices(store: Store, period: Period) -> Prices:
    return {(c, y): (paid, ref) for c, y, paid, ref in engine.yearly_prices_paid(store, period)}


def touched_refresh(
    *, store: Store, years: Sequence[int], touched: frozenset[str], import_id: int
) -> int:
    """Bring the snapshot, current before import `import_id`, up to date after it.

    `years` and `touched` are the years and clients of the lines the import added
    or replaced. Returns the number of metric rows written.

    The ledger queries run in a second thread, one after another, while this one
    reads the stored rows and works on the answers already in (DuckDB and the
    database driver release the GIL while they work).
    """
    ids = client_ids_of(touched)
    runs = year_runs(sorted(set(years)))
    written = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kam-ledger") as ledger:
        try:
            pending = [_run_ledger(ledger, store, run, touched) for run in runs]
            listed = _recent_invoices_listed(touched, ids)
            recent = ledger.submit(engine_extra.recent_invoices_since, store, listed[0], import_id)
            for run, read in zip(runs, pending, strict=True):
                written += _refresh_run(run, touched, ids, read)
            _refresh_recent_invoices(store, touched, ids, listed, recent.result())
        except BaseException:
            ledger.shutdown(cancel_futures=True)  # the queries not started yet are not run
            raise
    _years_span_follow(store)
    snapshot_statistics_update()
    return written


def _years_span_follow(store: Store) -> None:
    """One headline row per year from the ledger's first year to its last, as a rebuild
    writes: an import may leave empty years before or after the ones it touched, or
    take away every line of the first or last year."""
    span = engine.ledger_span(store)
    wanted = set(range(span.first.year, span.last.year + 1)) if span.first and span.last else set()
    have = set(YearSummary.objects.values_list("year", flat=True))
    for run in year_runs(sorted(wanted - have)):
        unattributed = unattributed_micros(store, run)
        for year in run:
            year_summary_write(year, {}, unattributed[year])
    gone = sorted(have - wanted)
    for model in (YearSummary, ClientYearMetric, ClientYearRank, ClientYearCategories):
        model.objects.filter(year__in=gone).delete()


def _refresh_run(
    years: list[int], touched: frozenset[str], ids: dict[str, int], ledger: _RunLedger
) -> int:
    kept_ranks = _fetch(
        ClientYearRank.objects.filter(year__in=years).values_list(
            "id", "client__external_id", *RANK_COLUMNS
        )
    )
    kept_metrics = _fetch(
        ClientYearMetric.objects.filter(year__in=years).values_list(
            "client_id",
            "client__external_id",
            "year",
            "revenue_micros",
            "priced_revenue_micros",
            "reference_micros",
        )
    )
    figures = ledger.figures.result()
    _refresh_ranks(years, touched, ids, kept_ranks, figures)
    mine = sorted(ids.values())
    categories = ledger.categories.result()
    revenues = _refresh_metrics(
        years, touched, ids, mine, kept_metrics, figures, categories, ledger.prices.result()
    )
    unattributed = ledger.unattributed.result()
    for year in years:
        year_summary_write(year, revenues[year], unattributed[year])
    _refresh_categories(years, ids, mine, categories)
    return len(figures)


def _delete_of(model: type[Model], years: list[int], client_ids: list[int]) -> None:
    """Delete the rows of `years` of the clients with these operational ids."""
    marks = ", ".join(["%s"] * len(years))
    run_in_chunks(
        f"DELETE FROM {model._meta.db_table} WHERE year IN ({marks}) AND client_id IN ({{values}})",
        client_ids,
        years,
    )


def _fetch(queryset: QuerySet[Any, Any]) -> list[tuple[Any, ...]]:
    """The rows of a `values_list` query, without the ORM's per-row work (plain columns)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def _refresh_metrics(
    years: list[int],
    touched: frozenset[str],
    ids: dict[str, int],
    mine: list[int],
    kept: list[tuple[Any, ...]],
    figures: list[ClientYear],
    categories: list[engine_extra.CategoryTotals],
    prices: Prices,
) -> dict[int, dict[str, int]]:
    """Touched clients' rows anew, other clients' prices where they moved; returns every
    client's revenue per year. `kept` holds the stored rows of `years`."""
    revenues: dict[int, dict[str, int]] = defaultdict(dict)
    moved = []
    for client_id, client, year, revenue, paid, reference in kept:
        if client in touched:
            continue
        revenues[year][client] = revenue
        now = prices.get((client, year), (0, 0))
        if now != (paid, reference):
            moved.append((*now, year, client_id))
    for f in figures:
        revenues[f.year][f.client] = f.revenue
    _delete_of(ClientYearMetric, years, mine)
    named = {(c, year): count for c, year, _, count in categories}
    bulk_insert(ClientYearMetric, METRIC_COLUMNS, metric_rows(figures, ids, named, prices))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {ClientYearMetric._meta.db_table} SET priced_revenue_micros = %s, "
            "reference_micros = %s WHERE year = %s AND client_id = %s",
            moved,
        )
    return revenues


def _refresh_categories(
    years: list[int],
    ids: dict[str, int],
    mine: list[int],
    categories: list[engine_extra.CategoryTotals],
) -> None:
    _delete_of(ClientYearCategories, years, mine)
    rows = [(ids[client], year, totals) for client, year, totals, _ in categories if client in ids]
    bulk_insert(ClientYearCategories, ("client_id", "year", "totals"), rows)


def _refresh_ranks(
    years: list[int],
    touched: frozenset[str],
    ids: dict[str, int],
    kept: list[tuple[Any, ...]],
    figures: list[ClientYear],
) -> None:
    """Every rank row of `years` recomputed; only those that changed are written.
    `kept` holds the stored rows of `years` (id, external id, `RANK_COLUMNS`)."""
    old: dict[tuple[int, int], tuple[int, tuple[Any, ...]]] = {}
    purchases: dict[int, list[Purchases]] = defaultdict(list)
    everyone = dict(ids)
    ends = {year: Period.year(year).end for year in years}
    day = dt.timedelta(days=1)
    for pk, client, *values in kept:
        client_id, year, _, _, recency, frequency, monetary = values[:7]
        old[(client_id, year)] = (pk, tuple(values))
        everyone[client] = client_id
        if client not in touched:  # its purchases are as the rank row says
            purchases[year].append((client, year, monetary, frequency, ends[year] - recency * day))
    for f in figures:
        purchases[f.year].append(f.purchases)
    a, b = Decimal(settings.KAM_ABC_A), Decimal(settings.KAM_ABC_B)
    new: list[tuple[Any, ...]] = []
    changed: list[tuple[Any, ...]] = []
    for year in years:
        for row in year_ranks(year, purchases[year], everyone, a=a, b=b):
            before = old.pop((row[0], row[1]), None)
            if before is None:
                new.append(row)
            elif before[1] != row:
                changed.append((*row[2:], before[0]))
    gone = sorted(pk for pk, _ in old.values())
    run_in_chunks(f"DELETE FROM {ClientYearRank._meta.db_table} WHERE id IN ({{values}})", gone)
    changed.sort(key=lambda row: row[-1])  # by id: the table is walked once, in order
    assignments = ", ".join(f"{column} = %s" for column in RANK_COLUMNS[2:])
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {ClientYearRank._meta.db_table} SET {assignments} WHERE id = %s",
            changed,
        )
    bulk_insert(ClientYearRank, RANK_COLUMNS, new)


def _recent_invoices_listed(
    touched: frozenset[str], ids: dict[str, int]
) -> tuple[dict[str, dt.date | None], set[str], dict[int, str]]:
    """What the touched clients' newest invoices are read from: each client's oldest
    listed date (None: read all its invoices), the clients with a full list, and the
    stored texts by client id."""
    external = {pk: client for client, pk in ids.items()}
    since: dict[str, dt.date | None] = dict.fromkeys(touched)
    full: set[str] = set()
    existing: dict[int, str] = {}
    table = ClientRecentInvoices._meta.db_table
    rows = run_in_chunks(
        f"SELECT client_id, oldest_on, invoices FROM {table} WHERE client_id IN ({{values}})",
        sorted(external),
    )
    for pk, oldest, text in rows:
        since[external[pk]] = (
            oldest if isinstance(oldest, dt.date) else dt.date.fromisoformat(oldest)
        )
        existing[pk] = text
        if len(json.loads(text)) // 4 >= RECENT:
            full.add(external[pk])
    return since, full, existing


def _refresh_recent_invoices(
    store: Store,
    touched: frozenset[str],
    ids: dict[str, int],
    listed: tuple[dict[str, dt.date | None], set[str], dict[int, str]],
    read: list[tuple[str, dt.date, dt.date, str, int]],
) -> None:
    """The touched clients' newest invoices, read from the oldest one listed before.

    A client's new list holds its listed invoices the import left alone and the
    import's invoices; older invoices come in only where the import took listed
    ones away (fewer than a full list remain certain): those clients are read whole.
    """
    _, full, existing = listed
    # A full list that is not certain, or that the read found nothing of (every invoice
    # from its date on went to another client): read whole.
    sure = {row[0]: row[4] for row in read}
    short = {client for client in full if sure.get(client, 0) < RECENT}
    fresh = [row[:4] for row in read if row[0] not in short]
    fresh.extend(engine_extra.recent_invoices_of(store, sorted(short)))
    write_recent_invoices(fresh, touched, ids, existing)
