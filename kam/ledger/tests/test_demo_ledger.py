"""`kam demo` makes a believable B2B ledger and imports it like a user's file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from kam.analytics.selectors import concentration_analysis
from kam.common.periods import Period
from kam.ledger.demo import DemoSpec, demo_rows, write_demo_csv
from kam.ledger.services import ledger_import
from kam.ledger.store import Store

SPEC = DemoSpec(clients=300, lines=20_000, seed=5, end=dt.date(2026, 1, 1))


def test_the_same_seed_gives_the_same_ledger() -> None:
    small = DemoSpec(clients=50, lines=500, seed=1, end=dt.date(2026, 1, 1))
    assert demo_rows(small) == demo_rows(small)
    assert demo_rows(small) != demo_rows(
        DemoSpec(clients=50, lines=500, seed=2, end=dt.date(2026, 1, 1))
    )


def test_the_demo_spans_three_years_with_returns_and_costs() -> None:
    rows = demo_rows(SPEC)
    assert len(rows) == SPEC.lines
    dates = {dt.datetime.strptime(r[1], "%d.%m.%Y").date() for r in rows}
    assert min(dates) >= dt.date(2023, 1, 1) and max(dates) < dt.date(2026, 1, 1)
    assert {d.year for d in dates} == {2023, 2024, 2025}
    returns = [r for r in rows if r[8].startswith("-")]
    assert 0.005 < len(returns) / len(rows) < 0.05
    assert all(r[12] for r in rows) and {r[13] for r in rows} == {"EUR"}


@pytest.mark.django_db(transaction=True)
def test_the_demo_imports_cleanly_and_is_concentrated(store: Store, tmp_path: Path) -> None:
    path = write_demo_csv(tmp_path / "demo.csv", SPEC)
    report = ledger_import(store=store, paths=[path])
    assert report.ok and report.lines == SPEC.lines
    mapping = report.files[0].mapping
    assert mapping is not None and mapping.fields["invoice"] == "Nr. factură"
    assert report.files[0].decimal_styles["net_amount"] == "comma"
    analysis = concentration_analysis(store=store, period=Period.year(2025))
    result = analysis.result
    assert Decimal("0.55") < result.top20_share < Decimal("0.95")  # a Pareto-like head
    assert result.class_counts()["A"] < result.clients * Decimal("0.5")
    assert analysis.margin is not None and Decimal("0.1") < analysis.margin.percent < Decimal("0.5")
    assert analysis.margin.coverage == 1
