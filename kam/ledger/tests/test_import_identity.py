"""An import replaces whole invoices: re-imports and overlapping exports never double count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from kam.ledger.models import ImportJob
from kam.ledger.services import ledger_import
from kam.ledger.store import Store
from kam.ledger.tests.ledger_helpers import (
    clients_table,
    csv_text,
    import_text,
    ledger_lines,
    ledger_rows,
    write_text,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_snapshot")]

D = Decimal
FIRST = [
    ("F1", "2023-12-30", "C1", "Alpha SRL", "P1", "2", "10"),
    ("F1", "2023-12-30", "C1", "Alpha SRL", "P2", "1", "5.5"),
    ("F2", "2023-12-31", "C2", "Beta SA", "P1", "4", "10"),
]
SECOND = [  # re-contains F2, changed and moved to the next year, and brings F3
    ("F2", "2024-01-02", "C2", "Beta SA", "P3", "1", "7"),
    ("F2", "2024-01-02", "C2", "Beta SA", "P1", "3", "10"),
    ("F3", "2024-01-03", "C3", "Gamma SRL", "P1", "1", "10"),
]


def test_a_second_import_of_the_same_file_leaves_the_ledger_identical(
    store: Store, tmp_path: Path
) -> None:
    path = write_text(tmp_path / "sales.csv", csv_text(FIRST + SECOND[2:]))
    first = ledger_import(store=store, paths=[path])
    after_first, clients_after_first = ledger_rows(store), clients_table()
    second = ledger_import(store=store, paths=[path])
    assert ledger_rows(store) == after_first
    assert clients_table() == clients_after_first
    assert len(after_first) == 4
    assert (first.lines, first.lines_replaced) == (4, 0)
    assert (second.lines, second.lines_replaced) == (4, 4)
    assert store.query("SELECT id, lines_in, lines_replaced FROM ledger_imports ORDER BY id") == [
        (1, 4, 0),
        (2, 4, 4),
    ]
    assert store.query("SELECT DISTINCT import_id FROM ledger_lines") == [(2,)]
    jobs = list(ImportJob.objects.order_by("id"))
    assert [j.status for j in jobs] == [ImportJob.Status.SUCCEEDED] * 2
    assert [j.lines_replaced for j in jobs] == [0, 4]
    assert jobs[0].files[0]["sha256"] == jobs[1].files[0]["sha256"] != ""


def test_an_overlapping_export_replaces_the_invoices_it_contains_whole(
    store: Store, tmp_path: Path, no_snapshot: list[tuple[int, ...]]
) -> None:
    import_text(store, tmp_path, csv_text(FIRST), name="january.csv")
    report = import_text(store, tmp_path, csv_text(SECOND), name="february.csv")
    assert report.ok and report.lines_replaced == 1
    columns = "invoice, line, invoiced_on, client, product, net_amount"
    assert ledger_lines(store, columns) == [
        ("F1", 1, dt.date(2023, 12, 30), "C1", "P1", D("20")),
        ("F1", 2, dt.date(2023, 12, 30), "C1", "P2", D("5.5")),
        ("F2", 1, dt.date(2024, 1, 2), "C2", "P3", D("7")),
        ("F2", 2, dt.date(2024, 1, 2), "C2", "P1", D("30")),
        ("F3", 1, dt.date(2024, 1, 3), "C3", "P1", D("10")),
    ]
    assert store.query("SELECT sum(net_amount) FROM ledger_lines") == [(D("72.5"),)]
    # F2 left 2023 and entered 2024: both years' figures must be refreshed.
    assert no_snapshot == [(2023,), (2023, 2024)]


def test_an_invoice_in_two_files_of_one_import_keeps_the_last_files_lines(
    store: Store, tmp_path: Path
) -> None:
    january = write_text(tmp_path / "january.csv", csv_text(FIRST))
    february = write_text(tmp_path / "february.csv", csv_text(SECOND))
    report = ledger_import(store=store, paths=[january, february])
    assert report.ok and (report.lines, report.invoices) == (5, 3)
    assert ledger_lines(store, "invoice, line, product, net_amount") == [
        ("F1", 1, "P1", D("20")),
        ("F1", 2, "P2", D("5.5")),
        ("F2", 1, "P3", D("7")),
        ("F2", 2, "P1", D("30")),
        ("F3", 1, "P1", D("10")),
    ]


def test_identical_lines_of_one_invoice_are_distinct_lines_numbered_by_position(
    store: Store, tmp_path: Path
) -> None:
    rows = [
        ("F1", "2024-01-05", "C1", "Alpha", "P1", "1", "10"),
        ("F2", "2024-01-05", "C2", "Beta", "P1", "1", "10"),
        ("F1", "2024-01-05", "C1", "Alpha", "P1", "1", "10"),
        ("F1", "2024-01-05", "C1", "Alpha", "P1", "1", "10"),
        ("F2", "2024-01-05", "C2", "Beta", "P9", "2", "1"),
    ]
    path = write_text(tmp_path / "sales.csv", csv_text(rows))
    for _ in range(2):  # and a re-import still leaves three of them
        report = ledger_import(store=store, paths=[path])
        assert report.ok and report.lines == 5
        assert ledger_lines(store, "invoice, line, product, net_amount") == [
            ("F1", 1, "P1", D("10")),
            ("F1", 2, "P1", D("10")),
            ("F1", 3, "P1", D("10")),
            ("F2", 1, "P1", D("10")),
            ("F2", 2, "P9", D("2")),
        ]


def test_a_line_number_given_by_the_file_is_kept(store: Store, tmp_path: Path) -> None:
    header = "invoice,line,date,product,net_amount"
    rows = [("F1", "20", "2024-01-05", "P1", "1"), ("F1", "10", "2024-01-05", "P1", "1")]
    report = import_text(store, tmp_path, csv_text(rows, header))
    assert report.ok, report.problems
    assert ledger_lines(store, "invoice, line") == [("F1", 10), ("F1", 20)]


def test_a_line_number_repeated_within_an_invoice_is_a_problem(
    store: Store, tmp_path: Path
) -> None:
    header = "invoice,line,date,product,net_amount"
    rows = [("F1", "1", "2024-01-05", "P1", "1"), ("F1", "1", "2024-01-05", "P2", "2")]
    report = import_text(store, tmp_path, csv_text(rows, header))
    assert not report.ok
    assert [(p.row, p.column, p.value) for p in report.problems] == [
        (2, "line", "1"),
        (3, "line", "1"),
    ]
    assert report.problems[0].reason == "line 1 of invoice F1 repeats"
    assert ledger_rows(store) == []


def test_lines_without_a_client_are_kept_unattributed(store: Store, tmp_path: Path) -> None:
    rows = [
        ("F1", "2024-01-05", "C1", "Alpha", "P1", "1", "10"),
        ("F2", "2024-01-05", "", "", "P1", "2", "10"),
        ("F3", "2024-01-06", "  ", "Walk-in", "P2", "1", "3"),
    ]
    report = import_text(store, tmp_path, csv_text(rows))
    assert report.ok and (report.lines, report.clients) == (3, 1)
    assert ledger_lines(store, "invoice, client, net_amount") == [
        ("F1", "C1", D("10")),
        ("F2", None, D("20")),
        ("F3", None, D("3")),
    ]
    assert clients_table() == [("C1", "Alpha", "")]


def test_returns_and_credit_notes_count_negative(store: Store, tmp_path: Path) -> None:
    header = "invoice,date,client,product,quantity,unit_price,net_amount"
    rows = [
        ("F1", "2024-01-05", "C1", "P1", "5", "10", ""),
        ("C1-RET", "2024-01-09", "C1", "P1", "-2", "10", ""),
        ("CN-7", "2024-01-10", "C1", "P1", "1", "-4", ""),
        ("ADJ-1", "2024-01-11", "C1", "P1", "", "", "-1.5"),
    ]
    report = import_text(store, tmp_path, csv_text(rows, header))
    assert report.ok, report.problems
    assert ledger_lines(store, "invoice, net_amount") == [
        ("ADJ-1", D("-1.5")),
        ("C1-RET", D("-20")),
        ("CN-7", D("-4")),
        ("F1", D("50")),
    ]
    assert store.query("SELECT sum(net_amount) FROM ledger_lines WHERE client = 'C1'") == [
        (D("24.5"),)
    ]


def test_profit_instead_of_cost_gives_cost_as_net_amount_minus_profit(
    store: Store, tmp_path: Path
) -> None:
    header = "Invoice,Date,Customer,Product,Sales,Profit"
    rows = [
        ("F1", "2024-01-05", "C1", "P1", "100", "25.5"),
        ("F2", "2024-01-05", "C1", "P1", "-40", "-10"),
        ("F3", "2024-01-05", "C1", "P1", "10", "-2"),  # sold at a loss
        ("F4", "2024-01-05", "C1", "P1", "10", ""),  # profit unknown: cost unknown
    ]
    report = import_text(store, tmp_path, csv_text(rows, header))
    assert report.ok, report.problems
    assert ledger_lines(store, "invoice, net_amount, cost") == [
        ("F1", D("100"), D("74.5")),
        ("F2", D("-40"), D("-30")),
        ("F3", D("10"), D("12")),
        ("F4", D("10"), None),
    ]


def test_a_unit_cost_gives_the_line_cost_times_the_quantity(store: Store, tmp_path: Path) -> None:
    header = "invoice,date,product,quantity,unit_price,unit_cost"
    report = import_text(
        store, tmp_path, csv_text([("F1", "2024-01-05", "P1", "3", "10", "6.25")], header)
    )
    assert report.ok, report.problems
    assert ledger_lines(store, "net_amount, cost") == [(D("30"), D("18.75"))]


def test_without_a_net_amount_the_amount_is_quantity_times_unit_price(
    store: Store, tmp_path: Path
) -> None:
    rows = [
        ("F1", "2024-01-05", "C1", "Alpha", "P1", "3", "0.333333"),
        ("F1", "2024-01-05", "C1", "Alpha", "P2", "1.5", "2.25"),
        ("F1", "2024-01-05", "C1", "Alpha", "P3", "12.3456", "100"),
    ]
    report = import_text(store, tmp_path, csv_text(rows))
    assert report.ok, report.problems
    assert ledger_lines(store, "quantity, unit_price, net_amount") == [
        (D("3"), D("0.333333"), D("0.999999")),
        (D("1.5"), D("2.25"), D("3.375")),
        (D("12.3456"), D("100"), D("1234.56")),
    ]


def test_a_blank_net_amount_falls_back_to_quantity_times_unit_price(
    store: Store, tmp_path: Path
) -> None:
    header = "invoice,date,product,quantity,unit_price,net_amount"
    rows = [("F1", "2024-01-05", "P1", "3", "10", "29.5"), ("F1", "2024-01-05", "P2", "2", "4", "")]
    report = import_text(store, tmp_path, csv_text(rows, header))
    assert report.ok, report.problems
    assert ledger_lines(store, "product, net_amount") == [("P1", D("29.5")), ("P2", D("8"))]


def test_a_client_takes_the_name_and_country_of_its_latest_line(
    store: Store, tmp_path: Path
) -> None:
    header = "invoice,date,client,client_name,country,product,net_amount"
    rows = [
        ("F2", "2024-03-01", "C1", "Alpha Group SA", "RO", "P1", "1"),
        ("F1", "2024-01-01", "C1", "Alpha SRL", "MD", "P1", "1"),
        ("F3", "2024-02-01", "C2", "Beta", "", "P1", "1"),
    ]
    report = import_text(store, tmp_path, csv_text(rows, header))
    assert report.ok, report.problems
    assert clients_table() == [("C1", "Alpha Group SA", "RO"), ("C2", "Beta", "")]
