"""Reads about the ledger and its imports."""

from __future__ import annotations

from django.conf import settings

from kam.ledger.models import ImportJob
from kam.ledger.store import Store, open_store


def ledger_store() -> Store:
    """The store that KAM_LEDGER_URL names."""
    return open_store(settings.KAM_LEDGER_URL)


def recent_import_jobs(*, limit: int = 20) -> list[ImportJob]:
    return list(ImportJob.objects.select_related("created_by")[:limit])
