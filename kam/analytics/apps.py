from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "kam.analytics"
    label = "analytics"

    def ready(self) -> None:
        from typing import Any

        from kam.analytics.services import snapshot_refresh
        from kam.ledger.signals import ledger_changed

        def refresh(
            sender: Any,
            *,
            store: Any,
            years: tuple[int, ...] | None,
            clients: frozenset[str] | None = None,
            **_: Any,
        ) -> None:
            snapshot_refresh(store=store, years=years, clients=clients)

        ledger_changed.connect(refresh, weak=False, dispatch_uid="kam.analytics.snapshot")
