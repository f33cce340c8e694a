"""Reads of the API app: tokens, and the client list the API pages through."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet

from kam.api.models import ApiToken
from kam.clients.access import visible_clients
from kam.clients.models import Client
from kam.people.models import User


def tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """A person's tokens, active first, newest first."""
    return ApiToken.objects.filter(user=user).order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-id"
    )


def api_clients(
    *, user: Any, search: str = "", country: str = "", key_account: bool | None = None
) -> QuerySet[Client]:
    """The clients `user` may see, filtered, ordered by client id."""
    clients = visible_clients(user).select_related("manager")
    if search:
        clients = clients.filter(Q(name__icontains=search) | Q(external_id__icontains=search))
    if country:
        clients = clients.filter(country__iexact=country)
    if key_account is not None:
        clients = clients.filter(is_key_account=key_account)
    return clients.order_by("external_id")
