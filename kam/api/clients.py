"""Clients and their yearly figures; every read goes through `visible_clients`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from kam.analytics.models import ClientYearMetric, from_micros
from kam.api.auth import request_user
from kam.api.errors import ErrorOut
from kam.api.selectors import api_clients
from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.clients.access import can_see_margins, editable_clients, visible_clients
from kam.clients.models import Client
from kam.clients.services import ClientEditNotAllowedError, client_update
from kam.common.errors import DomainError
from kam.common.money import money_str

router = Router(tags=["clients"])
READ_ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class ClientOut(Schema):
    external_id: str
    name: str
    country: str
    is_key_account: bool
    manager: str | None = Field(None, description="user name of the key-account manager")
    updated_at: dt.datetime


class ClientPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ClientOut]


class ClientFilters(Schema):
    search: str = Field("", max_length=100, description="part of the name or client id")
    country: str = Field("", max_length=64)
    key_account: bool | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


class ClientPatch(Schema):
    """Only the fields sent are changed. `is_key_account` and `manager` are refused
    (400 `use_designation`): they change by designation and manager assignment."""

    name: str | None = Field(None, min_length=1, max_length=255)
    country: str | None = Field(None, max_length=64)
    is_key_account: bool | None = Field(None, description="refused: use the designation")
    manager: str | None = Field(None, max_length=150, description="refused: use PUT .../manager")


class UseDesignationError(DomainError):
    code = "use_designation"


class YearMetricOut(Schema):
    year: int
    revenue: str
    invoices: int
    lines: int
    categories: int
    last_invoiced_on: dt.date
    cost: str | None = Field(None, description="only for roles that may see margins")
    margin: str | None = Field(None, description="net revenue minus cost, over costed lines")
    margin_percent: float | None = None
    margin_coverage: float | None = Field(None, description="share of revenue whose cost is known")


class ClientMetricsOut(Schema):
    external_id: str
    currency: str
    years: list[YearMetricOut]


def client_out(client: Client) -> dict[str, Any]:
    manager = client.manager.username if client.manager else None
    return {
        "external_id": client.external_id,
        "name": client.name,
        "country": client.country,
        "is_key_account": client.is_key_account,
        "manager": manager,
        "updated_at": client.updated_at,
    }


def _visible(request: HttpRequest, external_id: str) -> Client:
    client = visible_clients(request.user).select_related("manager")
    found = client.filter(external_id=external_id).first()
    if found is None:  # unknown or not visible: the same answer, so nothing leaks
        raise Http404
    return found


@router.get("/clients", response={200: ClientPage, **READ_ERRORS}, summary="List clients")
def clients_list(request: HttpRequest, filters: Query[ClientFilters]) -> dict[str, Any]:
    """The clients you may see, by client id, a page at a time."""
    clients = api_clients(
        user=request.user,
        search=filters.search,
        country=filters.country,
        key_account=filters.key_account,
    )
    page = clients[filters.offset : filters.offset + filters.limit]
    return {
        "count": clients.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [client_out(c) for c in page],
    }


@router.get(
    "/clients/{path:external_id}/metrics",
    response={200: ClientMetricsOut, **READ_ERRORS},
    exclude_none=True,
    summary="A client's figures by year",
)
def client_metrics(request: HttpRequest, external_id: str) -> dict[str, Any]:
    """Net revenue, invoices, lines and categories per calendar year; cost and margin
    only for roles that may see margins."""
    client = _visible(request, external_id)
    with_margin = can_see_margins(request.user)
    rows = ClientYearMetric.objects.filter(client=client).order_by("-year")
    return {
        "external_id": client.external_id,
        "currency": settings.KAM_CURRENCY,
        "years": [_year_out(m, with_margin=with_margin) for m in rows],
    }


def _year_out(metric: ClientYearMetric, *, with_margin: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "year": metric.year,
        "revenue": money_str(from_micros(metric.revenue_micros)),
        "invoices": metric.invoices,
        "lines": metric.lines,
        "categories": metric.categories,
        "last_invoiced_on": metric.last_invoiced_on,
    }
    if with_margin:
        costed, cost = from_micros(metric.costed_revenue_micros), from_micros(metric.cost_micros)
        revenue = from_micros(metric.revenue_micros)
        row["cost"] = money_str(cost)
        row["margin"] = money_str(costed - cost)
        row["margin_percent"] = round(float((costed - cost) / costed), 6) if costed else None
        row["margin_coverage"] = round(float(costed / revenue), 6) if revenue else None
    return row


@router.get("/clients/{path:external_id}", response={200: ClientOut, **READ_ERRORS})
def client_get(request: HttpRequest, external_id: str) -> dict[str, Any]:
    """One client you may see."""
    return client_out(_visible(request, external_id))


@router.patch(
    "/clients/{path:external_id}",
    response={200: ClientOut, 400: ErrorOut, 403: ErrorOut, **READ_ERRORS},
    summary="Change a client",
)
def client_patch(request: HttpRequest, external_id: str, patch: ClientPatch) -> dict[str, Any]:
    """Correct the name or country of a client you may change. Key-account status and
    manager are refused here (400 `use_designation`): use `POST .../designation`,
    `POST .../revocation` and `PUT .../manager`, which keep the history. A request
    that changes nothing writes nothing to the audit trail."""
    client = _visible(request, external_id)
    if not editable_clients(request.user).filter(pk=client.pk).exists():
        raise ClientEditNotAllowedError(_("You may not change this client."))
    values = patch.dict(exclude_unset=True)
    if {"is_key_account", "manager"} & set(values):
        raise UseDesignationError(
            _(
                "Key-account status and manager change through POST "
                "/api/v1/clients/{id}/designation, POST /api/v1/clients/{id}/revocation "
                "and PUT /api/v1/clients/{id}/manager, which keep the history."
            )
        )
    if values.get("name") is None:
        values.pop("name", None)
    if "country" in values:
        values["country"] = values["country"] or ""
    actor = Actor(user=request_user(request), interface=AuditEvent.Interface.API)
    client_update(client=client, values=values, actor=actor)
    return client_out(client)
