"""The tabs of the key-account page, shared by the modules that render them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kam.planning.selectors import Account

# (tab name, url name, label); the url takes the client's external id
TABS: tuple[tuple[str, str, Any], ...] = (
    ("plan", "plan:overview", _("Plan")),
    ("objectives", "plan:objectives", _("Objectives")),
    ("wallet", "plan:wallet", _("Share of wallet")),
    ("buying", "work:buying", _("Buying centre")),
    ("deals", "work:deals", _("Deals")),
    ("competitors", "work:competitors", _("Competitors")),
    ("actions", "work:actions", _("Actions")),
)


@dataclass(frozen=True, slots=True)
class Tab:
    name: str
    url: str
    label: str


def account_context(account: Account, tab: str, **extra: Any) -> dict[str, Any]:
    """The context every tab template needs: the account, the tabs, the current one."""
    tabs = [
        Tab(name, reverse(url, args=[account.client.external_id]), str(label))
        for name, url, label in TABS
    ]
    return {"account": account, "account_tabs": tabs, "account_tab": tab, **extra}
