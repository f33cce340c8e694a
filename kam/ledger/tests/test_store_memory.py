"""DuckDB works within KAM_LEDGER_MEMORY, and a value that is not an amount is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from kam.ledger.selectors import ledger_store
from kam.ledger.store import DuckDBStore, LedgerUnavailableError, PostgresStore, open_store


def _limit(con: object) -> str:
    row = con.execute("SELECT current_setting('memory_limit')").fetchone()  # type: ignore[attr-defined]
    return str(row[0])


def test_every_duckdb_connection_of_the_store_has_the_limit(tmp_path: Path) -> None:
    store = open_store(f"duckdb:///{tmp_path / 'ledger.duckdb'}", memory_limit="300MB")
    assert isinstance(store, DuckDBStore)
    with store.staging() as con:
        staging = _limit(con)
    assert staging.replace(" ", "") in {"286.1MiB", "300.0MB"}
    assert store.query("SELECT current_setting('memory_limit')") == [(staging,)]


def test_the_postgresql_store_stages_within_the_limit() -> None:
    store = open_store("postgresql://kam@127.0.0.1:1/x", memory_limit="256MiB")
    assert isinstance(store, PostgresStore)
    with store.staging() as con:  # an in-memory DuckDB: no server needed
        assert _limit(con).replace(" ", "") == "256.0MiB"


def test_the_default_comes_from_the_setting(settings: object, tmp_path: Path) -> None:
    settings.KAM_LEDGER_URL = f"duckdb:///{tmp_path / 'ledger.duckdb'}"  # type: ignore[attr-defined]
    settings.KAM_LEDGER_MEMORY = "400MiB"  # type: ignore[attr-defined]
    store = ledger_store()
    with store.staging():  # creates the ledger file
        pass
    assert store.query("SELECT current_setting('memory_limit')") == [("400.0 MiB",)]


def test_reading_a_ledger_that_does_not_exist_creates_nothing(tmp_path: Path) -> None:
    store = open_store(f"duckdb:///{tmp_path / 'mistyped' / 'ledger.duckdb'}")
    assert store.query("SELECT count(*) FROM ledger_lines") == []
    assert not (tmp_path / "mistyped").exists()


@pytest.mark.parametrize("value", ["", "lots", "1 GB; DROP TABLE x", "-1GB", "GB"])
def test_a_limit_that_is_not_an_amount_is_refused(value: str, tmp_path: Path) -> None:
    with pytest.raises(LedgerUnavailableError, match=r"KAM_LEDGER_MEMORY .* is not an amount"):
        open_store(f"duckdb:///{tmp_path / 'ledger.duckdb'}", memory_limit=value)
    assert not (tmp_path / "ledger.duckdb").exists()
