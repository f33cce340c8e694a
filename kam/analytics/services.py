"""Writes of the analytics app: the metrics snapshot."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from kam.analytics import engine, engine_extra
from kam.analytics.core.concentration import concentration_of_units
from kam.analytics.models import ClientYearMetric, SnapshotState, YearSummary, to_micros
from kam.analytics.snapshot_extra import (
    bulk_insert,
    bulk_load_settings,
    recent_invoices_refresh_of,
    snapshot_details_refresh,
)
from kam.clients.models import Client
from kam.common.periods import Period
from kam.ledger.store import Store


@transaction.atomic
def snapshot_refresh(
    *, store: Store, years: Iterable[int] | None = None, clients: Iterable[str] | None = None
) -> int:
    """Recompute the per-client, per-year snapshot for `years` (all when None).

    `clients` names the ledger clients whose lines changed, when the caller knows:
    only their newest invoices are read again (every client's when None).
    """
    span = engine.ledger_span(store)
    bulk_load_settings()
    touched = None if clients is None or years is None else frozenset(clients)
    if years is None:
        ClientYearMetric.objects.all().delete()
        YearSummary.objects.all().delete()
        years = range(span.first.year, span.last.year + 1) if span.first and span.last else []
    written, ids = 0, dict[str, int]()
    for chunk in _year_runs(sorted(set(years))):
        rows, ids = _refresh_years(store, chunk, recent=touched is None)
        written += rows
    if touched:  # the newest invoices do not depend on the year: once, for those clients
        recent_invoices_refresh_of(store, touched, ids or _client_ids(set(touched)))
    state, _ = SnapshotState.objects.get_or_create(pk=1, defaults={"ledger_url": store.url})
    state.ledger_url = store.url
    state.ledger_import_id = engine.latest_import_id(store)
    state.save()
    return written


def snapshot_ensure_current(*, store: Store) -> bool:
    """Rebuild the snapshot if it lags the ledger (e.g. after a crash); True if rebuilt."""
    state = SnapshotState.objects.filter(pk=1).first()
    latest = engine.latest_import_id(store)
    if state and state.ledger_url == store.url and state.ledger_import_id == latest:
        return False
    snapshot_refresh(store=store)
    return True


def _year_runs(years: list[int]) -> list[list[int]]:
    """Consecutive years together, so one ledger scan serves each run."""
    runs: list[list[int]] = []
    for year in years:
        if runs and runs[-1][-1] == year - 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return runs


def _refresh_years(store: Store, years: list[int], *, recent: bool) -> tuple[int, dict[str, int]]:
    """The snapshot of a run of consecutive years: (metric rows written, client ids)."""
    period = Period(Period.year(years[0]).start, Period.year(years[-1]).end)
    figures = engine.yearly_client_totals(store, period)
    categories = engine_extra.yearly_categories(store, period)
    ids = _client_ids({f.client for f in figures})
    prices = {
        (c, year): (paid, ref) for c, year, paid, ref in engine.yearly_prices_paid(store, period)
    }
    named = {(c, year): count for c, year, _, count in categories}
    ClientYearMetric.objects.filter(year__in=years).delete()
    YearSummary.objects.filter(year__in=years).delete()
    rows = [
        (
            ids[f.client],
            f.year,
            f.revenue,
            f.costed_revenue,
            f.cost,
            f.lines,
            f.invoices,
            named.get((f.client, f.year), 0),
            f.last_invoiced_on,
            *prices.get((f.client, f.year), (0, 0)),
        )
        for f in figures
        if f.client in ids
    ]
    _insert_metrics(rows)
    for year in years:
        lines, amount = engine.unattributed(store, Period.year(year))
        # The headline figures of `concentration()` (its per-client rows are not stored)
        result = concentration_of_units(
            {f.client: f.revenue for f in figures if f.year == year}, places=6
        )
        YearSummary.objects.create(
            year=year,
            unattributed_lines=lines,
            unattributed_micros=to_micros(amount),
            clients=result.clients,
            top20_share=float(result.top20_share),
            gini=float(result.gini),
            hhi=float(result.hhi),
        )
    snapshot_details_refresh(
        store=store,
        years=years,
        ids=ids,
        purchases=(f.purchases for f in figures),
        categories=categories,
        recent=recent,
    )
    return len(rows), ids


def _client_ids(wanted: set[str]) -> dict[str, int]:
    """Operational ids of ledger clients; any the store lacks (an import cut short) is added."""
    ids = dict(Client.objects.values_list("external_id", "pk"))
    missing = wanted - set(ids)
    if missing:
        Client.objects.bulk_create(
            [Client(external_id=c, name=c) for c in sorted(missing)], batch_size=2000
        )
        ids.update(Client.objects.filter(external_id__in=missing).values_list("external_id", "pk"))
    return ids


def _insert_metrics(rows: list[tuple[Any, ...]]) -> None:
    columns = (
        "client_id",
        "year",
        "revenue_micros",
        "costed_revenue_micros",
        "cost_micros",
        "lines",
        "invoices",
        "categories",
        "last_invoiced_on",
        "priced_revenue_micros",
        "reference_micros",
    )
    bulk_insert(ClientYearMetric, columns, rows)
