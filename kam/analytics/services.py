"""Writes of the analytics app: the metrics snapshot."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from kam.analytics import engine, engine_extra
from kam.analytics.models import ClientYearMetric, SnapshotState, YearSummary
from kam.analytics.snapshot_extra import bulk_insert, bulk_load_settings, snapshot_details_refresh
from kam.analytics.snapshot_rows import (
    METRIC_COLUMNS,
    client_ids_of,
    metric_rows,
    unattributed_micros,
    year_runs,
    year_summary_write,
)
from kam.analytics.snapshot_touched import touched_refresh
from kam.clients.models import Client
from kam.common.periods import Period
from kam.ledger.selectors import ledger_currency_check
from kam.ledger.store import Store


@transaction.atomic
def snapshot_refresh(
    *, store: Store, years: Iterable[int] | None = None, clients: Iterable[str] | None = None
) -> int:
    """Recompute the per-client, per-year snapshot for `years` (all when None).

    `clients` names the ledger clients whose lines changed, when the caller knows
    (an import: the clients of the lines it added or replaced, in `years`). If the
    snapshot followed the import before the latest one, only what those clients'
    lines can have changed is recomputed (`snapshot_touched`); otherwise every
    year is rebuilt.
    """
    bulk_load_settings()
    latest = engine.latest_import_id(store)
    if years is not None and clients is not None:
        if _follows_previous_import(store, latest):
            written = touched_refresh(
                store=store, years=list(years), touched=frozenset(clients), import_id=latest
            )
            _state_save(store, latest)
            return written
        years = None  # the snapshot lagged before this import: rebuild it all
    if years is None:
        span = engine.ledger_span(store)
        ClientYearMetric.objects.all().delete()
        YearSummary.objects.all().delete()
        years = range(span.first.year, span.last.year + 1) if span.first and span.last else []
    written = 0
    for chunk in year_runs(sorted(set(years))):
        written += _refresh_years(store, chunk)
    _state_save(store, latest)
    return written


def _follows_previous_import(store: Store, latest: int) -> bool:
    """Whether the snapshot was current just before import `latest` was applied
    (the first import builds it whole: every client is new)."""
    state = SnapshotState.objects.filter(pk=1).first()
    if state is None or state.ledger_url != store.url:
        return False
    previous = engine.previous_import_id(store, latest)
    return previous > 0 and state.ledger_import_id == previous


def _state_save(store: Store, latest: int) -> None:
    state, _ = SnapshotState.objects.get_or_create(pk=1, defaults={"ledger_url": store.url})
    state.ledger_url = store.url
    state.ledger_import_id = latest
    state.save()


def snapshot_ensure_current(*, store: Store) -> bool:
    """Rebuild the snapshot if it lags the ledger (e.g. after a crash); True if rebuilt.

    Refuses (`CurrencyChangedError`) when KAM_CURRENCY is not the ledger's currency.
    """
    ledger_currency_check(store)
    state = SnapshotState.objects.filter(pk=1).first()
    latest = engine.latest_import_id(store)
    if state and state.ledger_url == store.url and state.ledger_import_id == latest:
        return False
    snapshot_refresh(store=store)
    return True


def _refresh_years(store: Store, years: list[int]) -> int:
    """The snapshot of a run of consecutive years: metric rows written."""
    period = Period(Period.year(years[0]).start, Period.year(years[-1]).end)
    figures = engine.yearly_client_totals(store, period)
    categories = engine_extra.yearly_categories(store, period)
    ids = _client_ids({f.client for f in figures})
    prices = {
        (c, year): (paid, ref) for c, year, paid, ref in engine.yearly_prices_paid(store, period)
    }
    named = {(c, year): count for c, year, _, count in categories}
    ClientYearMetric.objects.filter(year__in=years).delete()
    rows = metric_rows(figures, ids, named, prices)
    bulk_insert(ClientYearMetric, METRIC_COLUMNS, rows)
    unattributed = unattributed_micros(store, years)
    revenues: dict[int, dict[str, int]] = {year: {} for year in years}
    for f in figures:
        revenues[f.year][f.client] = f.revenue
    for year in years:
        year_summary_write(year, revenues[year], unattributed[year])
    snapshot_details_refresh(
        store=store,
        years=years,
        ids=ids,
        purchases=(f.purchases for f in figures),
        categories=categories,
    )
    return len(rows)


def _client_ids(wanted: set[str]) -> dict[str, int]:
    """Operational ids of ledger clients; any the store lacks (an import cut short) is added."""
    ids = dict(Client.objects.values_list("external_id", "pk"))
    missing = wanted - set(ids)
    if missing:
        ids.update(client_ids_of(missing))
    return ids
