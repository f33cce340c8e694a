"""Rows of the snapshot's tables that the full rebuild and the refresh after an import
both write (`services.snapshot_refresh`, `snapshot_touched.touched_refresh`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from kam.analytics import engine
from kam.analytics.core.concentration import concentration_of_units
from kam.analytics.engine import ClientYear
from kam.analytics.models import YearSummary
from kam.analytics.snapshot_extra import run_in_chunks
from kam.clients.models import Client
from kam.common.periods import Period
from kam.ledger.store import Store

METRIC_COLUMNS = (
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

Prices = dict[tuple[str, int], tuple[int, int]]


def metric_rows(
    figures: Iterable[ClientYear],
    ids: dict[str, int],
    named: dict[tuple[str, int], int],
    prices: Prices,
) -> list[tuple[Any, ...]]:
    """`ClientYearMetric` rows (in `METRIC_COLUMNS` order) of the ledger's yearly figures."""
    return [
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


def year_summary_write(year: int, revenues: dict[str, int], unattributed: tuple[int, int]) -> None:
    """The year's headline figures from every client's net revenue (micros) that year and
    the (lines, micros) without a client."""
    result = concentration_of_units(revenues, places=6)
    YearSummary.objects.filter(year=year).delete()
    YearSummary.objects.create(
        year=year,
        unattributed_lines=unattributed[0],
        unattributed_micros=unattributed[1],
        clients=result.clients,
        top20_share=float(result.top20_share),
        gini=float(result.gini),
        hhi=float(result.hhi),
    )


def unattributed_micros(store: Store, years: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Lines without a client and their net amount in micros, for each of the consecutive
    `years` ((0, 0) for a year without any): one ledger scan, however many years."""
    if not years:
        return {}
    period = Period(Period.year(years[0]).start, Period.year(years[-1]).end)
    found = engine.yearly_unattributed(store, period)
    return {year: found.get(year, (0, 0)) for year in years}


def year_runs(years: list[int]) -> list[list[int]]:
    """Consecutive years together, so one ledger scan serves each run."""
    runs: list[list[int]] = []
    for year in years:
        if runs and runs[-1][-1] == year - 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return runs


def client_ids_of(wanted: Iterable[str]) -> dict[str, int]:
    """Operational ids of the named ledger clients; any the store lacks is added."""
    wanted = sorted(set(wanted))
    sql = f"SELECT external_id, id FROM {Client._meta.db_table} WHERE external_id IN ({{values}})"
    ids: dict[str, int] = dict(run_in_chunks(sql, wanted))
    missing = [c for c in wanted if c not in ids]
    if missing:
        Client.objects.bulk_create(
            [Client(external_id=c, name=c) for c in missing], batch_size=2000
        )
        ids.update(run_in_chunks(sql, missing))
    return ids
