"""Reads about the ledger and its imports."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from kam.common.errors import DomainError
from kam.ledger.models import ImportJob, SavedMapping
from kam.ledger.store import Store, open_store


class CurrencyChangedError(DomainError):
    code = "currency_changed"


def ledger_store() -> Store:
    """The store that KAM_LEDGER_URL names."""
    return open_store(settings.KAM_LEDGER_URL, memory_limit=settings.KAM_LEDGER_MEMORY)


def ledger_currency_check(store: Store) -> None:
    """Refuse to go on when the ledger's amounts were imported in another reporting
    currency than KAM_CURRENCY: the figures would carry the wrong label, and a new
    file without a currency column would mix two currencies."""
    recorded = store.query(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'ledger_imports' "
        "AND column_name = 'currency' AND table_schema = current_schema()"
    )
    if not recorded or not recorded[0][0]:  # a ledger no import has written to since
        return
    rows = store.query("SELECT DISTINCT currency FROM ledger_imports WHERE currency IS NOT NULL")
    found = sorted(str(currency) for (currency,) in rows)
    others = [c for c in found if c != settings.KAM_CURRENCY]
    if others:
        raise CurrencyChangedError(
            f"the ledger's amounts were imported in {', '.join(found)}, but KAM_CURRENCY is "
            f"{settings.KAM_CURRENCY}: set KAM_CURRENCY={others[0]}, or keep a ledger of "
            f"{settings.KAM_CURRENCY} apart (another KAM_HOME or KAM_LEDGER_URL)"
        )


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
