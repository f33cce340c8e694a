"""Reads for the clients list, its exports and the client page (from the snapshot only).

Every read starts from `visible_clients(user)`; none scans the ledger and each
runs a fixed number of SQL queries whatever the number of clients.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, F, FilteredRelation, Q, QuerySet, When
from django.db.models.expressions import OrderBy

from kam.analytics.engine_extra import RECENT_INVOICES
from kam.analytics.models import (
    ClientRecentInvoices,
    ClientYearCategories,
    ClientYearMetric,
    ClientYearRank,
    categories_from_json,
    from_micros,
)
from kam.audit.models import AuditEvent
from kam.clients.access import sees_everything, visible_clients
from kam.clients.models import Client
from kam.common.batches import chunks
from kam.people.models import User

SORTS = ("name", "-name", "revenue", "-revenue", "class", "-class", "country", "-country")
DEFAULT_SORT = "-revenue"
SMALL_LIST = 2000  # up to this many clients, sorting them beats walking an index
HISTORY_LIMIT = 100
# Audit values of these fields are prices, costs or margins: hidden without that permission.
_MONEY_FIELD_WORDS = ("price", "cost", "margin", "discount", "rebate", "profit")
_ROW_FIELDS = (
    "pk",
    "external_id",
    "name",
    "country",
    "is_key_account",
    "tier",
    "manager__username",
    "manager__first_name",
    "manager__last_name",
    "m__revenue_micros",
    "m__costed_revenue_micros",
    "m__cost_micros",
    "r__abc_class",
    "r__r_score",
    "r__f_score",
    "r__m_score",
)


@dataclass(frozen=True, slots=True)
class ClientFilters:
    """What the clients list is asked for; every field is optional."""

    year: int | None = None
    search: str = ""
    abc_class: str = ""  # "A", "B", "C", or "-" for no class (no positive revenue)
    country: str = ""
    key_account: bool | None = None
    manager_id: int | None = None
    sort: str = DEFAULT_SORT


@dataclass(frozen=True, slots=True)
class Margin:
    amount: Decimal
    percent: Decimal | None  # None when no line of the year has a known cost


@dataclass(frozen=True, slots=True)
class ClientRow:
    external_id: str
    name: str
    country: str
    is_key_account: bool
    manager: str
    revenue: Decimal | None
    margin: Margin | None
    abc_class: str
    rfm: str
    tier: str = ""


@dataclass(frozen=True, slots=True)
class ClientListPage:
    """One page of the list; rows are `client_rows` values."""

    rows: list[dict[str, Any]]
    count: int
    number: int
    per_page: int

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.count / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def _visible(user: Any) -> QuerySet[Client]:
    """`visible_clients`, as a set of ids the database builds first when it is a part.

    Without it SQLite walks a large index (a class of the year) and tests the
    access rule on every row instead of starting from the user's few clients.
    """
    if sees_everything(user):
        return Client.objects.all()
    return Client.objects.filter(pk__in=visible_clients(user).values("pk"))


def _with_figures(clients: QuerySet[Client], year: int) -> QuerySet[Client]:
    """`m` and `r`: the year's totals and ranks of each client (absent when it bought nothing)."""
    return clients.annotate(
        m=FilteredRelation("year_metrics", condition=Q(year_metrics__year=year)),
        r=FilteredRelation("year_ranks", condition=Q(year_ranks__year=year)),
    )


def _base(user: Any, filters: ClientFilters) -> QuerySet[Client]:
    return _filtered(_with_figures(_visible(user), filters.year or 0), filters)


def client_rows(*, user: Any, filters: ClientFilters) -> QuerySet[Client, dict[str, Any]]:
    """Visible clients, filtered and sorted, each with its year's figures (one query)."""
    rows: QuerySet[Client, dict[str, Any]] = _base(user, filters).values(*_ROW_FIELDS)
    return rows.order_by(*_ordering(filters.sort))


def client_list_page(
    *, user: Any, filters: ClientFilters, number: int, per_page: int
) -> ClientListPage:
    """One page of `client_rows` in two to five queries, whatever the number of clients."""
    base = _base(user, filters)
    count = _count(base, user, filters)
    number = min(max(number, 1), max(1, math.ceil(count / per_page)))
    offset = (number - 1) * per_page
    key = filters.sort.removeprefix("-")
    if key in ("revenue", "class") and count > SMALL_LIST and not filters.search.strip():
        sort = filters.sort
        if key == "revenue" and filters.abc_class in {"A", "B", "C"}:
            # Within a class the Pareto rank is the revenue order: walk the class's index part.
            sort = "class" if sort == "-revenue" else "-class"
        alone = sees_everything(user) and filters in (
            ClientFilters(year=filters.year, sort=filters.sort),
            ClientFilters(year=filters.year, abc_class=filters.abc_class, sort=filters.sort),
        )
        rows = _by_figures(
            base,
            sort,
            offset,
            per_page,
            year=filters.year or 0,
            abc_class=filters.abc_class if alone else None,
        )
    else:
        ordered = base.order_by(*_ordering(filters.sort)).values_list("pk", flat=True)
        rows = _rows_of(ordered, offset, per_page, year=filters.year or 0)
    return ClientListPage(rows=rows, count=count, number=number, per_page=per_page)


def _count(base: QuerySet[Client], user: Any, filters: ClientFilters) -> int:
    """The list's length; a class alone is counted on the ranks' index, without the clients."""
    only_class = filters.abc_class in {"A", "B", "C"} and filters == ClientFilters(
        year=filters.year, abc_class=filters.abc_class, sort=filters.sort
    )
    if only_class and sees_everything(user):
        ranks = ClientYearRank.objects.filter(year=filters.year or 0, abc_class=filters.abc_class)
        return ranks.count()
    return base.count()


def _by_figures(
    base: QuerySet[Client],
    sort: str,
    offset: int,
    size: int,
    *,
    year: int,
    abc_class: str | None = None,
) -> list[dict[str, Any]]:
    """Clients with figures in their index order, then those without, by id.

    Two segments instead of one sort with NULLS LAST, so that the database walks
    the (year, revenue, client) or (year, Pareto rank) index and stops after one
    page. `abc_class` not None says that `base` is every client, filtered at
    most by that class: the head is then read from the figures' index alone.
    """
    key = sort.removeprefix("-")
    alias = "m" if key == "revenue" else "r"
    head = base.filter(**{f"{alias}__id__isnull": False})
    ids: QuerySet[Any, Any] = head.order_by(*_figure_order(sort, f"{alias}__")).values_list(
        "pk", flat=True
    )
    figures: QuerySet[Any, Any] | None = None  # no client column is needed to choose the page
    if alias == "r" and abc_class is not None:
        figures = ClientYearRank.objects.filter(year=year)
        figures = figures.filter(abc_class=abc_class) if abc_class else figures
    elif abc_class == "":
        figures = ClientYearMetric.objects.filter(year=year)
    if figures is not None:
        ids = figures.order_by(*_figure_order(sort, "")).values_list("client_id", flat=True)
    rows = _rows_of(ids, offset, size, year=year)
    if len(rows) == size:
        return rows
    head_count = offset + len(rows) if rows else head.count()
    tail = base.filter(**{f"{alias}__id__isnull": True}).order_by("external_id")
    start = offset + len(rows) - head_count
    return rows + _rows_of(tail.values_list("pk", flat=True), start, size - len(rows), year=year)


def _figure_order(sort: str, prefix: str) -> list[OrderBy | F]:
    """Revenue or Pareto rank, then the client's key (as in `_ordering`)."""
    column = F(
        f"{prefix}revenue_micros" if sort.removeprefix("-") == "revenue" else f"{prefix}pareto_rank"
    )
    return [column.desc() if sort.startswith("-") else column.asc(), F(f"{prefix}client_id")]


def _rows_of(
    ordered: QuerySet[Any, Any], offset: int, size: int, *, year: int
) -> list[dict[str, Any]]:
    """A slice of client ids `ordered` as display values: the ids first, then their rows.

    Skipping `offset` rows then costs an index walk, not `offset` joins.
    """
    ids = list(ordered[offset : offset + size])
    if not ids:
        return []
    # The ids passed the access rule and the filters: the rows are fetched by key alone.
    page = _with_figures(Client.objects.filter(pk__in=ids), year).values(*_ROW_FIELDS)
    rows = {row["pk"]: row for row in page}
    return [rows[pk] for pk in ids]


def _filtered(clients: QuerySet[Client], filters: ClientFilters) -> QuerySet[Client]:
    if text := filters.search.strip():
        clients = clients.filter(Q(external_id__icontains=text) | Q(name__icontains=text))
    if filters.abc_class == "-":
        clients = clients.filter(Q(r__abc_class__isnull=True))
    elif filters.abc_class:
        clients = clients.filter(Q(r__abc_class=filters.abc_class))
    if filters.country:
        clients = clients.filter(country=filters.country)
    if filters.key_account is not None:
        clients = clients.filter(is_key_account=filters.key_account)
    if filters.manager_id is not None:
        clients = clients.filter(manager_id=filters.manager_id)
    return clients


def _ordering(sort: str) -> list[Any]:
    """The chosen order, then a tie-break so that equal keys keep a stable order.

    Class order is the Pareto order (A first, largest first). Equal revenues
    follow the client's key, as in the (year, revenue, client) index that
    `_by_figures` walks; other ties, and the clients without figures (last),
    follow the client id.
    """
    descending = sort.startswith("-")
    key = sort.removeprefix("-")
    expression = {
        "name": F("name"),
        "revenue": F("m__revenue_micros"),
        "class": F("r__pareto_rank"),
        "country": F("country"),
    }.get(key, F("m__revenue_micros"))
    ordered = expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
    if key in ("name", "class", "country"):
        return [ordered, "external_id"]
    without_figures = Case(When(m__revenue_micros__isnull=True, then=F("external_id")))
    return [ordered, without_figures, "pk"]


def client_row(values: dict[str, Any], *, with_margin: bool) -> ClientRow:
    """One row of `client_rows` as display values."""
    revenue = values["m__revenue_micros"]
    manager = " ".join(
        filter(None, (values["manager__first_name"], values["manager__last_name"]))
    ) or (values["manager__username"] or "")
    scores = (values["r__r_score"], values["r__f_score"], values["r__m_score"])
    return ClientRow(
        external_id=values["external_id"],
        name=values["name"],
        country=values["country"],
        is_key_account=values["is_key_account"],
        manager=manager,
        revenue=None if revenue is None else from_micros(revenue),
        margin=_margin(values["m__costed_revenue_micros"], values["m__cost_micros"])
        if with_margin
        else None,
        abc_class=values["r__abc_class"] or "",
        rfm="".join(str(s) for s in scores) if scores[0] is not None else "",
        tier=values.get("tier") or "",
    )


def iter_client_rows(
    *, user: Any, filters: ClientFilters, with_margin: bool
) -> Iterator[ClientRow]:
    """Every row of the filtered list, streamed (for exports)."""
    for values in client_rows(user=user, filters=filters).iterator(chunk_size=2000):
        yield client_row(values, with_margin=with_margin)


def _margin(costed_micros: int | None, cost_micros: int | None) -> Margin | None:
    """SPEC gross margin over the lines whose cost is known."""
    if not costed_micros:  # no line with a known cost: the margin is unknown, not zero
        return None
    amount = from_micros(costed_micros - (cost_micros or 0))
    costed = from_micros(costed_micros)
    return Margin(amount=amount, percent=amount / costed if costed else None)


def client_countries(*, user: Any) -> list[str]:
    """The countries of the visible clients, for the filter."""
    rows = _visible(user).exclude(country="").order_by("country")
    return list(rows.values_list("country", flat=True).distinct())


def client_managers(*, user: Any) -> list[User]:
    """The people who manage at least one visible client, for the filter."""
    managed = _visible(user).exclude(manager=None).values("manager_id")
    return list(User.objects.filter(pk__in=managed).order_by("username"))


@dataclass(frozen=True, slots=True)
class ClientYear:
    year: int
    revenue: Decimal
    margin: Margin | None
    invoices: int
    lines: int
    abc_class: str
    rank: ClientYearRank | None


@dataclass(frozen=True, slots=True)
class CategoryBought:
    category: str
    revenue: Decimal | None  # in the latest year; None when not bought then
    lines: int
    previous: Decimal | None  # in the year before


@dataclass(frozen=True, slots=True)
class InvoiceSummary:
    invoice: str
    invoiced_on: dt.date
    lines: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class HistoryRow:
    event: AuditEvent
    old_value: str
    new_value: str


@dataclass(frozen=True, slots=True)
class ClientPage:
    client: Client
    years: list[ClientYear]  # newest first
    categories: list[CategoryBought]
    category_years: tuple[int, int]
    invoices: list[InvoiceSummary]
    history: list[HistoryRow] = field(default_factory=list)


def client_page(
    *, user: Any, external_id: str, latest_year: int | None, with_margin: bool
) -> ClientPage | None:
    """Everything the client page shows, or None when `user` may not see the client."""
    client = visible_clients(user).select_related("manager").filter(external_id=external_id).first()
    if client is None:
        return None
    latest = latest_year or 0
    return ClientPage(
        client=client,
        years=_client_years(client, with_margin=with_margin),
        categories=_categories(client, latest),
        category_years=(latest, latest - 1),
        invoices=[
            InvoiceSummary(i.invoice, i.invoiced_on, i.lines, i.amount)
            for recent in ClientRecentInvoices.objects.filter(client=client)
            for i in recent.listed()[:RECENT_INVOICES]
        ],
        history=_history(client, with_margin=with_margin),
    )


def _history(client: Client, *, with_margin: bool) -> list[HistoryRow]:
    """The client's audit trail, newest first; money values only with the margin permission."""
    rows = []
    for event in AuditEvent.objects.filter(client_id=client.pk)[:HISTORY_LIMIT]:
        hidden = not with_margin and any(w in event.field.lower() for w in _MONEY_FIELD_WORDS)
        masked = "•••" if hidden else None
        rows.append(HistoryRow(event, masked or event.old_value, masked or event.new_value))
    return rows


def _client_years(client: Client, *, with_margin: bool) -> list[ClientYear]:
    ranks = {r.year: r for r in ClientYearRank.objects.filter(client=client)}
    metrics = ClientYearMetric.objects.filter(client=client).order_by("-year")
    return [
        ClientYear(
            year=m.year,
            revenue=m.revenue_amount,
            margin=_margin(m.costed_revenue_micros, m.cost_micros) if with_margin else None,
            invoices=m.invoices,
            lines=m.lines,
            abc_class=ranks[m.year].abc_class if m.year in ranks else "",
            rank=ranks.get(m.year),
        )
        for m in metrics
    ]


def _categories(client: Client, latest: int) -> list[CategoryBought]:
    """Categories bought in the latest year or the one before, largest first."""
    rows = ClientYearCategories.objects.filter(client=client, year__in=(latest, latest - 1))
    now: dict[str, tuple[Decimal, int]] = {}
    before: dict[str, Decimal] = {}
    for row in rows:
        for category, (micros, lines) in row.by_category().items():
            if row.year == latest:
                now[category] = (from_micros(micros), lines)
            else:
                before[category] = from_micros(micros)
    bought = [
        CategoryBought(
            category=c,
            revenue=now[c][0] if c in now else None,
            lines=now[c][1] if c in now else 0,
            previous=before.get(c),
        )
        for c in set(now) | set(before)
    ]
    zero = Decimal(0)
    bought.sort(key=lambda b: b.category)
    bought.sort(key=lambda b: (b.revenue or zero, b.previous or zero), reverse=True)
    return bought


def category_revenue(*, year: int, client_ids: Iterable[int]) -> dict[int, dict[str, Decimal]]:
    """Net revenue per client and product category in `year` ("" when the ledger has none).

    Callers filter `client_ids` through the access rule first.
    """
    wanted = list(client_ids)
    result: dict[int, dict[str, Decimal]] = {}
    for chunk in chunks(wanted):
        rows = ClientYearCategories.objects.filter(year=year, client_id__in=chunk).values_list(
            "client_id", "totals"
        )
        for client_id, totals in rows:
            result[client_id] = {
                category: from_micros(micros)
                for category, (micros, _) in categories_from_json(totals).items()
            }
    return result
