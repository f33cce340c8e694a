"""One table as a download: streamed CSV (UTF-8 with BOM) or XLSX.

Cells arrive already made safe (kam.common.exports.safe_cell) by the caller,
which knows which columns are text; numbers stay numbers in XLSX. A share
(`Share`, under a header that says %) is written as the page shows it: 25.7 in
CSV, and in XLSX the number 0.257 formatted as a percentage (25.7%).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import xlsxwriter
from django.http import FileResponse, StreamingHttpResponse

from kam.common.money import money_str

SHARE_PLACES = 1  # decimals of a percentage, as the pages show them


@dataclass(frozen=True, slots=True)
class Share:
    """A fraction (0.257) written as a percentage (25.7 in CSV, 25.7% in XLSX)."""

    value: Decimal | float

    def percent_text(self) -> str:
        exponent = Decimal(1).scaleb(-SHARE_PLACES)
        return f"{(Decimal(str(self.value)) * 100).quantize(exponent, ROUND_HALF_UP):f}"


def share(value: Decimal | float | None) -> Share | None:
    """A share cell; None (an empty cell) when there is no value."""
    return None if value is None else Share(value)


def _csv_cell(cell: Any) -> Any:
    if isinstance(cell, Share):
        return cell.percent_text()
    if isinstance(cell, Decimal):
        return money_str(cell)
    return cell


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer."""

    def write(self, value: str) -> str:
        return value


def csv_response(
    header: Sequence[str], rows: Iterable[Sequence[Any]], name: str
) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # so that spreadsheets read the file as UTF-8
        yield writer.writerow(header)
        for cells in rows:
            yield writer.writerow([_csv_cell(c) for c in cells])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def xlsx_response(
    header: Sequence[str], rows: Iterable[Sequence[Any]], name: str, *, sheet: str
) -> FileResponse:
    target = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115  # FileResponse closes it
    book = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_formulas": False})
    page = book.add_worksheet(sheet)
    page.write_row(0, 0, header, book.add_format({"bold": True}))
    percent = book.add_format({"num_format": "0." + "0" * SHARE_PLACES + "%"})
    for number, cells in enumerate(rows, start=1):
        for column, cell in enumerate(cells):
            if isinstance(cell, str):
                page.write_string(number, column, cell)
            elif isinstance(cell, Share):
                page.write_number(number, column, float(cell.value), percent)
            elif cell is not None:
                page.write_number(number, column, float(cell))
    book.close()
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=name)
