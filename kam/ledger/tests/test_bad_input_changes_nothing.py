"""A bad file is refused with a precise reason, and the ledger and clients stay as they were."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kam.ledger import readers
from kam.ledger.models import ImportJob
from kam.ledger.parsing import ImportProblem, ImportRefusedError
from kam.ledger.services import ledger_import
from kam.ledger.store import LedgerUnavailableError, PostgresStore, Store
from kam.ledger.tests.ledger_helpers import (
    HEADER,
    Row,
    clients_table,
    csv_text,
    ledger_rows,
    write_text,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_snapshot")]

GOOD = [
    ("F1", "2024-01-05", "C1", "Alpha SRL", "P1", "2", "10"),
    ("F2", "2024-01-06", "C2", "Beta SA", "P1", "1", "10"),
]
# A later export that re-contains F1 and renames C1: applied, it would change everything.
CHANGED = [
    ("F1", "2024-01-05", "C1", "Alpha Renamed", "P1", "9", "10"),
    ("F9", "2024-02-01", "C9", "Newcomer", "P2", "1", "1"),
]


@dataclass(frozen=True)
class State:
    lines: list[Row]
    imports: list[Row]
    clients: list[Row]


def _state(store: Store) -> State:
    imports = store.query("SELECT id, lines_in FROM ledger_imports ORDER BY id")
    return State(ledger_rows(store), imports, clients_table())


@pytest.fixture
def before(store: Store, tmp_path: Path) -> Iterator[State]:
    """A ledger holding GOOD; after the test it must be exactly the same."""
    path = write_text(tmp_path / "good.csv", csv_text(GOOD))
    assert ledger_import(store=store, paths=[path]).ok
    state = _state(store)
    assert len(state.lines) == 2 and len(state.clients) == 2
    yield state
    assert _state(store) == state


def _last_job() -> ImportJob:
    job = ImportJob.objects.order_by("-id").first()
    assert job is not None
    return job


def _refused(store: Store, path: Path, **options: Any) -> str:
    """Import `path`, expect a refusal, check the job says so; return the message."""
    with pytest.raises(ImportRefusedError) as refused:
        ledger_import(store=store, paths=[path], **options)
    job = _last_job()
    assert job.status == ImportJob.Status.REFUSED
    assert job.message == str(refused.value)
    return str(refused.value)


def test_a_missing_required_column_is_refused(store: Store, tmp_path: Path, before: State) -> None:
    text = csv_text([r[:1] + r[2:] for r in CHANGED], HEADER.replace("date,", ""))
    message = _refused(store, write_text(tmp_path / "sales.csv", text))
    assert message.startswith("sales.csv: missing required column(s): date.")
    assert "Columns found: 'invoice', 'client'" in message


def test_unparseable_date_quantity_and_price_are_each_pointed_at(
    store: Store, tmp_path: Path, before: State
) -> None:
    rows = [
        *CHANGED,
        ("F10", "2024-13-45", "C1", "Alpha", "P1", "1", "1"),
        ("F11", "2024-02-02", "C1", "Alpha", "P1", "two", "1"),
        ("F12", "2024-02-03", "C1", "Alpha", "P1", "1", "1.2.3"),
    ]
    report = ledger_import(store=store, paths=[write_text(tmp_path / "s.csv", csv_text(rows))])
    assert not report.ok and report.problem_count == 3
    assert report.problems == [
        ImportProblem("s.csv", 4, "date", "2024-13-45", "not a date (expected YYYY-MM-DD)"),
        ImportProblem("s.csv", 5, "quantity", "two", "not a number"),
        ImportProblem("s.csv", 6, "unit_price", "1.2.3", "not a number"),
    ]
    job = _last_job()
    assert job.status == ImportJob.Status.REFUSED and job.problem_count == 3
    assert job.problems[0] == {
        "file": "s.csv",
        "row": 4,
        "column": "date",
        "value": "2024-13-45",
        "reason": "not a date (expected YYYY-MM-DD)",
    }


@pytest.mark.parametrize(
    ("quantity", "price", "missing"),
    [
        ("2", "", [("unit_price", "missing unit price")]),
        ("", "10", [("quantity", "missing quantity")]),
        ("", "", [("quantity", "missing quantity"), ("unit_price", "missing unit price")]),
    ],
)
def test_the_missing_half_of_quantity_times_price_is_pointed_at(
    store: Store,
    tmp_path: Path,
    before: State,
    quantity: str,
    price: str,
    missing: list[tuple[str, str]],
) -> None:
    rows = [*CHANGED, ("F13", "2024-02-02", "C1", "Alpha", "P1", quantity, price)]
    report = ledger_import(store=store, paths=[write_text(tmp_path / "s.csv", csv_text(rows))])
    assert report.problems == [
        ImportProblem("s.csv", 4, column, None, reason) for column, reason in missing
    ]
    assert _last_job().status == ImportJob.Status.REFUSED


def test_a_line_without_its_net_amount_is_pointed_at(
    store: Store, tmp_path: Path, before: State
) -> None:
    text = "invoice,date,client,product,net_amount\nF1,2024-01-05,C1,P1,\nF2,2024-01-05,C1,P1,3\n"
    report = ledger_import(store=store, paths=[write_text(tmp_path / "s.csv", text)])
    assert report.problems == [ImportProblem("s.csv", 2, "net_amount", None, "missing net amount")]


def test_a_placeholder_date_or_a_mistyped_year_is_refused(
    store: Store, tmp_path: Path, before: State
) -> None:
    rows = [
        *CHANGED,
        ("F15", "9999-12-31", "C1", "Alpha", "P1", "1", "1"),
        ("F16", "0024-03-01", "C1", "Alpha", "P1", "1", "1"),
        ("F17", "1899-12-31", "C1", "Alpha", "P1", "1", "1"),
        ("F20", "2999-12-31", "C1", "Alpha", "P1", "1", "1"),
        ("F21", "2100-01-01", "C1", "Alpha", "P1", "1", "1"),
        ("F18", "1900-01-01", "C1", "Alpha", "P1", "1", "1"),  # the first day allowed
        ("F19", "2099-12-31", "C1", "Alpha", "P1", "1", "1"),  # the last
    ]
    report = ledger_import(store=store, paths=[write_text(tmp_path / "s.csv", csv_text(rows))])
    reason = "a date outside 1900-01-01 … 2099-12-31 (a placeholder, or a mistyped year?)"
    assert report.problems == [
        ImportProblem("s.csv", row, "date", value, reason)
        for row, value in (
            (4, "9999-12-31"),
            (5, "0024-03-01"),
            (6, "1899-12-31"),
            (7, "2999-12-31"),
            (8, "2100-01-01"),
        )
    ]
    assert _last_job().status == ImportJob.Status.REFUSED


def test_a_barcode_read_as_a_quantity_is_pointed_at_not_a_crash(
    store: Store, tmp_path: Path, before: State
) -> None:
    rows = [*CHANGED, ("F14", "2024-02-02", "C1", "Alpha", "P1", "5941234567890", "12.5")]
    report = ledger_import(store=store, paths=[write_text(tmp_path / "s.csv", csv_text(rows))])
    assert [(p.row, p.column, p.value) for p in report.problems] == [
        (4, "quantity", "5941234567890")
    ]
    assert report.problems[0].reason.startswith("quantity × unit price is too large an amount")
    assert _last_job().status == ImportJob.Status.REFUSED


def test_a_problem_in_a_workbook_names_the_row_the_sheet_shows(
    store: Store, tmp_path: Path, before: State
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    # The table starts on row 3, and a blank row splits it.
    for column, header in zip("ABCD", ["Invoice", "Date", "StockCode", "Sales"], strict=True):
        sheet[f"{column}3"] = header
    sheet.append(["F1", "2024-01-05", "P1", 1])  # row 4
    sheet.append([None, None, None, None])  # row 5, blank
    sheet.append(["F2", "2024-01-05", "P1", "lots"])  # row 6
    book.save(tmp_path / "s.xlsx")
    report = ledger_import(store=store, paths=[tmp_path / "s.xlsx"])
    assert report.problems == [ImportProblem("s.xlsx", 6, "Sales", "lots", "not a number")]


def test_a_problem_in_the_second_file_keeps_the_first_file_out_too(
    store: Store, tmp_path: Path, before: State
) -> None:
    fine = write_text(tmp_path / "fine.csv", csv_text(CHANGED))
    bad = write_text(
        tmp_path / "bad.csv", csv_text([("F20", "someday", "C1", "A", "P1", "1", "1")])
    )
    report = ledger_import(store=store, paths=[fine, bad])
    assert [(p.file, p.row, p.column, p.value) for p in report.problems] == [
        ("bad.csv", 2, "date", "someday")
    ]


@pytest.mark.parametrize(("content", "label"), [(b"", "empty"), (b" \r\n\n\t\n", "blank")])
def test_an_empty_file_is_refused(
    store: Store, tmp_path: Path, before: State, content: bytes, label: str
) -> None:
    path = tmp_path / "sales.csv"
    path.write_bytes(content)
    assert _refused(store, path) == "sales.csv: the file is empty"


def test_a_file_with_a_header_and_no_rows_is_refused(
    store: Store, tmp_path: Path, before: State
) -> None:
    message = _refused(store, write_text(tmp_path / "sales.csv", HEADER + "\n"))
    assert message == "sales.csv: the file has a header but no data rows"


def test_an_image_renamed_csv_is_refused(store: Store, tmp_path: Path, before: State) -> None:
    path = tmp_path / "sales.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    assert _refused(store, path) == "sales.csv: this is a PNG image, not a sales ledger"


def test_a_binary_file_renamed_csv_is_refused(store: Store, tmp_path: Path, before: State) -> None:
    path = tmp_path / "sales.csv"
    path.write_bytes(b"invoice,date\x00\x01\x02" * 100)
    assert "binary content" in _refused(store, path)


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(
    store: Store, tmp_path: Path, before: State
) -> None:
    # 64 MiB of zeros in a few KiB: over 50 MiB at more than MAX_XLSX_RATIO to one.
    assert readers.MAX_XLSX_RATIO < 1000
    path = tmp_path / "sales.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as bomb:
        bomb.writestr("[Content_Types].xml", "<Types/>")
        with bomb.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            zeros = bytes(1 << 20)
            for _ in range(64):
                sheet.write(zeros)
    assert path.stat().st_size < 1 << 20
    message = _refused(store, path)
    assert message.startswith("sales.xlsx: unpacks to 64 MiB from ")
    assert message.endswith("(a ZIP bomb?); refused")


def test_a_zip_that_is_no_workbook_is_refused(store: Store, tmp_path: Path, before: State) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sales.csv", csv_text(CHANGED))
    path = tmp_path / "sales.xlsx"
    path.write_bytes(buffer.getvalue())
    assert _refused(store, path) == "sales.xlsx: a ZIP archive, not an XLSX workbook"


def test_a_csv_with_a_ten_megabyte_field_is_refused(
    store: Store, tmp_path: Path, before: State
) -> None:
    huge = "x" * (10 << 20)
    rows = [*CHANGED, ("F30", "2024-02-02", "C1", huge, "P1", "1", "1")]
    report = ledger_import(store=store, paths=[write_text(tmp_path / "s.csv", csv_text(rows))])
    assert not report.ok
    assert [(p.file, p.row, p.reason) for p in report.problems] == [
        ("s.csv", 4, "the line is longer than 1 MiB")
    ]
    assert all(len(p.value or "") <= 80 for p in report.problems)


def test_two_columns_both_claiming_the_client_are_refused(
    store: Store, tmp_path: Path, before: State
) -> None:
    header = HEADER.replace("client,", "Client,Customer ID,")
    rows = [(r[0], r[1], r[2], r[2], *r[3:]) for r in CHANGED]
    message = _refused(store, write_text(tmp_path / "sales.csv", csv_text(rows, header)))
    assert message == (
        "sales.csv: columns 'Client', 'Customer ID' could all be 'client'; "
        "choose one with --map client=HEADER"
    )


def test_two_columns_given_for_the_client_by_a_saved_and_a_given_map_are_refused(
    store: Store, tmp_path: Path, before: State
) -> None:
    path = write_text(tmp_path / "sales.csv", csv_text(CHANGED))
    message = _refused(store, path, given={"client": "client", "client_name": "client"})
    assert "column 'client' is mapped to both 'client' and 'client_name'" in message


def test_a_map_to_a_header_the_file_lacks_is_refused(
    store: Store, tmp_path: Path, before: State
) -> None:
    path = write_text(tmp_path / "sales.csv", csv_text(CHANGED))
    message = _refused(store, path, given={"client": "Cod client"})
    assert message.startswith("sales.csv: --map client=Cod client: the file has no column")


def test_rows_with_too_many_columns_are_pointed_at(
    store: Store, tmp_path: Path, before: State
) -> None:
    text = csv_text(CHANGED) + "F40,2024-02-02,C1,Alpha,P1,1,1,surplus\n"
    report = ledger_import(store=store, paths=[write_text(tmp_path / "s.csv", text)])
    assert not report.ok
    assert [(p.file, p.row, p.reason) for p in report.problems] == [
        ("s.csv", 4, "the row has more columns than the header")
    ]
    assert report.problems[0].value == "F40,2024-02-02,C1,Alpha,P1,1,1,surplus"


def test_rows_with_too_few_columns_are_pointed_at(
    store: Store, tmp_path: Path, before: State
) -> None:
    text = csv_text(CHANGED) + "F41,2024-02-02,C1\n"
    report = ledger_import(store=store, paths=[write_text(tmp_path / "s.csv", text)])
    missing = ["client_name", "product", "quantity", "unit_price"]
    assert [(p.row, p.column, p.reason) for p in report.problems] == [
        (4, header, "the row has fewer columns than the header") for header in missing
    ]


def test_a_line_in_another_currency_is_refused(
    store: Store, tmp_path: Path, before: State, settings: Any
) -> None:
    settings.KAM_CURRENCY = "EUR"
    header = HEADER + ",currency"
    rows = [(*CHANGED[0], "eur"), (*CHANGED[1], "USD")]
    report = ledger_import(
        store=store, paths=[write_text(tmp_path / "s.csv", csv_text(rows, header))]
    )
    assert [(p.row, p.column, p.value) for p in report.problems] == [(3, "currency", "USD")]
    assert "reporting currency EUR" in report.problems[0].reason


def test_a_file_that_does_not_exist_is_refused(store: Store, tmp_path: Path, before: State) -> None:
    with pytest.raises(ImportRefusedError, match=r"missing\.csv: no such file; give the path"):
        ledger_import(store=store, paths=[tmp_path / "missing.csv"])


def test_a_folder_or_a_device_is_refused_as_what_it_is(
    store: Store, tmp_path: Path, before: State
) -> None:
    with pytest.raises(ImportRefusedError, match=r": a folder; give the path of a ledger file"):
        ledger_import(store=store, paths=[tmp_path])
    with pytest.raises(ImportRefusedError, match=r"/dev/null: not a file; give the path"):
        ledger_import(store=store, paths=[Path("/dev/null")])


def test_a_postgresql_ledger_that_cannot_be_reached_fails_the_job_clearly(
    store: Store, tmp_path: Path, before: State
) -> None:
    unreachable = PostgresStore("postgresql://kam@127.0.0.1:1/x")
    path = write_text(tmp_path / "sales.csv", csv_text(CHANGED))
    with pytest.raises(LedgerUnavailableError) as failed:
        ledger_import(store=unreachable, paths=[path])
    message = str(failed.value)
    assert message.startswith("cannot connect to the PostgreSQL ledger at 127.0.0.1: ")
    assert "kam@" not in message  # no credentials in what a user sees
    job = _last_job()
    assert job.status == ImportJob.Status.FAILED
    assert job.message == message
    assert job.finished_at is not None


def test_a_workbook_with_only_a_header_row_is_refused(
    store: Store, tmp_path: Path, before: State
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Invoice", "Date", "StockCode", "Sales"])
    book.save(tmp_path / "s.xlsx")
    assert _refused(store, tmp_path / "s.xlsx") == "s.xlsx: the file has a header but no data rows"
