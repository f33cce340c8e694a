"""The import use case: read, map, validate, then swap invoices in all at once."""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.clients.services import clients_upsert
from kam.ledger.jobs import import_jobs_reap
from kam.ledger.models import ImportJob, SavedMapping
from kam.ledger.parsing import (
    ColumnMapping,
    DecimalStyle,
    ImportProblem,
    ImportRefusedError,
    map_headers,
)
from kam.ledger.readers import csv_source, stage_raw
from kam.ledger.selectors import ledger_currency_check
from kam.ledger.signals import ledger_changed
from kam.ledger.staging import LEDGER_COLUMNS, Staged, stage_clean, stage_typed
from kam.ledger.store import Store, SwapResult

Progress = Callable[[str, float | None], None]
logger = logging.getLogger(__name__)


@dataclass
class FileReport:
    name: str
    sha256: str = ""
    size: int = 0
    headers: list[str] = field(default_factory=list)
    mapping: ColumnMapping | None = None
    lines: int = 0
    date_format: str | None = None
    decimal_styles: dict[str, DecimalStyle] = field(default_factory=dict)


@dataclass
class ImportReport:
    job_id: int
    dry_run: bool
    files: list[FileReport]
    problems: list[ImportProblem] = field(default_factory=list)
    problem_count: int = 0
    lines: int = 0
    invoices: int = 0
    clients: int = 0
    lines_replaced: int = 0
    years: tuple[int, ...] = ()
    duration_ms: int = 0
    ledger_import_id: int | None = None  # set once the ledger swap has committed
    follow_up_error: str = ""  # a step after the swap failed; caught up later

    @property
    def swapped(self) -> bool:
        return self.ledger_import_id is not None

    @property
    def ok(self) -> bool:
        return self.problem_count == 0


def _no_progress(stage: str, fraction: float | None) -> None:
    return None


def ledger_import(
    *,
    store: Store,
    paths: Sequence[Path],
    given: Mapping[str, str] | None = None,
    mapping_name: str | None = None,
    save_mapping: str | None = None,
    sheet: str | None = None,
    decimal: DecimalStyle | None = None,
    dry_run: bool = False,
    user: Any = None,
    operator: str = "",
    interface: str = ImportJob.Interface.CLI,
    progress: Progress = _no_progress,
    job: ImportJob | None = None,
) -> ImportReport:
    """Import ledger files all-or-nothing (SPEC: import identity); see ImportReport."""
    started = time.monotonic()
    saved = _saved_mapping(mapping_name)
    import_jobs_reap(store=store)  # also catches up what an earlier import left undone
    if job is None:  # the web creates its job first, so that a page can follow it
        job = ImportJob.objects.create(
            created_by=user if getattr(user, "pk", None) else None,
            operator=operator or getattr(user, "username", ""),
            interface=interface,
            dry_run=dry_run,
            files=[{"name": p.name} for p in paths],
            host=socket.gethostname(),
            pid=os.getpid(),
        )
    report = ImportReport(job_id=job.pk, dry_run=dry_run, files=[FileReport(p.name) for p in paths])
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashes = pool.submit(_hash_files, paths)
        try:
            _run(store, paths, given, saved, sheet, decimal, report, progress, job)
        except ImportRefusedError as error:
            _finish(job, report, hashes, ImportJob.Status.REFUSED, started, str(error))
            raise
        except BaseException as error:
            if not report.swapped:
                _finish(job, report, hashes, ImportJob.Status.FAILED, started, str(error)[:2000])
                raise
            # The ledger holds the new lines: say so, and let the follow-ups catch up later.
            report.follow_up_error = str(error)[:1500] or type(error).__name__
            if not isinstance(error, Exception):  # interrupted: record it, then stop
                message = follow_up_message(report.follow_up_error)
                _finish(job, report, hashes, ImportJob.Status.FOLLOW_UP_FAILED, started, message)
                raise
            logger.exception("import job %s: the step after the ledger swap failed", job.pk)
        status = ImportJob.Status.CHECKED if dry_run else ImportJob.Status.SUCCEEDED
        if not report.ok:
            status = ImportJob.Status.REFUSED
        message = ""
        if report.follow_up_error:
            status = ImportJob.Status.FOLLOW_UP_FAILED
            message = follow_up_message(report.follow_up_error)
        _finish(job, report, hashes, status, started, message)
    if report.ok and save_mapping and report.files[0].mapping and not dry_run:
        SavedMapping.objects.update_or_create(
            name=save_mapping, defaults={"fields": report.files[0].mapping.fields}
        )
    return report


def follow_up_message(error: str) -> str:
    """What a job whose ledger swap committed, but not the steps after it, says."""
    return _(
        "The ledger now holds these invoices, but updating the clients and figures "
        "failed (%(error)s); they are brought up to date at the next import or start."
    ) % {"error": error}


def _saved_mapping(name: str | None) -> dict[str, str] | None:
    if name is None:
        return None
    saved = SavedMapping.objects.filter(name=name).first()
    if saved is None:
        known = ", ".join(SavedMapping.objects.values_list("name", flat=True)) or "none"
        raise ImportRefusedError(f"no saved mapping named {name!r} (saved: {known})")
    return dict(saved.fields)


def _run(
    store: Store,
    paths: Sequence[Path],
    given: Mapping[str, str] | None,
    saved: Mapping[str, str] | None,
    sheet: str | None,
    decimal: DecimalStyle | None,
    report: ImportReport,
    progress: Progress,
    job: ImportJob,
) -> None:
    ledger_currency_check(store)  # the job records a refusal, or an unreachable ledger
    with store.staging() as con:
        staged: list[Staged] = []
        for i, path in enumerate(paths):
            staged.append(_stage_file(con, path, i, given, saved, sheet, decimal, report, progress))
        if not report.ok:
            return
        progress("combine", None)
        _combine(con, staged)
        report.lines, report.invoices, report.clients = _counts(con)
        if report.dry_run:
            return
        progress("write", None)
        with _watch(con, "write", progress):
            swap = store.swap_in(
                con,
                "kam_staged",
                files=", ".join(p.name for p in paths),
                rows="kam_staged_rows",
                currency=settings.KAM_CURRENCY,
            )
        # Committed: from here on the job must never say the import failed.
        report.ledger_import_id = swap.import_id
        report.lines_replaced, report.years = swap.replaced_lines, swap.touched_years
        ImportJob.objects.filter(pk=job.pk).update(
            ledger_import_id=swap.import_id, lines_replaced=swap.replaced_lines
        )
        job.ledger_import_id = swap.import_id
        client_rows = con.execute(_CLIENTS_SQL).fetchall()
    _apply_operational(store, swap, client_rows, report, progress)


def _stage_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    index: int,
    given: Mapping[str, str] | None,
    saved: Mapping[str, str] | None,
    sheet: str | None,
    decimal: DecimalStyle | None,
    report: ImportReport,
    progress: Progress,
) -> Staged:
    file_report = report.files[index]
    fast = _stage_clean_file(con, path, index, given, saved, decimal, file_report, progress)
    if fast is not None:
        return fast
    with _watch(con, f"read {path.name}", progress):
        raw, rejects = stage_raw(con, path, f"kam_raw_{index}", sheet=sheet)
    file_report.headers, file_report.lines = raw.headers, raw.rows
    if raw.rows == 0 and not rejects:
        raise ImportRefusedError(f"{path.name}: the file has a header but no data rows")
    mapping = map_headers(raw.headers, given=given, saved=saved, file_name=path.name)
    file_report.mapping = mapping
    with _watch(con, f"check {path.name}", progress):
        result = stage_typed(
            con,
            raw,
            mapping,
            file=path.name,
            typed=f"kam_typed_{index}",
            currency=settings.KAM_CURRENCY,
            decimal=decimal,
        )
    con.execute(f"DROP TABLE {raw.name}")
    file_report.date_format, file_report.decimal_styles = result.date_format, result.decimal_styles
    report.problems = (report.problems + rejects + result.problems)[:1000]
    report.problem_count += len(rejects) + result.problem_count
    return result


def _stage_clean_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    index: int,
    given: Mapping[str, str] | None,
    saved: Mapping[str, str] | None,
    decimal: DecimalStyle | None,
    file_report: FileReport,
    progress: Progress,
) -> Staged | None:
    """A UTF-8 CSV without any problem, staged straight from the file; else None.

    None sends the file down the full path (`stage_raw` + `stage_typed`), which
    raises or reports whatever is wrong exactly as if this had not been tried.
    """
    try:
        source = csv_source(path)
        if source is None:
            return None
        mapping = map_headers(source.headers, given=given, saved=saved, file_name=path.name)
        with _watch(con, f"check {path.name}", progress):
            staged = stage_clean(
                con,
                source.select(rejects=True),
                source.select(rejects=False),
                mapping,
                typed=f"kam_typed_{index}",
                currency=settings.KAM_CURRENCY,
                decimal=decimal,
            )
    except (ImportRefusedError, duckdb.Error):
        return None
    if staged is not None:
        file_report.headers, file_report.lines = source.headers, staged.lines
        file_report.mapping = mapping
        file_report.date_format, file_report.decimal_styles = (
            staged.date_format,
            staged.decimal_styles,
        )
    return staged


def _combine(con: duckdb.DuckDBPyConnection, staged: list[Staged]) -> None:
    """One table of new lines; an invoice in several files keeps the last file's lines.

    One file (the usual case) needs no copy: `kam_staged` is a view on its table.
    `kam_staged_rows` is the same lines without their `line`, for every read but the
    ledger insert (the line numbers can cost a join).
    Line numbers: see `_line_sql`.
    """
    columns = ", ".join(LEDGER_COLUMNS)
    if len(staged) == 1:
        s = staged[0]
        fields = ", ".join(f"{s.column(c)} AS {c}" for c in LEDGER_COLUMNS if c != "line")
        if s.column("line_given") != "line_given" and _invoices_contiguous(con, s):
            # No line numbers in the file, and each invoice's lines one run of rows:
            # a line's position is its row less its invoice's first row, without the
            # window's sort (4 s of a 10M-line import).
            con.execute(
                f"""CREATE OR REPLACE TEMP VIEW kam_staged AS
                SELECT {fields}, {s.row} AS _row,
                    {s.row} - (SELECT f.first FROM kam_invoice_first f
                        WHERE f.invoice = t.invoice) + 1 AS line
                FROM {s.table} t"""
            )
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW kam_staged_rows AS "
                f"SELECT {fields}, {s.row} AS _row FROM {s.table}"
            )
            return
        source = f"SELECT {fields}, {s.row} AS _row, {s.column('line_given')} AS line_given, "
        source += f"0 AS _file FROM {s.table}"
        mixed = _mixes_given_and_blank_lines(con, s)
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW kam_staged AS
            SELECT {columns}, _row FROM ({_line_sql(source, mixed=mixed)})"""
        )
        # The window numbering the lines is left out of reads that do not use it.
        con.execute("CREATE OR REPLACE TEMP VIEW kam_staged_rows AS SELECT * FROM kam_staged")
        return
    parts = " UNION ALL ".join(
        f"SELECT {i} AS _file, {s.row} AS _row, {s.column('line_given')} AS line_given, "
        + ", ".join(f"{s.column(c)} AS {c}" for c in LEDGER_COLUMNS if c != "line")
        + f" FROM {s.table}"
        for i, s in enumerate(staged)
    )
    mixed = any(_mixes_given_and_blank_lines(con, s) for s in staged)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE kam_staged AS
        SELECT {columns}, _row FROM (
            SELECT *, max(_file) OVER (PARTITION BY invoice) AS _last_file
            FROM ({_line_sql(parts, mixed=mixed)}))
        WHERE _file = _last_file"""
    )
    for s in staged:
        con.execute(f"DROP TABLE {s.table}")
    con.execute("CREATE OR REPLACE TEMP VIEW kam_staged_rows AS SELECT * FROM kam_staged")


def _invoices_contiguous(con: duckdb.DuckDBPyConnection, s: Staged) -> bool:
    """Whether the rows of every invoice follow one another in the file.

    Keeps each invoice's first row in `kam_invoice_first` for `_combine`. Row
    numbers are distinct, so "last - first + 1 = count" means the run is whole.
    """
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE kam_invoice_first AS
        SELECT invoice, min({s.row}) AS first, max({s.row}) - min({s.row}) + 1 = count(*) AS whole
        FROM {s.table} GROUP BY invoice"""
    )
    row = con.execute("SELECT coalesce(bool_and(whole), true) FROM kam_invoice_first").fetchone()
    return bool(row and row[0])


def _mixes_given_and_blank_lines(con: duckdb.DuckDBPyConnection, s: Staged) -> bool:
    """Whether some lines of the file have a line number and others have none."""
    given = s.column("line_given")
    if given != "line_given":  # no line column: every number is a position
        return False
    row = con.execute(
        f"SELECT bool_or(line_given IS NULL) AND bool_or(line_given IS NOT NULL) FROM {s.table}"
    ).fetchone()
    return bool(row and row[0])


def _line_sql(source: str, *, mixed: bool) -> str:
    """`source` (with `_file`, `_row`, `invoice`, `line_given`) plus each line's `line`.

    A line the file numbers keeps its number; one it does not is numbered by its
    position within its invoice in the file (SPEC: ledger line). Where that
    position is a number the file gives another line of the invoice, the line
    takes the next numbers after every number the invoice uses, in file order:
    deterministic, and never two lines with one number.
    """
    position = "row_number() OVER (PARTITION BY _file, invoice ORDER BY _row)"
    if not mixed:
        return f"SELECT *, coalesce(line_given, {position}) AS line FROM ({source})"
    return f"""SELECT * EXCLUDE (_position, _clash), CASE
            WHEN line_given IS NOT NULL THEN line_given
            WHEN NOT _clash THEN _position
            ELSE greatest(max(line_given) OVER (PARTITION BY _file, invoice),
                    count(*) OVER (PARTITION BY _file, invoice))
                + row_number() OVER (PARTITION BY _file, invoice, _clash ORDER BY _row)
        END AS line
        FROM (
            SELECT n.*, coalesce(line_given IS NULL AND g._taken, false) AS _clash
            FROM (SELECT *, {position} AS _position FROM ({source})) n
            LEFT JOIN (SELECT DISTINCT _file AS _gf, invoice AS _gi, line_given AS _gl,
                    true AS _taken
                FROM ({source}) WHERE line_given IS NOT NULL) g
            ON n.line_given IS NULL AND g._gf = n._file AND g._gi = n.invoice
                AND g._gl = n._position)"""


def _counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    row = con.execute(
        "SELECT count(*), count(DISTINCT invoice), count(DISTINCT client) FROM kam_staged_rows"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


# The name and country on the client's latest line (the last in the file on a tie).
_CLIENTS_SQL = """
SELECT client,
    arg_max(client_name, (invoiced_on, _row)) FILTER (WHERE client_name IS NOT NULL),
    arg_max(country, (invoiced_on, _row)) FILTER (WHERE country IS NOT NULL)
FROM kam_staged_rows WHERE client IS NOT NULL GROUP BY client
"""


def _apply_operational(
    store: Store,
    swap: SwapResult,
    client_rows: list[tuple[Any, ...]],
    report: ImportReport,
    progress: Progress,
) -> None:
    """Clients and the snapshot follow the committed ledger (caught up if this fails)."""
    progress("clients", None)
    with transaction.atomic():
        clients_upsert(rows=client_rows)
        progress("snapshot", None)
        ledger_changed.send(
            sender=ledger_import,
            store=store,
            years=swap.touched_years,
            clients=swap.touched_clients,
        )


def _finish(
    job: ImportJob,
    report: ImportReport,
    hashes: Future[list[tuple[str, int]]],
    status: str,
    started: float,
    message: str,
) -> None:
    report.duration_ms = int((time.monotonic() - started) * 1000)
    try:
        digests = hashes.result()
    except OSError:
        digests = [("", 0)] * len(report.files)
    for file_report, (digest, size) in zip(report.files, digests, strict=True):
        file_report.sha256, file_report.size = digest, size
    job.status = status
    job.finished_at = timezone.now()
    job.duration_ms = report.duration_ms
    job.files = [{"name": f.name, "sha256": f.sha256, "bytes": f.size} for f in report.files]
    job.mapping = {f.name: f.mapping.fields for f in report.files if f.mapping}
    job.lines, job.invoices, job.clients = report.lines, report.invoices, report.clients
    job.lines_replaced = report.lines_replaced
    job.problem_count = report.problem_count
    job.problems = [p.as_dict() for p in report.problems]
    job.message = message
    job.ledger_import_id = report.ledger_import_id
    job.save()


def _hash_files(paths: Sequence[Path]) -> list[tuple[str, int]]:
    result = []
    for path in paths:
        digest = hashlib.sha256()
        size = 0
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 22):
                digest.update(chunk)
                size += len(chunk)
        result.append((digest.hexdigest(), size))
    return result


@contextmanager
def _watch(con: duckdb.DuckDBPyConnection, stage: str, progress: Progress) -> Iterator[None]:
    """Report DuckDB's progress on the running statement every 100 ms."""
    if progress is _no_progress:
        yield
        return
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(0.1):
            try:
                value = con.query_progress()
            except duckdb.Error:
                continue
            if value is not None and value >= 0:
                progress(stage, float(value) / 100)

    progress(stage, None)
    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        progress(stage, 1.0)
