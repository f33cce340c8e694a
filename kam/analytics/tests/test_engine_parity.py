"""The same ledger gives the same figures on DuckDB and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import override_settings

from kam.analytics import engine, engine_extra
from kam.analytics.models import categories_from_json, recent_invoices_from_json
from kam.analytics.selectors import concentration_analysis
from kam.common.periods import Period
from kam.ledger.demo import DemoSpec, write_demo_csv
from kam.ledger.services import ledger_import
from kam.ledger.store import DuckDBStore, PostgresStore, Store

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

PERIODS = [
    Period.parse("2023-01-01", "2024-01-01"),
    Period.parse("2024-03-15", "2024-09-01"),
    Period.parse("2022-12-01", "2026-01-01"),
]


def _figures(store: Store) -> list[object]:
    figures: list[object] = [engine.ledger_span(store)]
    for period in PERIODS:
        figures.append(engine.period_revenue(store, period))
        figures.append(engine.unattributed(store, period))
        figures.append(engine.yearly_unattributed(store, period))
        figures.append(sorted(engine.yearly_client_totals(store, period), key=lambda f: f.client))
        # the market price is rounded from a floating-point average: equal to a millionth
        figures.append(
            [
                (client, year, paid, round(paid / reference, 6))
                for client, year, paid, reference in engine.yearly_prices_paid(store, period)
            ]
        )
        # the client page's snapshot tables (JSON text in no fixed order: compared parsed)
        figures.append(
            sorted(
                (c, y, categories_from_json(text), named)
                for c, y, text, named in engine_extra.yearly_categories(store, period)
            )
        )
        figures.append(
            sorted(
                (c, oldest, newest, recent_invoices_from_json(text))
                for c, oldest, newest, text in engine_extra.recent_invoices_of_active(store, period)
            )
        )
    return figures


def _analyses(store: Store) -> list[dict[str, object]]:
    with override_settings(KAM_LEDGER_URL=store.url):
        return [concentration_analysis(store=store, period=p).as_json(top=50) for p in PERIODS]


def test_duckdb_and_postgresql_give_identical_results(
    duckdb_store: DuckDBStore, postgres_store: PostgresStore, tmp_path: Path
) -> None:
    spec = DemoSpec(clients=120, lines=6000, seed=3, end=Period.year(2025).end)
    first = write_demo_csv(tmp_path / "first.csv", spec)
    overlap = write_demo_csv(
        tmp_path / "second.csv",
        DemoSpec(clients=120, lines=1500, seed=4, end=Period.year(2025).end),
    )
    for store in (duckdb_store, postgres_store):
        assert ledger_import(store=store, paths=[first]).ok
        assert ledger_import(store=store, paths=[overlap]).ok

    duck, pg = _figures(duckdb_store), _figures(postgres_store)
    assert duck == pg
    assert _analyses(duckdb_store) == _analyses(postgres_store)
    totals = duck[1]
    assert isinstance(totals, engine.PeriodRevenue) and len(totals.clients) > 50  # it compared
