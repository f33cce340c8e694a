"""The client page's snapshot tables (ranks, categories, recent invoices) follow the ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from kam.analytics.models import (
    ClientRecentInvoices,
    ClientYearCategories,
    ClientYearMetric,
    ClientYearRank,
    YearSummary,
    from_micros,
)
from kam.analytics.services import snapshot_refresh
from kam.ledger.demo import DemoSpec, write_demo_csv
from kam.ledger.services import ledger_import
from kam.ledger.store import Store

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "invoice,date,client,client_name,product,category,quantity,unit_price\n"
FIRST = HEADER + (
    "F1,2023-03-01,C1,Alpha,P1,Tools,1,100\n"
    "F1,2023-03-01,C1,Alpha,P2,Paint,2,10\n"
    "F2,2023-12-31,C1,Alpha,P1,Tools,1,50\n"
    "F3,2023-05-05,C2,Beta,P1,Tools,1,30\n"
    "F4,2023-06-06,C2,Beta,P1,Tools,-1,30\n"
    "F5,2023-07-07,C3,Gamma,P3,,1,5\n"
    "F6,2024-02-02,C2,Beta,P2,Paint,3,10\n"
)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _ranks(year: int) -> dict[str, tuple[object, ...]]:
    rows = ClientYearRank.objects.filter(year=year).values_list(
        "client__external_id", "pareto_rank", "abc_class", "recency_days", "frequency", "r_score"
    )
    return {c: tuple(rest) for c, *rest in rows}


def _categories() -> dict[tuple[str, int, str], tuple[Decimal, int]]:
    rows = ClientYearCategories.objects.select_related("client")
    return {
        (row.client.external_id, row.year, k): (from_micros(r), n)
        for row in rows
        for k, (r, n) in row.by_category().items()
    }


def _recent() -> dict[str, list[tuple[str, dt.date, int, Decimal]]]:
    recent: dict[str, list[tuple[str, dt.date, int, Decimal]]] = {}
    for row in ClientRecentInvoices.objects.select_related("client"):
        listed = row.listed()
        assert (row.oldest_on, row.newest_on) == (listed[-1].invoiced_on, listed[0].invoiced_on)
        recent[row.client.external_id] = [
            (r.invoice, r.invoiced_on, r.lines, from_micros(r.amount_micros)) for r in listed
        ]
    return recent


def test_ranks_hold_the_abc_class_and_rfm_of_each_buying_client(
    store: Store, tmp_path: Path
) -> None:
    assert ledger_import(store=store, paths=[_write(tmp_path / "a.csv", FIRST)]).ok
    # 2023 revenue: C1 170 (97 %), C3 5, C2 0 (a return cancels its purchase): C2 is not ranked
    assert _ranks(2023) == {"C1": (1, "A", 1, 2, 3), "C3": (2, "C", 178, 1, 1)}
    assert _ranks(2024) == {"C2": (1, "A", 334, 1, 1)}


def test_categories_bought_sum_the_ledger_lines_per_year(store: Store, tmp_path: Path) -> None:
    assert ledger_import(store=store, paths=[_write(tmp_path / "a.csv", FIRST)]).ok
    assert _categories() == {
        ("C1", 2023, "Tools"): (Decimal(150), 2),
        ("C1", 2023, "Paint"): (Decimal(20), 1),
        ("C2", 2023, "Tools"): (Decimal(0), 2),
        ("C3", 2023, ""): (Decimal(5), 1),
        ("C2", 2024, "Paint"): (Decimal(30), 1),
    }


def test_recent_invoices_list_each_clients_newest_invoices(store: Store, tmp_path: Path) -> None:
    assert ledger_import(store=store, paths=[_write(tmp_path / "a.csv", FIRST)]).ok
    recent = _recent()
    assert recent["C1"] == [
        ("F2", dt.date(2023, 12, 31), 1, Decimal(50)),
        ("F1", dt.date(2023, 3, 1), 2, Decimal(120)),
    ]
    assert [i for i, *_ in recent["C2"]] == ["F6", "F4", "F3"]


def test_a_reimport_that_moves_an_invoice_updates_both_clients(
    store: Store, tmp_path: Path
) -> None:
    assert ledger_import(store=store, paths=[_write(tmp_path / "a.csv", FIRST)]).ok
    # F5 now belongs to C1: C3 loses its only invoice, C1 gains a category
    moved = HEADER + "F5,2023-07-07,C1,Alpha,P3,,1,5\n"
    assert ledger_import(store=store, paths=[_write(tmp_path / "b.csv", moved)]).ok
    assert "C3" not in _recent() and [i for i, *_ in _recent()["C1"]] == ["F2", "F5", "F1"]
    assert ("C3", 2023, "") not in _categories()
    assert _categories()[("C1", 2023, "")] == (Decimal(5), 1)
    assert set(_ranks(2023)) == {"C1"}


def test_importing_the_same_file_twice_leaves_the_tables_identical(
    store: Store, tmp_path: Path
) -> None:
    path = write_demo_csv(
        tmp_path / "d.csv", DemoSpec(clients=40, lines=3000, seed=5, end=dt.date(2025, 1, 1))
    )
    assert ledger_import(store=store, paths=[path]).ok
    before = (_ranks(2024), _ranks(2023), _categories(), _recent())
    assert ledger_import(store=store, paths=[path]).ok
    assert (_ranks(2024), _ranks(2023), _categories(), _recent()) == before
    snapshot_refresh(store=store)  # a full rebuild gives the same tables too
    assert (_ranks(2024), _ranks(2023), _categories(), _recent()) == before


def test_the_tables_match_the_ledger_of_a_demo_import(store: Store, tmp_path: Path) -> None:
    path = write_demo_csv(
        tmp_path / "d.csv", DemoSpec(clients=40, lines=3000, seed=6, end=dt.date(2025, 1, 1))
    )
    assert ledger_import(store=store, paths=[path]).ok
    expected = store.query(
        "SELECT client, EXTRACT(year FROM invoiced_on), coalesce(category, ''), "
        "sum(net_amount), count(*) FROM ledger_lines WHERE client IS NOT NULL "
        "GROUP BY client, EXTRACT(year FROM invoiced_on), coalesce(category, '')"
    )
    assert _categories() == {(c, int(y), k): (Decimal(r), int(n)) for c, y, k, r, n in expected}
    newest = store.query(
        "SELECT client, max(invoiced_on) FROM ledger_lines WHERE client IS NOT NULL GROUP BY client"
    )
    recent = _recent()
    assert dict(newest) == {c: rows[0][1] for c, rows in recent.items()}
    assert all(len(rows) <= 10 for rows in recent.values()) and len(recent) == len(newest)


def _snapshot() -> tuple[object, ...]:
    metrics = sorted(
        ClientYearMetric.objects.values_list(
            "client__external_id",
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
    )
    years = sorted({m[1] for m in metrics})
    summaries = sorted(YearSummary.objects.values_list("year", "clients", "top20_share", "gini"))
    return metrics, [_ranks(y) for y in years], _categories(), _recent(), summaries


def test_after_overlapping_imports_the_tables_equal_a_full_rebuild(
    store: Store, tmp_path: Path
) -> None:
    """The refresh after an import reads again only the touched years, and the newest
    invoices of the touched clients; the result must be what a rebuild computes."""
    first = write_demo_csv(
        tmp_path / "a.csv", DemoSpec(clients=60, lines=4000, seed=7, end=dt.date(2025, 1, 1))
    )
    # 300 of its invoices are in the first file too, with other clients and lines
    second = write_demo_csv(
        tmp_path / "b.csv", DemoSpec(clients=60, lines=1500, seed=8, end=dt.date(2026, 1, 1))
    )
    assert ledger_import(store=store, paths=[first]).ok
    assert ledger_import(store=store, paths=[second]).ok
    # then every invoice of one client moves to a new client
    (moved,) = store.query("SELECT min(client) FROM ledger_lines")
    rows = store.query("SELECT DISTINCT invoice FROM ledger_lines WHERE client = ?", [moved[0]])
    text = "invoice,date,client,product,quantity,unit_price\n" + "".join(
        f"{invoice},2024-06-01,ZZ-NEW,P1,1,10\n" for (invoice,) in rows
    )
    assert ledger_import(store=store, paths=[_write(tmp_path / "c.csv", text)]).ok
    incremental = _snapshot()
    assert moved[0] not in _recent() and "ZZ-NEW" in _recent()  # the moved client has no list
    snapshot_refresh(store=store)
    assert _snapshot() == incremental
