from django.apps import AppConfig


class PlanningConfig(AppConfig):
    """The manager's work on each key account (SPEC parts 4, 9 and 10)."""

    name = "kam.planning"
    label = "planning"

    def ready(self) -> None:
        from kam.planning.actuals import connect_refresh

        connect_refresh()
