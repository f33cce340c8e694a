from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "kam.ledger"
    label = "ledger"
