"""Imports that run as background jobs whose state lives in the `ImportJob` row.

`import_job_start` creates the row first (running, this host and pid) and
hands it to `ledger_import(job=...)`: the page follows the row from the first
moment, and no handshake is needed to get a job id out of a thread. A daemon
thread runs the import; `_ProgressWriter` writes the stage and progress to the
row at most every 0.5 s. If the server stops, the row still says running with
a dead pid and `import_jobs_reap` closes it (failed before the ledger swap,
follow-up failed after it); the ledger swap is one transaction, so the ledger
keeps its previous state, never half of the new one. A committed import is
recorded in the audit trail and its upload deleted.

One commit at a time: the check "is a commit running?" and the new job's row
are made under a lock in this process, and a checked job is claimed by a
conditional UPDATE of its row, so two requests to commit it give one commit
and one refusal even across processes.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Mapping
from typing import Any, cast

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.clients.access import can_import
from kam.common.errors import DomainError
from kam.ledger.jobs import import_job_audit, import_jobs_reap
from kam.ledger.models import ImportJob
from kam.ledger.parsing import DecimalStyle, ImportRefusedError
from kam.ledger.selectors import ledger_store
from kam.ledger.services import ImportReport, ledger_import
from kam.ledger.uploads import ImportNotAllowedError, Upload, upload_delete, upload_get

logger = logging.getLogger(__name__)

WRITE_EVERY = 0.5  # seconds between two progress writes
COMMITTING = "committing"  # the stage of a checked job while its commit starts
_COMMIT_LOCK = threading.Lock()
COMMITTED = (ImportJob.Status.SUCCEEDED, ImportJob.Status.FOLLOW_UP_FAILED)


def import_job_start(
    *,
    upload: Upload,
    user: Any,
    dry_run: bool,
    given: Mapping[str, str],
    sheet: str | None = None,
    decimal: DecimalStyle | None = None,
    save_mapping: str | None = None,
    interface: str = ImportJob.Interface.WEB,
) -> ImportJob:
    """Open the job row, then import in a daemon thread (inline when KAM_IMPORT_INLINE)."""
    if not can_import(user):
        raise ImportNotAllowedError(_("You may not import sales ledgers."))
    import_jobs_reap()  # a job of a dead process must not block this one
    options = {"given": dict(given), "sheet": sheet, "decimal": decimal}
    options["save_mapping"] = save_mapping
    fields = {
        "created_by": user,
        "operator": user.username,
        "interface": interface,
        "dry_run": dry_run,
        "files": [{"name": upload.name}],
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "upload": upload.id,
        "options": options,
        "stage": "queued",
    }
    if dry_run:
        job = ImportJob.objects.create(**fields)
    else:
        with _COMMIT_LOCK:
            if _commit_running():
                raise ImportRefusedError(_another_running())
            job = ImportJob.objects.create(**fields)
        # Another process may have started one in the same moment: the earlier row wins.
        earlier = _running_commits().filter(pk__lt=job.pk)
        if earlier.exists():
            job.status, job.finished_at, job.stage = ImportJob.Status.REFUSED, timezone.now(), ""
            job.message = _another_running()
            job.save(update_fields=["status", "finished_at", "stage", "message"])
            raise ImportRefusedError(job.message)
    if getattr(settings, "KAM_IMPORT_INLINE", False):
        _job_run(job.pk)
    else:
        thread = threading.Thread(
            target=_job_thread, args=(job.pk,), daemon=True, name=f"kam-import-{job.pk}"
        )
        transaction.on_commit(thread.start)
    return job


def import_job_commit(
    *, job: ImportJob, user: Any, interface: str = ImportJob.Interface.WEB
) -> ImportJob:
    """Import for real the upload that `job` checked, with the same mapping.

    The checked row is claimed first (a conditional UPDATE) until the commit's own
    row exists: a second request to commit the same check in that moment is
    refused, whichever process it reaches; after it, the running commit refuses it.
    """
    if job.status != ImportJob.Status.CHECKED or not job.upload:
        raise ImportRefusedError(_("Only a successful check can be imported."))
    claimed = (
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKED, dry_run=True)
        .exclude(stage=COMMITTING)
        .update(stage=COMMITTING)
    )
    if not claimed:
        raise ImportRefusedError(_another_running())
    options = job.options
    try:
        return import_job_start(
            upload=upload_get(upload_id=job.upload),
            user=user,
            dry_run=False,
            given=options.get("given") or {},
            sheet=options.get("sheet"),
            decimal=cast("DecimalStyle | None", options.get("decimal")),
            save_mapping=options.get("save_mapping"),
            interface=interface,
        )
    finally:  # the commit's own row (running) now keeps any other commit out
        ImportJob.objects.filter(pk=job.pk, stage=COMMITTING).update(stage="")


def _another_running() -> str:
    return _("Another import is being written to the ledger; start this one when it ends.")


def _running_commits() -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(status=ImportJob.Status.RUNNING, dry_run=False)


def _commit_running() -> bool:
    return _running_commits().exists()


def _job_thread(job_id: int) -> None:
    try:
        _job_run(job_id)
    except Exception:
        logger.exception("import job %s could not be closed", job_id)
    finally:
        connections.close_all()  # this thread's connections only


def _job_run(job_id: int) -> None:
    """Run one job to its end; whatever happens, its row does not stay running."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    writer = _ProgressWriter(job_id, ticking=not getattr(settings, "KAM_IMPORT_INLINE", False))
    report: ImportReport | None = None
    message = ""
    try:
        options = job.options
        report = ledger_import(
            store=ledger_store(),
            paths=[upload_get(upload_id=job.upload).path],
            given=options.get("given") or None,
            sheet=options.get("sheet"),
            decimal=options.get("decimal"),
            save_mapping=options.get("save_mapping"),
            dry_run=job.dry_run,
            user=job.created_by,
            operator=job.operator,
            interface=job.interface,
            progress=writer,
            job=job,
        )
    except DomainError as error:  # a refusal: ledger_import closed the job if it got that far
        message = str(error)
    except Exception as error:
        logger.exception("import job %s failed", job_id)
        message = str(error)[:2000]
    finally:
        writer.close()
    _job_close(job_id, report, message)


def _job_close(job_id: int, report: ImportReport | None, message: str) -> None:
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status == ImportJob.Status.RUNNING:  # stopped before ledger_import could close it
        job.status, job.finished_at = ImportJob.Status.FAILED, timezone.now()
        job.message = message or _("The import stopped unexpectedly.")
    done = job.status in (*COMMITTED, ImportJob.Status.CHECKED)
    job.progress = 1.0 if done else job.progress
    job.stage = ""
    job.save(update_fields=["status", "finished_at", "message", "progress", "stage"])
    if job.status in COMMITTED and (report is not None or job.ledger_import_id is not None):
        import_job_audit(job=job, user=job.created_by)
        upload_delete(upload_id=job.upload)


_STAGES = {
    "queued": (0.0, 0.0),
    "read": (0.0, 0.45),
    "check": (0.45, 0.70),
    "combine": (0.70, 0.75),
    "write": (0.75, 0.90),
    "clients": (0.90, 0.95),
    "snapshot": (0.95, 0.99),
}


def job_progress(stage: str, fraction: float | None, *, default: float) -> float:
    """Overall progress 0..1 of a one-file import from its stage (`default` if unknown)."""
    span = _STAGES.get(stage.split(" ", 1)[0])
    if span is None:
        return default
    start, end = span
    return start + (end - start) * min(max(fraction or 0.0, 0.0), 1.0)


class _ProgressWriter:
    """Keeps the latest stage; writes it to the job row at most every 0.5 s.

    In a background job a ticker thread writes (DuckDB reports progress from its
    own threads, which must not each open a database connection); inline, the
    calling thread writes.
    """

    def __init__(self, job_id: int, *, ticking: bool) -> None:
        self.job_id = job_id
        self._lock = threading.Lock()
        self._latest: tuple[str, float] = ("queued", 0.0)
        self._written = self._latest
        self._last_write = 0.0
        self._owner = threading.get_ident()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if ticking:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    def __call__(self, stage: str, fraction: float | None) -> None:
        with self._lock:
            value = max(self._latest[1], job_progress(stage, fraction, default=self._latest[1]))
            self._latest = (stage, value)
        due = time.monotonic() - self._last_write >= WRITE_EVERY
        if self._ticker is None and threading.get_ident() == self._owner and due:
            self._flush()

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()

    def _tick(self) -> None:
        try:
            while not self._stop.wait(WRITE_EVERY):
                self._flush()
        finally:
            connections.close_all()

    def _flush(self) -> None:
        with self._lock:
            stage, value = self._latest
        if (stage, value) == self._written:
            return
        self._written, self._last_write = (stage, value), time.monotonic()
        try:
            ImportJob.objects.filter(pk=self.job_id, status=ImportJob.Status.RUNNING).update(
                stage=stage[:255], progress=value
            )
        except DatabaseError:  # progress is best effort; the job's end is written anyway
            logger.warning("import job %s: progress not written", self.job_id)
