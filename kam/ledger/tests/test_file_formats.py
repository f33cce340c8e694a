"""Every file format an ERP exports lands in the ledger with exactly the same values."""

from __future__ import annotations

import datetime as dt
import gzip
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kam.ledger import readers
from kam.ledger.services import ledger_import
from kam.ledger.store import Store
from kam.ledger.tests.ledger_helpers import csv_text, import_text, ledger_lines, write_text

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_snapshot")]

D = Decimal
ROWS = [
    ("F1", "2024-03-05", "C1", "Alpha SRL", "P1", "3", "2.50"),
    ("F1", "2024-03-05", "C1", "Alpha SRL", "P2", "1.5", "10"),
    ("F2", "2024-03-06", "C2", "Beta SA", "P1", "-1", "2.50"),
]
EXPECTED = [
    ("F1", 1, dt.date(2024, 3, 5), "C1", "Alpha SRL", "P1", D("3"), D("2.5"), D("7.5")),
    ("F1", 2, dt.date(2024, 3, 5), "C1", "Alpha SRL", "P2", D("1.5"), D("10"), D("15")),
    ("F2", 1, dt.date(2024, 3, 6), "C2", "Beta SA", "P1", D("-1"), D("2.5"), D("-2.5")),
]
COLUMNS = (
    "invoice, line, invoiced_on, client, client_name, product, quantity, unit_price, net_amount"
)


def _lines(store: Store) -> list[tuple[object, ...]]:
    return ledger_lines(store, COLUMNS)


@pytest.mark.parametrize(("delimiter", "name"), [(",", "comma"), (";", "semicolon"), ("\t", "tab")])
def test_a_csv_with_any_usual_delimiter_is_read(
    store: Store, tmp_path: Path, delimiter: str, name: str
) -> None:
    report = import_text(store, tmp_path, csv_text(ROWS, delimiter=delimiter))
    assert report.ok, report.problems
    assert _lines(store) == EXPECTED


def test_a_tsv_file_is_read_by_its_extension(store: Store, tmp_path: Path) -> None:
    rows = [(*r[:3], r[3] + ", Bucharest", *r[4:]) for r in ROWS]  # commas inside tab fields
    report = import_text(store, tmp_path, csv_text(rows, delimiter="\t"), name="sales.tsv")
    assert report.ok, report.problems
    assert [r[4] for r in _lines(store)] == ["Alpha SRL, Bucharest"] * 2 + ["Beta SA, Bucharest"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_utf8_with_or_without_a_byte_order_mark_keeps_romanian_letters(
    store: Store, tmp_path: Path, encoding: str
) -> None:
    rows = [(*r[:3], "Ștefan și Țară SRL", *r[4:]) for r in ROWS]
    report = import_text(store, tmp_path, csv_text(rows), encoding=encoding)
    assert report.ok, report.problems
    assert report.files[0].mapping is not None
    assert report.files[0].mapping.fields["invoice"] == "invoice"  # the BOM is not in the name
    assert {r[4] for r in _lines(store)} == {"Ștefan și Țară SRL"}


def test_a_windows_1250_file_keeps_romanian_letters(store: Store, tmp_path: Path) -> None:
    # Windows-1250 writes ş and ţ with a cedilla; ă â î are the same letters everywhere.
    name = "Societatea Ştefan Ţară şi Fiii, Brăila, Târgu Jiu, Înşir"
    header = "Factura;Data;Cod client;Denumire client;Cod articol;Cantitate;Preţ unitar"
    text = csv_text([("F1", "05.03.2024", "C1", name, "P1", "2", "3,5")], header, ";")
    report = import_text(store, tmp_path, text, encoding="cp1250")
    assert report.ok, report.problems
    assert _lines(store) == [
        ("F1", 1, dt.date(2024, 3, 5), "C1", name, "P1", D("2"), D("3.5"), D("7"))
    ]


def test_a_windows_1250_file_with_western_names_is_still_read_as_1250(
    store: Store, tmp_path: Path
) -> None:
    # ü é ß are the same bytes in both code pages: they must not outvote ă and ţ.
    header = "Nr. factură;Cod client;Cod articol;Cantitate;Preţ unitar;Data;Denumire client"
    rows = [
        ("F1", "C1", "P1", "2", "1.234,56", "2024-03-01", "Müller Großhandel GmbH"),
        ("F2", "C2", "P1", "3", "100,00", "2024-03-02", "Société Générale"),
    ]
    report = import_text(store, tmp_path, csv_text(rows, header, ";"), encoding="cp1250")
    assert report.ok, report.problems
    assert report.files[0].mapping is not None
    assert report.files[0].mapping.fields["unit_price"] == "Preţ unitar"
    assert [(r[4], r[7]) for r in _lines(store)] == [
        ("Müller Großhandel GmbH", D("1234.56")),
        ("Société Générale", D("100")),
    ]


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Nº factura;Cliente;Descripción\n1;Señor Pérez;Café", "cp1252"),  # º, not ş
        ("Nº fatura;Cliente\n1;João;Maçã", "cp1252"),
        ("1ª entrega;Cliente", "cp1252"),
        ("Cœur de France;Sœurs Boulanger", "cp1252"),  # œ before u, not ś
        ("Château Léoville;Crème brûlée;Größe", "cp1252"),
        ("Klient\nKowalski Gość", "cp1250"),
        ("Klient\nŁódź Wrocław", "cp1250"),
        ("Čačak Niš Žilina", "cp1250"),  # Č/È and č/è tie: š and Ž decide
        ("Şef, Braşov, şi altele", "cp1250"),
        ("Nr. factură;Preţ unitar\nMüller Großhandel GmbH;Société Générale", "cp1250"),
    ],
)
def test_the_windows_code_page_is_told_from_the_telling_bytes(text: str, encoding: str) -> None:
    assert readers._windows_codepage(text.encode(encoding)) == encoding


@pytest.mark.parametrize("name", ["Cœur de France", "España Sañudo", "São João Ltda"])
def test_western_names_whose_letters_1250_also_has_stay_western(
    store: Store, tmp_path: Path, name: str
) -> None:
    text = csv_text([("F1", "2024-03-05", "C1", name, "P1", "2", "3.5")])
    report = import_text(store, tmp_path, text, encoding="cp1252")
    assert report.ok, report.problems
    assert [r[4] for r in _lines(store)] == [name]


def test_a_windows_1252_file_keeps_western_letters(store: Store, tmp_path: Path) -> None:
    name = "Café Müller & Søn, Zürich"
    text = csv_text([("F1", "2024-03-05", "C1", f'"{name}"', "P1", "2", "3.5")])
    report = import_text(store, tmp_path, text, encoding="cp1252")
    assert report.ok, report.problems
    assert [r[4] for r in _lines(store)] == [name]


def test_decimal_commas_with_thousands_points_are_read_exactly(
    store: Store, tmp_path: Path
) -> None:
    header = "invoice;date;client;product;quantity;unit_price;net_amount"
    rows = [
        ("F1", "2024-03-05", "C1", "P1", "1.234,5", "1,25", "1.543,13"),
        ("F1", "2024-03-05", "C1", "P2", "2", "0,333333", "0,67"),
        ("F2", "2024-03-05", "C1", "P2", "-1", "1.000,01", "-1.000,01"),
    ]
    report = import_text(store, tmp_path, csv_text(rows, header, ";"))
    assert report.ok, report.problems
    assert report.files[0].decimal_styles == {
        "quantity": "comma",
        "unit_price": "comma",
        "net_amount": "comma",
    }
    assert ledger_lines(store, "quantity, unit_price, net_amount") == [
        (D("1234.5"), D("1.25"), D("1543.13")),
        (D("2"), D("0.333333"), D("0.67")),
        (D("-1"), D("1000.01"), D("-1000.01")),
    ]


def test_decimal_points_with_thousands_commas_are_read_exactly(
    store: Store, tmp_path: Path
) -> None:
    header = "invoice,date,product,net_amount"
    rows = [("F1", "2024-03-05", "P1", '"1,234,567.891"'), ("F2", "2024-03-05", "P1", "0.5")]
    report = import_text(store, tmp_path, csv_text(rows, header))
    assert report.ok, report.problems
    assert ledger_lines(store, "net_amount") == [(D("1234567.891"),), (D("0.5"),)]


@pytest.mark.parametrize(("decimal", "amount"), [("comma", D("1.234")), ("point", D("1234"))])
def test_a_separator_that_cannot_be_told_is_settled_by_the_decimal_option(
    store: Store, tmp_path: Path, decimal: str, amount: Decimal
) -> None:
    text = csv_text([("F1", "2024-03-05", "P1", '"1,234"')], "invoice,date,product,net_amount")
    path = write_text(tmp_path / "sales.csv", text)
    undecided = ledger_import(store=store, paths=[path], dry_run=True)
    assert [(p.row, p.column, p.value) for p in undecided.problems] == [(2, "net_amount", "1,234")]
    assert "Decimal separator on the import page, --decimal comma|point" in (
        undecided.problems[0].reason
    )
    report = ledger_import(store=store, paths=[path], decimal=decimal)  # type: ignore[arg-type]
    assert report.ok, report.problems
    assert ledger_lines(store, "net_amount") == [(amount,)]


def test_a_gzip_compressed_csv_is_read(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "sales.csv.gz"
    path.write_bytes(gzip.compress(csv_text(ROWS).encode()))
    report = ledger_import(store=store, paths=[path])
    assert report.ok, report.problems
    assert _lines(store) == EXPECTED


def test_a_gzip_compressed_windows_1250_csv_is_read(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "sales.csv.gz"
    rows = [(*r[:3], "Ţesătoria Braşov", *r[4:]) for r in ROWS]
    path.write_bytes(gzip.compress(csv_text(rows).encode("cp1250")))
    report = ledger_import(store=store, paths=[path])
    assert report.ok, report.problems
    assert {r[4] for r in _lines(store)} == {"Ţesătoria Braşov"}


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


XLSX_HEADER: list[object] = ["Invoice", "InvoiceDate", "CustomerID", "Customer name"]
XLSX_HEADER += ["StockCode", "Quantity", "UnitPrice"]


def test_an_xlsx_workbook_with_typed_cells_is_read(store: Store, tmp_path: Path) -> None:
    rows: list[list[object]] = [
        XLSX_HEADER,
        ["F1", dt.datetime(2024, 3, 5, 14, 30, 0, 1000), 12345, "Alpha SRL", "P1", 3, 2.5],
        ["F1", dt.datetime(2024, 3, 5), 12345, "Alpha SRL", "P2", 1.5, D("10")],
        [None, None, None, None, None, None, None],  # a blank row in the middle is skipped
        ["F2", dt.date(2024, 3, 6), "C2", "Beta SA", "P1", -1, "2.50"],
    ]
    path = _workbook(tmp_path / "sales.xlsx", {"Vânzări": rows})
    report = ledger_import(store=store, paths=[path])
    assert report.ok, report.problems
    assert _lines(store) == [
        ("F1", 1, dt.date(2024, 3, 5), "12345", "Alpha SRL", "P1", D("3"), D("2.5"), D("7.5")),
        ("F1", 2, dt.date(2024, 3, 5), "12345", "Alpha SRL", "P2", D("1.5"), D("10"), D("15")),
        ("F2", 1, dt.date(2024, 3, 6), "C2", "Beta SA", "P1", D("-1"), D("2.5"), D("-2.5")),
    ]


def test_the_sheet_option_chooses_the_sheet_of_a_workbook(store: Store, tmp_path: Path) -> None:
    notes: list[list[object]] = [["Notes"], ["exported by the ERP"]]
    sales: list[list[object]] = [XLSX_HEADER, ["F9", dt.date(2024, 1, 2), "C9", "Nine", "P9", 2, 4]]
    path = _workbook(tmp_path / "export.xlsx", {"Notes": notes, "Sales 2024": sales})
    report = ledger_import(store=store, paths=[path], sheet="Sales 2024")
    assert report.ok, report.problems
    assert ledger_lines(store, "invoice, client, net_amount") == [("F9", "C9", D("8"))]


def test_a_sheet_that_does_not_exist_is_refused_with_the_sheets_listed(
    store: Store, tmp_path: Path
) -> None:
    from kam.ledger.parsing import ImportRefusedError

    path = _workbook(tmp_path / "export.xlsx", {"Notes": [["x"]], "Sales": [XLSX_HEADER]})
    with pytest.raises(ImportRefusedError, match="no sheet 'Vanzari'; sheets: Notes, Sales"):
        ledger_import(store=store, paths=[path], sheet="Vanzari")
    assert ledger_lines(store, "invoice") == []


def test_a_parquet_file_with_typed_columns_is_read(store: Store, tmp_path: Path) -> None:
    table = pa.table(
        {
            "InvoiceNo": pa.array(["F1", "F1", "F2"]),
            "InvoiceDate": pa.array(
                [
                    dt.datetime(2024, 3, 5, 9, 15, 30, 250_000),
                    dt.datetime(2024, 3, 5),
                    dt.datetime(2024, 3, 6, 23, 59, 59, 999_999),
                ],
                pa.timestamp("us"),
            ),
            "Customer ID": pa.array([1001, 1001, None], pa.int64()),
            "StockCode": pa.array(["P1", "P2", "P1"]),
            "Quantity": pa.array([3, 1.5, -1], pa.float64()),
            "Price": pa.array([D("2.50"), D("10.00"), D("2.50")], pa.decimal128(10, 2)),
        }
    )
    path = tmp_path / "sales.parquet"
    pq.write_table(table, path)
    report = ledger_import(store=store, paths=[path])
    assert report.ok, report.problems
    assert ledger_lines(store, "invoice, line, invoiced_on, client, quantity, net_amount") == [
        ("F1", 1, dt.date(2024, 3, 5), "1001", D("3"), D("7.5")),
        ("F1", 2, dt.date(2024, 3, 5), "1001", D("1.5"), D("15")),
        ("F2", 1, dt.date(2024, 3, 6), None, D("-1"), D("-2.5")),
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("2024-03-05", "2024-12-31"),
        ("2024-03-05 14:30:00", "2024-12-31 23:59:59"),
        ("2024-03-05T14:30:00", "2024-12-31T00:00:00"),
        ("2024-03-05 14:30", "2024-12-31 08:00"),
        ("05.03.2024", "31.12.2024"),
        ("05.03.2024 14:30:00", "31.12.2024 23:59:59"),
        ("05/03/2024", "31/12/2024"),
        ("5.3.2024", "31.12.2024"),
        ("2024-03-05 14:30:00.000", "2024-12-31 23:59:59.997"),  # SQL Server
        ("2024-03-05T14:30:00.123456", "2024-12-31T08:00:00.5"),
        ("2024-03-05T14:30:00Z", "2024-12-31T23:59:59Z"),
        ("2024-03-05 00:30:00+02:00", "2024-12-31 23:30:00-05:00"),  # the day as written
    ],
)
def test_dates_in_iso_with_a_time_or_day_first_land_on_the_right_day(
    store: Store, tmp_path: Path, first: str, second: str
) -> None:
    rows = [("F1", first, "P1", "1"), ("F2", second, "P1", "2")]
    report = import_text(store, tmp_path, csv_text(rows, "invoice,date,product,net_amount"))
    assert report.ok, report.problems
    assert ledger_lines(store, "invoiced_on") == [(dt.date(2024, 3, 5),), (dt.date(2024, 12, 31),)]


def test_month_first_dates_are_recognised_when_the_day_passes_twelve(
    store: Store, tmp_path: Path
) -> None:
    rows = [("F1", "03/05/2024", "P1", "1"), ("F2", "12/31/2024", "P1", "2")]
    report = import_text(store, tmp_path, csv_text(rows, "invoice,date,product,net_amount"))
    assert report.ok, report.problems
    assert report.files[0].date_format == "%m/%d/%Y"
    assert ledger_lines(store, "invoiced_on") == [(dt.date(2024, 3, 5),), (dt.date(2024, 12, 31),)]


def test_a_windows_1250_letter_first_met_beyond_the_first_megabyte_is_read_right(
    store: Store, tmp_path: Path
) -> None:
    rows = [(f"G{i}", "2024-02-01", f"C{i % 10}", "Plain", "P1", "1", "2") for i in range(40_000)]
    rows.append(("LAST", "2024-02-01", "C1", "Ţesătoria Braşov", "P1", "1", "2"))
    text = csv_text(rows)
    assert len(text) > 1 << 20
    report = import_text(store, tmp_path, text, encoding="cp1250")
    assert report.ok, report.problems
    assert store.query("SELECT client_name FROM ledger_lines WHERE invoice = 'LAST'") == [
        ("Ţesătoria Braşov",)
    ]
    assert store.query("SELECT count(*) FROM ledger_lines") == [(40_001,)]


def test_a_decimal_comma_first_met_beyond_the_first_hundred_thousand_rows_is_read_right(
    store: Store, tmp_path: Path
) -> None:
    rows = [(f"G{i}", "2024-02-01", "C1", "A", "P1", "1", "2") for i in range(100_001)]
    rows.append(("LAST", "2024-02-01", "C1", "A", "P1", '"1,5"', "2"))
    report = import_text(store, tmp_path, csv_text(rows))
    assert report.ok, report.problems
    assert report.files[0].decimal_styles["quantity"] == "comma"
    assert store.query("SELECT quantity, net_amount FROM ledger_lines WHERE invoice = 'LAST'") == [
        (D("1.5"), D("3"))
    ]
