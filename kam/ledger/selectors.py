"""Reads about the ledger and its imports."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from kam.ledger.models import ImportJob, SavedMapping
from kam.ledger.store import Store, open_store


def ledger_store() -> Store:
    """The store that KAM_LEDGER_URL names."""
    return open_store(settings.KAM_LEDGER_URL, memory_limit=settings.KAM_LEDGER_MEMORY)


def ledger_holds_own_data() -> bool:
    """Whether an import other than the demo's reached the ledger."""
    committed = ImportJob.objects.filter(ledger_import_id__isnull=False)
    return committed.exclude(operator="demo").exists()


def recent_import_jobs(*, limit: int = 20) -> list[ImportJob]:
    return list(ImportJob.objects.select_related("created_by")[:limit])


def import_jobs() -> QuerySet[ImportJob]:
    """Every import job, newest first, with who started it."""
    return ImportJob.objects.select_related("created_by").order_by("-started_at", "-id")


def saved_mappings() -> dict[str, dict[str, str]]:
    """Saved column mappings by name (field -> header)."""
    return {m.name: dict(m.fields) for m in SavedMapping.objects.order_by("name")}
