"""One table as a download: streamed CSV (UTF-8 with BOM) or XLSX.

Cells arrive already made safe (kam.common.exports.safe_cell) by the caller,
which knows which columns are text; numbers stay numbers in XLSX.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.http import FileResponse, StreamingHttpResponse

from kam.common.money import money_str


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
            yield writer.writerow([money_str(c) if isinstance(c, Decimal) else c for c in cells])

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
    for number, cells in enumerate(rows, start=1):
        for column, cell in enumerate(cells):
            if isinstance(cell, str):
                page.write_string(number, column, cell)
            elif cell is not None:
                page.write_number(number, column, float(cell))
    book.close()
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=name)
