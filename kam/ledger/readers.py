"""Open a user's file as a raw table of text columns in DuckDB.

Each reader yields the same thing: a temporary table whose first column
`_row` is the row number a person sees (the header is row 1) and whose other
columns are the file's columns as VARCHAR. Hostile or broken files are
refused here, before anything is staged.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import io
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from kam.ledger.parsing import ImportProblem, ImportRefusedError

SAMPLE_BYTES = 1 << 20
MAX_FIELD_BYTES = 1 << 20  # a line longer than 1 MiB is not a ledger line
MAX_XLSX_UNPACKED = 2 << 30
MAX_XLSX_RATIO = 200
MAX_GUNZIPPED_BINARY = 4 << 30

_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"\xd0\xcf\x11\xe0": "an old binary Office file (save it as .xlsx or .csv)",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"Rar!": "a RAR archive",
    b"BZh": "a bzip2 archive",
}


@dataclass(frozen=True, slots=True)
class RawTable:
    name: str  # the DuckDB table
    headers: list[str]
    rows: int


@dataclass(frozen=True, slots=True)
class CsvSource:
    """A UTF-8 CSV file DuckDB reads in place, with the same options as `stage_raw`."""

    path: Path
    headers: list[str]
    delimiter: str

    def select(self, *, rejects: bool) -> str:
        """The file's text columns, in file order; rejected rows go to `kam_rejects`
        (`rejects`) or are skipped."""
        selected = ", ".join(f'c{i} AS "{_quote(h)}"' for i, h in enumerate(self.headers))
        call = _read_csv_call(
            _literal(str(self.path)), _literal(self.delimiter), len(self.headers), rejects=rejects
        )
        return f"SELECT {selected} FROM {call}"


def csv_source(path: Path) -> CsvSource | None:
    """The file as a `CsvSource`, or None when it needs `stage_raw` (not a plain UTF-8 CSV)."""
    if not path.is_file():
        return None
    sample, _ = sniff(path)
    if not sample.strip() or b"\x00" in sample:
        return None
    if any(sample.startswith(magic) for magic in (*_MAGIC, b"PK\x03\x04", b"PAR1")):
        return None
    encoding = detect_encoding(sample)
    if encoding not in ("utf-8", "utf-8-sig"):
        return None
    text = sample.decode(encoding, errors="replace")
    delimiter = detect_delimiter(text, suffix="".join(path.suffixes).lower())
    return CsvSource(path, read_headers(text, delimiter, path.name), delimiter)


def sniff(path: Path) -> tuple[bytes, bool]:
    """First bytes of the (decompressed) content and whether it is gzip."""
    with path.open("rb") as raw:
        head = raw.read(2)
    gzipped = head == b"\x1f\x8b"
    opener = gzip.open if gzipped else open
    try:
        with opener(path, "rb") as stream:
            return stream.read(SAMPLE_BYTES), gzipped
    except (OSError, EOFError) as error:
        raise ImportRefusedError(f"{path.name}: cannot be read: {error}") from None


def stage_raw(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, *, sheet: str | None = None
) -> tuple[RawTable, list[ImportProblem]]:
    """Load `path` into temp table `table` (all VARCHAR) or refuse it."""
    if not path.is_file():
        what = "a folder" if path.is_dir() else "not a file" if path.exists() else "no such file"
        raise ImportRefusedError(f"{path}: {what}; give the path of a ledger file")
    sample, gzipped = sniff(path)
    if not sample.strip():
        raise ImportRefusedError(f"{path.name}: the file is empty")
    for magic, what in _MAGIC.items():
        if sample.startswith(magic):
            raise ImportRefusedError(f"{path.name}: this is {what}, not a sales ledger")
    if sample.startswith(b"PK\x03\x04"):
        with _plain_copy(path, gzipped) as plain:
            return _stage_xlsx(con, plain, table, sheet=sheet, name=path.name), []
    if sample.startswith(b"PAR1"):
        with _plain_copy(path, gzipped) as plain:
            return _stage_parquet(con, plain, table, name=path.name), []
    if b"\x00" in sample:
        raise ImportRefusedError(f"{path.name}: binary content, not a CSV, XLSX or Parquet ledger")
    return _stage_csv(con, path, table, sample=sample, gzipped=gzipped)


@contextmanager
def _plain_copy(path: Path, gzipped: bool) -> Iterator[Path]:
    if not gzipped:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="kam-") as folder:
        target = Path(folder) / path.name.removesuffix(".gz")
        with gzip.open(path, "rb") as source, target.open("wb") as out:
            copied = 0
            while chunk := source.read(1 << 20):
                copied += len(chunk)
                if copied > MAX_GUNZIPPED_BINARY:
                    raise ImportRefusedError(f"{path.name}: unpacks to more than 4 GiB; refused")
                out.write(chunk)
        yield target


# ---- CSV -----------------------------------------------------------------


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) when it decodes, else Windows-1250 or -1252."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if error.start > len(sample) - 4:  # a character cut by the end of the sample
            return "utf-8"
    return _windows_codepage(sample)


_CP1250_HINTS = set("ăâîşţșțĂÂÎŞŢȘȚąćęłńśźżčďěňřšťůžĄĆĘŁŃŚŹŻČĎĚŇŘŠŤŮŽőűŐŰ")
_CP1252_HINTS = set("àáãäåæçèéêëìíïñòóôõöøùúûüýÿßÀÁÃÄÅÆÇÈÉÊËÌÍÏÑÒÓÔÕÖØÙÚÛÜÝ€£")
# The bytes the two code pages read differently: only they tell them apart (ä, é, ß,
# â, î... are the same byte in both, so a German name says nothing against cp1250).
_READINGS = {
    b: (
        bytes([b]).decode("cp1250", errors="replace"),
        bytes([b]).decode("cp1252", errors="replace"),
    )
    for b in range(0x80, 0x100)
}
_TELLING = {b for b, (east, west) in _READINGS.items() if east != west}
# Š š Ž ž: the same bytes in both, but letters of Central European languages, which
# Western ones hardly write (Čačak: Č and č tie with È and è, š and Ž decide).
_SHARED_EASTERN = {0x8A, 0x8E, 0x9A, 0x9E}


def _western_in_context(byte: int, before: str, after: str) -> bool:
    """A byte that reads as a Central European letter, but whose neighbours say it is
    Western: `º`/`ª` after a digit or an N (`Nº`, `1ª`, not ş/Ş), `œ` before a u
    (`cœur`, `sœur`; Polish ś is rarely followed by u)."""
    if byte in (0xAA, 0xBA):
        return before.isdigit() or before in "Nn"
    if byte in (0x8C, 0x9C):
        return after in "uU"
    return False


def _windows_codepage(sample: bytes) -> str:
    """cp1250 when the telling bytes read more like Central European letters than like
    Western ones; cp1252 on a tie.

    A letter against a sign (ł against ³, ą against ¹) counts twice; š and ž count
    for cp1250.
    """
    east = west = 0
    for i, byte in enumerate(sample):
        if byte in _SHARED_EASTERN:
            east += 1
            continue
        if byte not in _TELLING:
            continue
        before = chr(sample[i - 1]) if i else " "
        after = chr(sample[i + 1]) if i + 1 < len(sample) else " "
        if _western_in_context(byte, before, after):
            west += 2
            continue
        e, w = _READINGS[byte]
        if e in _CP1250_HINTS:
            east += 1 if w.isalpha() else 2
        if w in _CP1252_HINTS:
            west += 1 if e.isalpha() else 2
    return "cp1250" if east > west else "cp1252"


def detect_delimiter(text: str, *, suffix: str) -> str:
    if ".tsv" in suffix or ".tab" in suffix:
        return "\t"
    first_lines = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(first_lines, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: first_lines.splitlines()[0].count(d) for d in ",;\t|"}
        return max(counts, key=lambda d: counts[d])


def read_headers(text: str, delimiter: str, name: str) -> list[str]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"')
    headers = next(reader, [])
    headers = [h.strip().lstrip("\ufeff") for h in headers]
    if not any(headers):
        raise ImportRefusedError(f"{name}: the first row holds no column names")
    return unique_headers(headers)


def unique_headers(headers: list[str]) -> list[str]:
    """Blank headers become `column_N`; repeats get ` (2)`, ` (3)`..."""
    seen: dict[str, int] = {}
    result = []
    for i, header in enumerate(headers, start=1):
        base = header or f"column_{i}"
        seen[base] = seen.get(base, 0) + 1
        result.append(base if seen[base] == 1 else f"{base} ({seen[base]})")
    return result


def _stage_csv(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, *, sample: bytes, gzipped: bool
) -> tuple[RawTable, list[ImportProblem]]:
    encoding = detect_encoding(sample)
    text = sample.decode(encoding, errors="replace")
    delimiter = detect_delimiter(text, suffix="".join(path.suffixes).lower())
    headers = read_headers(text, delimiter, path.name)
    if encoding in ("utf-8", "utf-8-sig"):
        problems = _read_csv(con, path, table, headers, delimiter)
        if not any(p.reason.startswith("not valid UTF-8") for p in problems):
            return _raw(con, table, headers), problems
        encoding = _windows_codepage(_whole(path, gzipped))
    with tempfile.TemporaryDirectory(prefix="kam-") as folder:
        utf8 = Path(folder) / "utf8.csv"
        _transcode(path, utf8, encoding=encoding, gzipped=gzipped)
        problems = _read_csv(con, utf8, table, headers, delimiter, shown_name=path.name)
    return _raw(con, table, headers), problems


def _whole(path: Path, gzipped: bool) -> bytes:
    opener = gzip.open if gzipped else open
    with opener(path, "rb") as stream:
        return stream.read()


def _transcode(source: Path, target: Path, *, encoding: str, gzipped: bool) -> None:
    opener = gzip.open if gzipped else open
    with opener(source, "rb") as raw, target.open("w", encoding="utf-8", newline="") as out:
        reader = codecs.getreader(encoding)(raw, "replace")
        shutil.copyfileobj(reader, out, 1 << 20)


def _read_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    headers: list[str],
    delimiter: str,
    *,
    shown_name: str | None = None,
) -> list[ImportProblem]:
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute("DROP TABLE IF EXISTS kam_rejects; DROP TABLE IF EXISTS kam_rejects_scan")
    selected = ", ".join(f'c{i} AS "{_quote(h)}"' for i, h in enumerate(headers))
    # Read in file order first (the rowid is the order of the rows kept), then number
    # each row as the file does: rejected rows keep their numbers, so later ones do not shift.
    scanned = f"{table}_scan"
    con.execute(f"DROP TABLE IF EXISTS {scanned}")
    con.execute(
        f"""CREATE TEMP TABLE {scanned} AS SELECT {selected}
        FROM {_read_csv_call("?", "?", len(headers), rejects=True)}""",
        [str(path), delimiter],
    )
    columns = ", ".join(f's."{_quote(h)}"' for h in headers)
    con.execute(
        f"""CREATE TEMP TABLE {table} AS
        WITH rejected AS (
            SELECT line - 1 - row_number() OVER (ORDER BY line) AS kept_before,
                row_number() OVER (ORDER BY line) AS skipped
            FROM (SELECT DISTINCT line FROM kam_rejects)),
        steps AS (SELECT kept_before, max(skipped) AS skipped FROM rejected GROUP BY kept_before),
        kept AS (SELECT rowid AS _i, * FROM {scanned})
        SELECT (s._i + 2 + coalesce(r.skipped, 0))::BIGINT AS _row, {columns}
        FROM kept s ASOF LEFT JOIN steps r ON s._i >= r.kept_before
        ORDER BY s._i"""
    )
    con.execute(f"DROP TABLE {scanned}")
    rejects = con.execute(
        """SELECT line, column_name, left(csv_line, 80), error_type, error_message
        FROM kam_rejects ORDER BY line LIMIT 1000"""
    ).fetchall()
    name = shown_name or path.name
    return [_reject_problem(name, headers, *reject) for reject in rejects]


def _read_csv_call(path: str, delimiter: str, width: int, *, rejects: bool) -> str:
    """`read_csv(...)` of `width` text columns; `path` and `delimiter` are SQL (literal or ?)."""
    columns = {f"c{i}": "VARCHAR" for i in range(width)}
    errors = (
        "store_rejects = true, rejects_table = 'kam_rejects', rejects_scan = 'kam_rejects_scan'"
        if rejects
        else "ignore_errors = true"
    )
    return f"""read_csv({path}, columns = {columns!r}, auto_detect = false, header = true,
            delim = {delimiter}, quote = '"', escape = '"', max_line_size = {MAX_FIELD_BYTES},
            {errors}, null_padding = false, parallel = true)"""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_REJECT_REASONS = {
    "TOO MANY COLUMNS": "the row has more columns than the header",
    "MISSING COLUMNS": "the row has fewer columns than the header",
    "UNQUOTED VALUE": "a quote is opened and never closed",
    "LINE SIZE OVER MAXIMUM": "the line is longer than 1 MiB",
    "INVALID ENCODING": "not valid UTF-8 text",
}


def _reject_problem(
    file: str, headers: list[str], line: int, column: str | None, text: str, kind: str, msg: str
) -> ImportProblem:
    header = headers[int(column[1:])] if column and column[1:].isdigit() else None
    reason = _REJECT_REASONS.get(kind, msg.splitlines()[0] if msg else kind.lower())
    return ImportProblem(file, int(line), header, text, reason)


def _raw(con: duckdb.DuckDBPyConnection, table: str, headers: list[str]) -> RawTable:
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return RawTable(table, headers, int(rows[0]) if rows else 0)


def _quote(identifier: str) -> str:
    return identifier.replace('"', '""')


# ---- XLSX ----------------------------------------------------------------


def check_zip_bomb(path: Path, name: str) -> None:
    """Refuse workbooks that unpack to far more than they weigh."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile:
        raise ImportRefusedError(f"{name}: a damaged ZIP/XLSX file") from None
    unpacked = sum(info.file_size for info in infos)
    packed = max(1, sum(info.compress_size for info in infos))
    if unpacked > MAX_XLSX_UNPACKED or (unpacked > 50 << 20 and unpacked / packed > MAX_XLSX_RATIO):
        raise ImportRefusedError(
            f"{name}: unpacks to {unpacked // (1 << 20)} MiB from {packed // 1024} KiB "
            "(a ZIP bomb?); refused"
        )
    if not any(info.filename.startswith("xl/") for info in infos):
        raise ImportRefusedError(f"{name}: a ZIP archive, not an XLSX workbook")


def _cell_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _stage_xlsx(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, *, sheet: str | None, name: str
) -> RawTable:
    import pyarrow as pa
    from python_calamine import CalamineWorkbook

    check_zip_bomb(path, name)
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises its own error types
        raise ImportRefusedError(f"{name}: not a readable XLSX workbook ({error})") from None
    if sheet is not None and sheet not in book.sheet_names:
        raise ImportRefusedError(
            f"{name}: no sheet {sheet!r}; sheets: {', '.join(book.sheet_names)}"
        )
    chosen = book.get_sheet_by_name(sheet or book.sheet_names[0])
    rows = chosen.to_python(skip_empty_area=True)
    if not rows:
        raise ImportRefusedError(f"{name}: the sheet is empty")
    headers = unique_headers([(_cell_text(h) or "").strip() for h in rows[0]])
    width = len(headers)
    # The sheet's own row numbers, as a person sees them: the data may start below row 1,
    # and a skipped blank row must not shift the rows after it.
    first = (chosen.start or (0, 0))[0] + 2
    data = [[_cell_text(v) for v in row[:width]] + [None] * (width - len(row)) for row in rows[1:]]
    kept = [i for i, row in enumerate(data) if any(v is not None for v in row)]
    data = [data[i] for i in kept]
    columns = {f"c{i}": pa.array([row[i] for row in data], pa.string()) for i in range(width)}
    columns["_row"] = pa.array([first + i for i in kept], pa.int64())
    arrow = pa.table(columns)  # noqa: F841 - read by DuckDB's replacement scan
    selected = ", ".join(f'c{i} AS "{_quote(h)}"' for i, h in enumerate(headers))
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(f"CREATE TEMP TABLE {table} AS SELECT _row, {selected} FROM arrow")
    return _raw(con, table, headers)


# ---- Parquet -------------------------------------------------------------


def _stage_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, *, name: str
) -> RawTable:
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as error:
        raise ImportRefusedError(f"{name}: not a readable Parquet file ({error})") from None
    headers = [str(row[0]) for row in described]
    selected = ", ".join(f'CAST("{_quote(h)}" AS VARCHAR) AS "{_quote(h)}"' for h in headers)
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(
        f"""CREATE TEMP TABLE {table} AS
        SELECT (file_row_number + 2)::BIGINT AS _row, {selected}
        FROM read_parquet(?, file_row_number = true)""",
        [str(path)],
    )
    return _raw(con, table, headers)
