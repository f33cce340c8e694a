from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """One run of the import pipeline, kept for the record."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Imported")
        # The ledger swap committed; a step after it (clients, figures) failed and is
        # caught up later (next import, job housekeeping, start-up).
        FOLLOW_UP_FAILED = "follow_up_failed", _("Imported; figures not yet updated")
        CHECKED = "checked", _("Checked (dry run)")
        REFUSED = "refused", _("Refused")
        FAILED = "failed", _("Failed")

    class Interface(models.TextChoices):
        CLI = "cli", _("Command line")
        WEB = "web", _("Web")
        API = "api", _("API")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    operator = models.CharField(_("who"), max_length=150, blank=True, default="")
    interface = models.CharField(max_length=8, choices=Interface.choices, default=Interface.CLI)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    dry_run = models.BooleanField(default=False)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    files = models.JSONField(_("files"), default=list)  # [{name, sha256, bytes}]
    mapping = models.JSONField(default=dict)
    lines = models.PositiveBigIntegerField(_("lines"), default=0)
    invoices = models.PositiveBigIntegerField(_("invoices"), default=0)
    clients = models.PositiveIntegerField(_("clients"), default=0)
    lines_replaced = models.PositiveBigIntegerField(default=0)
    problem_count = models.PositiveIntegerField(_("problems"), default=0)
    problems = models.JSONField(default=list)  # the first problems, as dicts
    message = models.TextField(blank=True, default="")
    ledger_import_id = models.BigIntegerField(null=True, blank=True)  # set once the swap commits
    host = models.CharField(max_length=255, blank=True, default="")
    pid = models.PositiveIntegerField(null=True, blank=True)
    stage = models.CharField(_("stage"), max_length=255, blank=True, default="")
    progress = models.FloatField(_("progress"), default=0.0)  # 0..1, written by the runner
    upload = models.CharField(max_length=64, blank=True, default="")  # folder of a web upload
    options = models.JSONField(default=dict)  # what was asked: given mapping, sheet, decimal...

    class Meta:
        ordering = ("-started_at", "-id")

    def __str__(self) -> str:
        names = ", ".join(f["name"] for f in self.files) or "-"
        return f"#{self.pk} {names} ({self.status})"


class SavedMapping(models.Model):
    """A named column mapping (field -> header) to reuse for an ERP's exports."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    fields = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name
