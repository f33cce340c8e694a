"""`kam analyze` reproduces the figures the SPEC's definitions give for real ledgers."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kam.analytics.selectors import concentration_analysis
from kam.common.periods import Period
from kam.ledger.services import ledger_import
from kam.ledger.store import Store

pytestmark = pytest.mark.django_db(transaction=True)


def _periods(expected: dict[str, Any]) -> list[tuple[str, Period]]:
    years = sorted(int(k) for k in expected if k != "all")
    periods = [(str(y), Period.year(y)) for y in years]
    periods.append(("all", Period.parse(f"{years[0]}-01-01", f"{years[-1] + 1}-01-01")))
    return periods


def _check(store: Store, expected: dict[str, Any]) -> None:
    for key, period in _periods(expected):
        want = expected[key]
        got = concentration_analysis(store=store, period=period).as_json(top=5)
        assert got["clients"] == want["clients"], key
        assert got["non_positive"] == want["non_positive"], key
        assert Decimal(got["revenue"]) == Decimal(want["revenue"]), key
        assert got["top20_share"] == pytest.approx(want["top20_share"], abs=1e-6), key
        assert got["abc"] == want["abc"], key
        assert got["gini"] == pytest.approx(want["gini"], abs=1e-6), key
        assert got["hhi"] == pytest.approx(want["hhi"], abs=1e-4), key
        assert [(t["client"], Decimal(t["revenue"])) for t in got["top"]] == [
            (c, Decimal(r)) for c, r in want["top5"]
        ], key
        assert got["unattributed"]["lines"] == want["unattributed_lines"], key
        assert Decimal(got["unattributed"]["amount"]) == Decimal(want["unattributed_amount"])


def test_northwind_matches_expected_figures(store: Store, data_dir: Path) -> None:
    report = ledger_import(store=store, paths=[data_dir / "northwind_order_lines.csv.gz"])
    assert report.ok and report.lines == 2155 and report.clients == 89
    _check(store, json.loads((data_dir / "northwind_expected.json").read_text()))


@pytest.mark.slow
def test_online_retail_matches_expected_figures(store: Store, data_dir: Path) -> None:
    report = ledger_import(store=store, paths=[data_dir / "online_retail_ii_2009_2010.csv.gz"])
    assert report.ok and report.lines == 525_461
    _check(store, json.loads((data_dir / "online_retail_expected.json").read_text()))
