"""Small helpers shared by the import pipeline's tests: write files, read the ledger back."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kam.clients.models import Client
from kam.ledger.models import ImportJob
from kam.ledger.services import ImportReport, ledger_import
from kam.ledger.staging import LEDGER_COLUMNS
from kam.ledger.store import Store

Row = tuple[Any, ...]

HEADER = "invoice,date,client,client_name,product,quantity,unit_price"


def write_text(path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write `text` as it is (no newline translation) and return the path."""
    path.write_bytes(text.encode(encoding))
    return path


def csv_text(rows: Sequence[Sequence[object]], header: str = HEADER, delimiter: str = ",") -> str:
    lines = [header.replace(",", delimiter)]
    lines += [delimiter.join(str(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def ledger_rows(store: Store) -> list[Row]:
    """Every ledger line (all columns but the import id), in a stable order."""
    columns = ", ".join(LEDGER_COLUMNS)
    return store.query(f"SELECT {columns} FROM ledger_lines ORDER BY invoice, line")


def ledger_lines(store: Store, columns: str) -> list[Row]:
    """Chosen columns of every ledger line, ordered by invoice and line."""
    return store.query(f"SELECT {columns} FROM ledger_lines ORDER BY invoice, line")


def clients_table() -> list[Row]:
    return list(
        Client.objects.order_by("external_id").values_list("external_id", "name", "country")
    )


def import_text(
    store: Store,
    tmp_path: Path,
    text: str,
    *,
    name: str = "sales.csv",
    encoding: str = "utf-8",
    **options: Any,
) -> ImportReport:
    """Write `text` to `tmp_path / name` and import it."""
    path = write_text(tmp_path / name, text, encoding=encoding)
    return ledger_import(store=store, paths=[path], **options)


def job_wait(job: ImportJob, timeout: float = 30) -> ImportJob:
    """The background job `job` once its thread has ended, read back from the database.

    It joins the thread rather than polls the row: the in-memory test database
    refuses (it does not wait for) a read of a table another thread is writing.
    """
    for thread in threading.enumerate():
        if thread.name == f"kam-import-{job.pk}":
            thread.join(timeout)
    job.refresh_from_db()
    return job
