from typing import Any

from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete, post_save


class WebConfig(AppConfig):
    name = "kam.web"
    label = "web"

    def ready(self) -> None:
        from kam.accounts.models import PartnershipIntent, PositionRating, WalletEstimate
        from kam.ledger.signals import ledger_changed

        # After the snapshot's own receiver (its app comes first): warm the new figures.
        ledger_changed.connect(_warm_after, weak=False, dispatch_uid="kam.web.warm")
        for model in (PartnershipIntent, PositionRating, WalletEstimate):  # scoring inputs
            for signal in (post_save, post_delete):
                signal.connect(
                    _warm_after, sender=model, weak=False, dispatch_uid=f"kam.web.{model}"
                )


def _warm_after(sender: Any, **kwargs: Any) -> None:
    """Once the change is committed, prepare the pages it made stale (serving processes)."""
    from kam.web.views import pages_warm_soon

    transaction.on_commit(pages_warm_soon)
