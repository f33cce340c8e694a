"""The tabs of the key-account page, shared by the modules that render them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.planning.selectors import Account, account_for

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


def web_actor(request: HttpRequest) -> Actor:
    return Actor(user=request.user, interface=AuditEvent.Interface.WEB)


def account_or_404(request: HttpRequest, external_id: str) -> Account:
    account = account_for(user=request.user, external_id=external_id)
    if account is None:  # unknown or not visible: the same answer
        raise Http404
    return account


def account_to_change(request: HttpRequest, external_id: str) -> Account:
    """Refuse early, before reading the form; the service checks again when it writes."""
    account = account_or_404(request, external_id)
    if not account.can_change:
        raise PermissionDenied
    return account
