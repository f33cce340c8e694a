"""Bulk inserts into an empty SQLite table build its indexes after, and never lose them."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from kam.analytics import snapshot_extra
from kam.analytics.models import ClientYearRank
from kam.clients.models import Client

pytestmark = pytest.mark.django_db(transaction=True)

COLUMNS = (
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


def _indexes() -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
            "ORDER BY name",
            [ClientYearRank._meta.db_table],
        )
        return list(cursor.fetchall())


def _rows(n: int) -> list[tuple[Any, ...]]:
    ids = [Client.objects.create(external_id=f"C{i}", name=f"C{i}").pk for i in range(n)]
    return [(pk, 2024, i + 1, "A", 5, 3, 1000 * (n - i), 5, 5, 5) for i, pk in enumerate(ids)]


@pytest.fixture
def sqlite_only(monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("indexes are set aside on SQLite only")
    monkeypatch.setattr(snapshot_extra, "_INDEX_LATER_ROWS", 2)


@pytest.mark.usefixtures("sqlite_only")
def test_the_indexes_are_built_again_and_used() -> None:
    before = _indexes()
    assert any(name == "rank_year_class" for name, _ in before)
    rows = _rows(5)
    statements: list[str] = []

    def record(execute: Any, sql: str, *args: Any) -> Any:
        statements.append(sql)
        return execute(sql, *args)

    with transaction.atomic(), connection.execute_wrapper(record):
        snapshot_extra.bulk_insert(ClientYearRank, COLUMNS, rows)
    assert any(s.startswith("DROP INDEX") for s in statements)  # set aside, then:
    assert _indexes() == before
    assert ClientYearRank.objects.count() == 5
    with connection.cursor() as cursor:  # the rebuilt index holds every row
        cursor.execute(
            "SELECT count(*) FROM analytics_clientyearrank INDEXED BY rank_year_class "
            "WHERE year = 2024 AND abc_class = 'A'"
        )
        assert cursor.fetchone() == (5,)


@pytest.mark.usefixtures("sqlite_only")
def test_a_failed_insert_keeps_the_indexes_and_no_row() -> None:
    before = _indexes()
    rows = _rows(3)
    with pytest.raises(IntegrityError), transaction.atomic():
        snapshot_extra.bulk_insert(ClientYearRank, COLUMNS, rows + rows[:1])  # one twice
    assert _indexes() == before
    assert ClientYearRank.objects.count() == 0
