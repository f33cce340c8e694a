"""Ledger imports through the API: upload (checked or committed), commit, status, problems.

Only people who may import (`can_import`) get past authentication on these
operations; the upload is refused before its body is read when they may not,
or when it is larger than the limit.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from typing import Any, Literal

from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.errors import HttpError

from kam.api.auth import TokenAuth, request_user
from kam.api.errors import ErrorOut
from kam.clients.access import can_import
from kam.common.exports import safe_cell
from kam.ledger.models import ImportJob
from kam.ledger.parsing import FIELDS, ImportRefusedError
from kam.ledger.runner import import_job_commit, import_job_start
from kam.ledger.uploads import ImportNotAllowedError, upload_max_bytes, upload_save
from kam.people.models import User

router = Router(tags=["imports"])
FORM_OVERHEAD = 64 << 10  # multipart boundaries and fields around the file
PROBLEM_KEYS = ("file", "row", "column", "value", "reason")
ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: ErrorOut,
}


class _LimitedUpload(FileUploadHandler):
    """Stops reading an upload as soon as it passes the limit."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            raise HttpError(413, _("The file is larger than the upload limit; refused."))
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class ImporterAuth(TokenAuth):
    """A token of someone who may import; also bounds the upload before it is read."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = super().authenticate(request, token)
        if user is None:
            return None
        if not can_import(user):
            raise ImportNotAllowedError(_("You may not import sales ledgers."))
        limit = upload_max_bytes()
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit + FORM_OVERHEAD:
            raise HttpError(413, _("The file is larger than the upload limit; refused."))
        request.upload_handlers = [_LimitedUpload(request, limit), *request.upload_handlers]
        return user


class JobOut(Schema):
    id: int
    status: Literal["running", "succeeded", "follow_up_failed", "checked", "refused", "failed"]
    dry_run: bool
    stage: str
    progress: float = Field(..., description="0 to 1")
    files: list[str]
    started_at: dt.datetime
    finished_at: dt.datetime | None
    lines: int
    invoices: int
    clients: int
    lines_replaced: int
    problem_count: int
    message: str
    interface: str
    operator: str


class ProblemOut(Schema):
    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str


class ProblemsOut(Schema):
    job: int
    problem_count: int = Field(..., description="all problems found; at most the first are kept")
    problems: list[ProblemOut]


class ProblemsQuery(Schema):
    format: Literal["json", "csv"] = "json"


def job_out(job: ImportJob) -> dict[str, Any]:
    names = [str(f.get("name", "")) for f in job.files]
    fields = ("id", "status", "dry_run", "stage", "progress", "started_at", "finished_at")
    counts = ("lines", "invoices", "clients", "lines_replaced", "problem_count", "message")
    out = {name: getattr(job, name) for name in (*fields, *counts)}
    return {**out, "files": names, "interface": job.interface, "operator": job.operator}


def _mapping(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    try:
        given = json.loads(text)
    except ValueError:
        given = None
    if not isinstance(given, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in given.items()
    ):
        raise ImportRefusedError(_("mapping must be a JSON object of field names to headers."))
    unknown = sorted(set(given) - set(FIELDS))
    if unknown:
        raise ImportRefusedError(
            _("Unknown ledger fields in mapping: %(fields)s") % {"fields": ", ".join(unknown)}
        )
    return given


@router.post(
    "/imports",
    auth=ImporterAuth(),
    response={202: JobOut, 413: ErrorOut, **ERRORS},
    summary="Upload a ledger file and check or import it",
)
def import_create(
    request: HttpRequest,
    file: File[UploadedFile],
    mapping: Form[str | None] = None,
    dry_run: Form[bool] = True,
    sheet: Form[str | None] = None,
    decimal: Form[Literal["point", "comma"] | None] = None,
) -> Status[dict[str, Any]]:
    """Starts a job and answers 202 at once; follow it with GET /imports/{job_id}.

    `mapping` is a JSON object of ledger field to column header (e.g.
    {"client": "Customer No"}); headers not given are recognised by name. With
    `dry_run` (the default) the file is only checked: commit the checked job."""
    given = _mapping(mapping)
    upload = upload_save(chunks=file.chunks(), name=file.name or "", user=request_user(request))
    job = import_job_start(
        upload=upload,
        user=request_user(request),
        dry_run=dry_run,
        given=given,
        sheet=sheet,
        decimal=decimal,
        interface=ImportJob.Interface.API,
    )
    job.refresh_from_db()
    return Status(202, job_out(job))


@router.post(
    "/imports/{int:job_id}/commit",
    auth=ImporterAuth(),
    response={202: JobOut, **ERRORS},
    summary="Import a checked upload",
)
def import_commit(request: HttpRequest, job_id: int) -> Status[dict[str, Any]]:
    """Imports for real what a successful dry run checked, with the same mapping."""
    checked = get_object_or_404(ImportJob, pk=job_id)
    job = import_job_commit(
        job=checked, user=request_user(request), interface=ImportJob.Interface.API
    )
    job.refresh_from_db()
    return Status(202, job_out(job))


@router.get(
    "/imports/{int:job_id}",
    auth=ImporterAuth(),
    response={200: JobOut, **ERRORS},
    summary="An import job's status",
)
def import_status(request: HttpRequest, job_id: int) -> dict[str, Any]:
    """Status, stage, progress (0 to 1) and counts of an import job."""
    return job_out(get_object_or_404(ImportJob, pk=job_id))


@router.get(
    "/imports/{int:job_id}/problems",
    auth=ImporterAuth(),
    response={200: ProblemsOut, **ERRORS},
    openapi_extra={"responses": {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}},
    summary="Why an import was refused",
)
def import_problems(
    request: HttpRequest, job_id: int, query: Query[ProblemsQuery]
) -> dict[str, Any] | HttpResponse:
    """The problems an import job kept, as JSON or (format=csv) as formula-safe CSV."""
    job = get_object_or_404(ImportJob, pk=job_id)
    problems = [_problem(p) for p in job.problems]
    if job.message and not problems and job.status in ("refused", "failed"):
        names = ", ".join(str(f.get("name", "")) for f in job.files)
        problems = [
            {"file": names, "row": None, "column": None, "value": None, "reason": job.message}
        ]
    if query.format == "csv":
        return _problems_csv(job, problems)
    return {"job": job.pk, "problem_count": job.problem_count, "problems": problems}


def _problem(problem: dict[str, Any]) -> dict[str, Any]:
    row = problem.get("row")
    texts = {k: problem.get(k) for k in ("column", "value")}
    return {
        "file": str(problem.get("file") or ""),
        "row": row if isinstance(row, int) else None,
        **{k: None if v is None else str(v) for k, v in texts.items()},
        "reason": str(problem.get("reason") or ""),
    }


def _problems_csv(job: ImportJob, problems: list[dict[str, Any]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-problems.csv"'
    writer = csv.writer(response)
    writer.writerow(PROBLEM_KEYS)
    for problem in problems:
        writer.writerow([safe_cell(problem[key]) for key in PROBLEM_KEYS])
    return response
