"""Ledger imports in the browser: upload, map the columns, check, import, follow the job.

Only people who may import (`can_import`) reach these pages; anyone else gets 403
before the request body is read.
"""

from __future__ import annotations

import csv
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.clients.access import can_import
from kam.common.errors import DomainError
from kam.common.exports import safe_cell
from kam.ledger.jobs import import_jobs_reap
from kam.ledger.models import ImportJob
from kam.ledger.reasons import reason_in_words
from kam.ledger.runner import import_job_commit, import_job_start
from kam.ledger.selectors import import_jobs, saved_mappings
from kam.ledger.uploads import (
    Preview,
    Upload,
    upload_get,
    upload_max_bytes,
    upload_preview,
    upload_save,
    upload_too_large_message,
    uploads_sweep,
)
from kam.web.import_forms import FIELD_LABELS, MappingForm, UploadForm

PER_PAGE = 25
PROBLEMS_SHOWN = 200
FORM_OVERHEAD = 64 << 10  # multipart boundaries and the CSRF token around the file

_SOURCES: dict[str, Any] = {
    "detected": gettext_lazy("recognised from the header"),
    "saved": gettext_lazy("saved mapping"),
}
_STAGES: dict[str, Any] = {
    "queued": gettext_lazy("Waiting to start"),
    "read": gettext_lazy("Reading %(file)s"),
    "check": gettext_lazy("Checking the values of %(file)s"),
    "combine": gettext_lazy("Combining the files"),
    "write": gettext_lazy("Writing to the ledger"),
    "clients": gettext_lazy("Updating the clients"),
    "snapshot": gettext_lazy("Refreshing the figures"),
}


def _allowed(request: HttpRequest) -> None:
    if not can_import(request.user):
        raise PermissionDenied


@require_GET
@login_required
def import_list(request: HttpRequest) -> HttpResponse:
    """The upload form and the job history, newest first."""
    _allowed(request)
    import_jobs_reap()
    uploads_sweep()
    return _list_page(request, UploadForm())


def _list_page(
    request: HttpRequest, form: UploadForm, *, error: str = "", status: int = 200
) -> HttpResponse:
    jobs = Paginator(import_jobs(), PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "jobs": jobs, "error": error, "limit_mib": upload_max_bytes() >> 20}
    return render(request, "web/imports/list.html", context, status=status)


class _LimitedUpload(FileUploadHandler):
    """Stops reading an upload as soon as it passes the limit (nothing is kept)."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit, self.too_large = limit, False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.too_large = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


@csrf_exempt  # the handler must be in place before the body is read; checked below
@require_POST
@login_required
def import_upload(request: HttpRequest) -> HttpResponseBase:
    """Keep the uploaded file and go on to its mapping, or say why it is refused."""
    _allowed(request)
    limit = upload_max_bytes()
    if int(request.META.get("CONTENT_LENGTH") or 0) > limit + FORM_OVERHEAD:
        return _list_page(request, UploadForm(), error=upload_too_large_message(""), status=413)
    handler = _LimitedUpload(request, limit)
    request.upload_handlers = [handler, *request.upload_handlers]
    return _upload_checked(request, handler)


@csrf_protect
def _upload_checked(request: HttpRequest, handler: _LimitedUpload) -> HttpResponseBase:
    form = UploadForm(request.POST, request.FILES)
    if handler.too_large:
        return _list_page(request, UploadForm(), error=upload_too_large_message(""), status=413)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    file = form.cleaned_data["file"]
    try:
        upload = upload_save(chunks=file.chunks(), name=file.name or "", user=request.user)
    except DomainError as error:
        return _list_page(request, UploadForm(), error=str(error), status=400)
    return redirect("imports:mapping", upload_id=upload.id)


@require_http_methods(["GET", "POST"])
@login_required
def import_mapping(request: HttpRequest, upload_id: str) -> HttpResponseBase:
    """The file's columns against the ledger fields, its first rows, then check or import."""
    _allowed(request)
    try:
        upload = upload_get(upload_id=upload_id)
    except DomainError as error:
        return render(request, "web/imports/gone.html", {"error": str(error)}, status=404)
    sheet = _sheet(request, upload)
    saved = saved_mappings()
    saved_name = request.GET.get("saved", "")
    context: dict[str, Any] = {"upload": upload, "sheet": sheet, "saved": saved}
    context["saved_name"] = saved_name
    try:
        preview = upload_preview(upload=upload, sheet=sheet, saved=saved.get(saved_name))
    except DomainError as error:
        context["error"] = str(error)
        return render(request, "web/imports/mapping.html", context, status=400)
    form = MappingForm(
        request.POST or None,
        headers=preview.headers,
        chosen=preview.fields,
        file_name=upload.name,
        initial={"save_as": saved_name},
    )
    context.update(preview=preview, form=form, **_mapping_context(form, preview))
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_start(
                upload=upload,
                user=request.user,
                dry_run=request.POST.get("action") != "import",
                given=form.cleaned_data["given"],
                sheet=sheet,
                decimal=form.cleaned_data["decimal"] or None,
                save_mapping=form.cleaned_data["save_as"] or None,
            )
        except DomainError as error:
            context["error"] = str(error)
        else:
            return redirect("imports:job", job_id=job.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/imports/mapping.html", context, status=status)


def _mapping_context(form: MappingForm, preview: Preview) -> dict[str, Any]:
    rows = [
        (field, bound, required, _SOURCES.get(preview.sources.get(field, ""), ""))
        for field, bound, required in form.field_rows()
    ]
    ambiguous = [
        (FIELD_LABELS[field], ", ".join(headers)) for field, headers in preview.ambiguous.items()
    ]
    return {"field_rows": rows, "ambiguous": ambiguous}


def _sheet(request: HttpRequest, upload: Upload) -> str | None:
    asked = request.POST.get("sheet") or request.GET.get("sheet")
    if asked in upload.sheets:
        return asked
    return upload.sheets[0] if upload.sheets else None


@require_GET
@login_required
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """A job's progress while it runs, then its result; htmx polls the status part."""
    _allowed(request)
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=job_id)
    polled = request.headers.get("HX-Request") == "true"
    template = "web/imports/_job_status.html" if polled else "web/imports/job.html"
    return render(request, template, _job_context(job))


def _job_context(job: ImportJob, *, error: str = "") -> dict[str, Any]:
    verb, _sep, rest = job.stage.partition(" ")
    stage = _STAGES.get(verb)
    return {
        "job": job,
        "running": job.status == ImportJob.Status.RUNNING,
        "stage": stage % {"file": rest} if stage is not None else job.stage,
        "percent": round(job.progress * 100),
        "problems": [_in_words(p) for p in job.problems[:PROBLEMS_SHOWN]],
        "problems_more": max(0, job.problem_count - PROBLEMS_SHOWN),
        "upload_kept": bool(job.upload) and _upload_exists(job.upload),
        "mapping": _mapping_rows(job),
        "error": error,
    }


def _in_words(problem: dict[str, Any]) -> dict[str, Any]:
    """A kept problem with its reason in the page's language."""
    return {**problem, "reason": reason_in_words(str(problem.get("reason") or ""))}


def _upload_exists(upload_id: str) -> bool:
    try:
        upload_get(upload_id=upload_id)
    except DomainError:
        return False
    return True


def _mapping_rows(job: ImportJob) -> list[tuple[str, str]]:
    fields: dict[str, str] = next(iter(job.mapping.values()), {}) if job.mapping else {}
    return [(str(FIELD_LABELS.get(f, f)), header) for f, header in fields.items()]


@require_POST
@login_required
def import_commit(request: HttpRequest, job_id: int) -> HttpResponseBase:
    """Import for real what a successful check read, with the same mapping."""
    _allowed(request)
    checked = get_object_or_404(ImportJob, pk=job_id)
    try:
        job = import_job_commit(job=checked, user=request.user)
    except DomainError as error:
        return render(
            request, "web/imports/job.html", _job_context(checked, error=str(error)), status=400
        )
    return redirect("imports:job", job_id=job.pk)


@require_GET
@login_required
def import_problems(request: HttpRequest, job_id: int) -> HttpResponse:
    """Every problem the job kept, as CSV (cells safe from formula injection)."""
    _allowed(request)
    job = get_object_or_404(ImportJob, pk=job_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-problems.csv"'
    response.write("\ufeff")  # spreadsheet programs read UTF-8 with a BOM
    writer = csv.writer(response)
    keys = ("file", "row", "column", "value", "reason")
    writer.writerow([_("File"), _("Row"), _("Column"), _("Value"), _("Reason")])
    for problem in map(_in_words, job.problems):
        writer.writerow([safe_cell(problem.get(key)) for key in keys])
    if job.message and not job.problems:
        names = ", ".join(f.get("name", "") for f in job.files)
        writer.writerow([safe_cell(names), "", "", "", safe_cell(job.message)])
    return response


app_name = "imports"
urlpatterns = [
    path("", import_list, name="list"),
    path("upload/", import_upload, name="upload"),
    path("uploads/<str:upload_id>/", import_mapping, name="mapping"),
    path("jobs/<int:job_id>/", import_job, name="job"),
    path("jobs/<int:job_id>/commit/", import_commit, name="commit"),
    path("jobs/<int:job_id>/problems.csv", import_problems, name="problems"),
]
