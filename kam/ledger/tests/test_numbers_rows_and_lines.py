"""A forced decimal separator never misreads a number; problems name the file's own row;
line numbers follow the file and never collide."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from kam.ledger.services import ledger_import
from kam.ledger.store import Store
from kam.ledger.tests.ledger_helpers import csv_text, ledger_lines, write_text

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_snapshot")]

AMOUNTS = "invoice,date,product,net_amount"


@pytest.mark.parametrize(
    ("decimal", "odd", "fine"),
    [("comma", "1,234.56", "1.234,5"), ("point", "1.234,56", "1,234.5")],
)
def test_a_value_written_with_the_other_separator_is_a_problem_not_a_wrong_number(
    store: Store, tmp_path: Path, decimal: str, odd: str, fine: str
) -> None:
    rows = [("F1", "2024-03-05", "P1", f'"{fine}"'), ("F2", "2024-03-05", "P1", f'"{odd}"')]
    path = write_text(tmp_path / "sales.csv", csv_text(rows, AMOUNTS))
    report = ledger_import(store=store, paths=[path], decimal=decimal)  # type: ignore[arg-type]
    assert not report.ok
    assert [(p.file, p.row, p.column, p.value) for p in report.problems] == [
        ("sales.csv", 3, "net_amount", odd)
    ]
    assert f"than the one chosen, {decimal} (which reads" in report.problems[0].reason
    assert store.query("SELECT count(*) FROM ledger_lines") == [(0,)]


@pytest.mark.parametrize(
    ("decimal", "value", "amount"),
    [
        ("comma", "1.234,5", Decimal("1234.5")),
        ("point", "1,234.5", Decimal("1234.5")),
        ("comma", "7", Decimal(7)),
    ],
)
def test_a_value_that_follows_the_forced_separator_is_read_exactly(
    store: Store, tmp_path: Path, decimal: str, value: str, amount: Decimal
) -> None:
    path = write_text(
        tmp_path / "sales.csv", csv_text([("F1", "2024-03-05", "P1", f'"{value}"')], AMOUNTS)
    )
    report = ledger_import(store=store, paths=[path], decimal=decimal)  # type: ignore[arg-type]
    assert report.ok, report.problems
    assert ledger_lines(store, "net_amount") == [(amount,)]


def test_problems_after_a_malformed_row_name_the_files_own_row(
    store: Store, tmp_path: Path
) -> None:
    text = (
        "invoice,date,product,net_amount\n"  # row 1
        "F1,2024-03-05,P1,1\n"  # row 2
        "F2,2024-03-05,P1,1,surplus\n"  # row 3: too many columns
        "F3,2024-03-05,P1,1\n"  # row 4
        "F4,2024-03-05\n"  # row 5: too few columns
        'F5,2024-03-05,"a ""quoted""\nproduct",1\n'  # row 6, on two lines
        "F6,not a date,P1,1\n"  # row 7
        "F7,2024-03-05,P1,abc\n"  # row 8
    )
    path = write_text(tmp_path / "sales.csv", text)
    report = ledger_import(store=store, paths=[path])
    assert [p.row for p in report.problems] == [3, 5, 5, 7, 8]  # row 5 lacks two cells
    assert [(p.column, p.value) for p in report.problems][3:] == [
        ("date", "not a date"),
        ("net_amount", "abc"),
    ]


def test_blank_line_numbers_take_their_position_unless_a_given_number_holds_it(
    store: Store, tmp_path: Path
) -> None:
    text = csv_text(
        [
            ("F1", "2", "2024-03-05", "P1", "1"),  # given 2
            ("F1", "", "2024-03-05", "P2", "2"),  # position 2: taken by the given 2
            ("F1", "", "2024-03-05", "P3", "3"),  # position 3: free
            ("F2", "", "2024-03-05", "P4", "4"),  # position 1
            ("F2", "", "2024-03-05", "P5", "5"),  # position 2
            ("F1", "9", "2024-03-05", "P6", "6"),  # given 9
        ],
        "invoice,line,date,product,net_amount",
    )
    path = write_text(tmp_path / "sales.csv", text)
    report = ledger_import(store=store, paths=[path])
    assert report.ok, report.problems
    lines = ledger_lines(store, "invoice, line, product")
    assert len({(i, n) for i, n, _ in lines}) == len(lines) == 6
    assert ("F1", 2, "P1") in lines and ("F1", 3, "P3") in lines and ("F1", 9, "P6") in lines
    assert ("F1", 10, "P2") in lines  # after every number the invoice uses
    assert ("F2", 1, "P4") in lines and ("F2", 2, "P5") in lines
    assert ledger_import(store=store, paths=[path]).ok
    assert ledger_lines(store, "invoice, line, product") == lines  # the same numbers again


def test_lines_are_numbered_in_file_order_on_the_slow_path(store: Store, tmp_path: Path) -> None:
    rows = [(f"F{i % 7}", "2024-03-05", f"P{i}", "1") for i in range(3000)]
    text = csv_text(rows, AMOUNTS).replace("P2999,1", "P2999,1,surplus")  # a reject: slow path
    path = write_text(tmp_path / "sales.csv", text, encoding="cp1250")
    report = ledger_import(store=store, paths=[path], dry_run=True)
    assert [(p.row, p.reason) for p in report.problems] == [
        (3001, "the row has more columns than the header")
    ]
    text = csv_text(rows[:2999], AMOUNTS) + "F0,2024-03-05,Ş,1\n"
    fixed = write_text(tmp_path / "fixed.csv", text, encoding="cp1250")
    assert ledger_import(store=store, paths=[fixed]).ok
    lines = ledger_lines(store, "invoice, line, product")
    for invoice in {r[0] for r in rows}:
        products = [int(p[1:]) for i, _, p in lines if i == invoice and p != "Ş"]
        assert products == sorted(products)  # line order is file order


@pytest.mark.parametrize("encoding", ["utf-8", "cp1250"])  # the fast path, the full path
@pytest.mark.parametrize(
    "invoices",
    [
        ["F1", "F1", "F1", "F2", "F3", "F3"],  # each invoice one run of rows
        ["F1", "F2", "F1", "F3", "F2", "F1"],  # interleaved
        ["F1", "F1", "F2", "F2", "F1", "F3"],  # runs, but F1 comes back
    ],
)
def test_lines_without_numbers_take_their_position_in_the_invoice(
    store: Store, tmp_path: Path, encoding: str, invoices: list[str]
) -> None:
    rows = [(invoice, "2024-03-05", f"Ş{i}", "1") for i, invoice in enumerate(invoices)]
    path = write_text(tmp_path / "sales.csv", csv_text(rows, AMOUNTS), encoding=encoding)
    assert ledger_import(store=store, paths=[path]).ok
    expected = sorted(
        (invoice, invoices[: i + 1].count(invoice), f"Ş{i}") for i, invoice in enumerate(invoices)
    )
    assert ledger_lines(store, "invoice, line, product") == expected
