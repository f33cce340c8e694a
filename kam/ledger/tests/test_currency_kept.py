"""The ledger remembers the reporting currency of its amounts; KAM_CURRENCY must agree."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest

from kam.cli import main
from kam.ledger.selectors import CurrencyChangedError
from kam.ledger.services import ledger_import
from kam.ledger.store import DuckDBStore, PostgresStore, Store
from kam.ledger.tests.ledger_helpers import csv_text, ledger_rows, write_text

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = [("F1", "2024-01-05", "C1", "Alpha SRL", "P1", "2", "10")]


def test_another_currency_is_refused_for_imports_and_analyses(
    store: Store, tmp_path: Path, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.KAM_CURRENCY = "EUR"
    assert ledger_import(store=store, paths=[write_text(tmp_path / "a.csv", csv_text(ROWS))]).ok
    assert store.query("SELECT currency FROM ledger_imports") == [("EUR",)]
    before = ledger_rows(store)

    settings.KAM_CURRENCY = "RON"
    later = write_text(
        tmp_path / "b.csv", csv_text([("F2", "2024-02-05", "C2", "B", "P1", "1", "5")])
    )
    with pytest.raises(CurrencyChangedError) as refused:
        ledger_import(store=store, paths=[later])
    assert str(refused.value).startswith(
        "the ledger's amounts were imported in EUR, but KAM_CURRENCY is RON: set KAM_CURRENCY=EUR"
    )
    assert ledger_rows(store) == before
    assert main(["analyze", "--format", "json"]) == 2
    assert "imported in EUR, but KAM_CURRENCY is RON" in capsys.readouterr().err

    settings.KAM_CURRENCY = "EUR"
    assert main(["analyze", "--format", "json"]) == 0


def _forget_currencies(store: Store) -> None:
    """The ledger as imports left it before they recorded their currency."""
    sql = "UPDATE ledger_imports SET currency = NULL"
    if isinstance(store, DuckDBStore):
        with store.staging() as con:
            con.execute(sql)
    else:
        assert isinstance(store, PostgresStore)
        with contextlib.closing(store._connect()) as con:
            con.execute(sql)
            con.commit()


def test_a_ledger_written_before_the_currency_was_recorded_is_not_refused(
    store: Store, tmp_path: Path, settings: Any
) -> None:
    assert ledger_import(store=store, paths=[write_text(tmp_path / "a.csv", csv_text(ROWS))]).ok
    _forget_currencies(store)
    settings.KAM_CURRENCY = "RON"
    later = write_text(
        tmp_path / "b.csv", csv_text([("F2", "2024-02-05", "C2", "B", "P1", "1", "5")])
    )
    assert ledger_import(store=store, paths=[later]).ok
