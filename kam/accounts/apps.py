from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Choosing and organising key accounts (SPEC parts 2 and 3)."""

    name = "kam.accounts"
    label = "accounts"
