"""Reads of the account work, each cut by the access rule.

`account_for(user, external_id)` is the door: it returns the client only if
the person may see it, and whether they may change it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from kam.accounts.models import WalletEstimate
from kam.analytics.client_selectors import category_revenue
from kam.analytics.core.whitespace import Recommendation, recommend
from kam.analytics.models import ClientYearMetric
from kam.clients.access import editable_clients, sees_everything, visible_clients
from kam.clients.models import Client
from kam.planning.models import (
    AccountPlan,
    CompetitorAction,
    Objective,
    Opportunity,
    Stakeholder,
    Task,
)

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Account:
    client: Client
    can_change: bool


def account_for(*, user: Any, external_id: str) -> Account | None:
    client = visible_clients(user).select_related("manager").filter(external_id=external_id).first()
    if client is None:
        return None
    can_change = editable_clients(user).filter(pk=client.pk).exists()
    return Account(client, can_change)


def plans_of(client: Client, year: int | None = None) -> QuerySet[AccountPlan]:
    plans = AccountPlan.objects.filter(client=client).select_related("created_by", "approved_by")
    return plans.filter(year=year) if year is not None else plans


def current_plan(client: Client, year: int) -> AccountPlan | None:
    """The latest approved version, else the latest version."""
    plans = plans_of(client, year)
    return (
        plans.filter(status=AccountPlan.Status.APPROVED).order_by("-version").first()
        or plans.order_by("-version").first()
    )


# --- share of wallet ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WalletShare:
    category: str  # "" = the whole wallet
    year: int
    wallet: Decimal
    ours: Decimal
    share: float | None
    source: str
    confidence: str


def share_of_wallet(*, client: Client, years: Iterable[int]) -> list[WalletShare]:
    """SPEC: our net revenue in a category and year ÷ the estimated wallet; by year for trends."""
    wanted = sorted(set(years))
    estimates = WalletEstimate.objects.filter(client=client, year__in=wanted).order_by(
        "category", "year"
    )
    revenue = dict(
        ClientYearMetric.objects.filter(client=client, year__in=wanted).values_list(
            "year", "revenue_micros"
        )
    )
    by_year = {
        y: category_revenue(year=y, client_ids=[client.pk]).get(client.pk, {}) for y in wanted
    }
    result = []
    for e in estimates:
        if e.category:
            ours = by_year.get(e.year, {}).get(e.category, ZERO)
        else:
            ours = Decimal(revenue.get(e.year, 0)).scaleb(-6)
        share = float(ours / e.amount) if e.amount > 0 else None
        result.append(
            WalletShare(e.category, e.year, e.amount, ours, share, e.source, e.confidence)
        )
    return result


# --- buying centre ------------------------------------------------------------------------


@dataclass
class StakeholderNode:
    person: Stakeholder
    reports: list[StakeholderNode] = field(default_factory=list)


def buying_centre(client: Client) -> tuple[list[StakeholderNode], list[Stakeholder]]:
    """The client's people as a reports-to forest, and the coverage gaps."""
    people = list(Stakeholder.objects.filter(client=client).select_related("owner", "reports_to"))
    nodes = {p.pk: StakeholderNode(p) for p in people}
    roots: list[StakeholderNode] = []
    for p in people:
        parent = nodes.get(p.reports_to_id) if p.reports_to_id else None
        if parent is None or _cycles(p, nodes):
            roots.append(nodes[p.pk])
        else:
            parent.reports.append(nodes[p.pk])
    return roots, [p for p in people if p.is_gap]


def _cycles(person: Stakeholder, nodes: dict[int, StakeholderNode]) -> bool:
    seen = {person.pk}
    current = person.reports_to_id
    while current is not None:
        if current in seen:
            return True
        seen.add(current)
        node = nodes.get(current)
        current = node.person.reports_to_id if node else None
    return False


# --- pipeline -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pipeline:
    open_value: Decimal
    weighted: Decimal  # Σ value × probability of open deals closing this year
    won: Decimal
    gap: Decimal | None  # revenue objective − forecast; None without a revenue objective
    covered: float | None  # weighted pipeline ÷ gap


def pipeline(*, client: Client, year: int, revenue_gap: Decimal | None) -> Pipeline:
    deals = list(Opportunity.objects.filter(client=client, expected_close__year=year))
    open_deals = [d for d in deals if d.stage in Opportunity.OPEN]
    weighted = sum((d.value * d.probability / 100 for d in open_deals), ZERO)
    won = sum((d.value for d in deals if d.stage == Opportunity.Stage.WON), ZERO)
    covered = None
    if revenue_gap is not None and revenue_gap > 0:
        covered = float(weighted / revenue_gap)
    return Pipeline(
        open_value=sum((d.value for d in open_deals), ZERO),
        weighted=weighted.quantize(Decimal("0.01")),
        won=won,
        gap=revenue_gap,
        covered=covered,
    )


# --- competitors across accounts ----------------------------------------------------------


def competitor_actions(*, user: Any, client: Client | None = None) -> QuerySet[CompetitorAction]:
    """The log of competitor actions the person may see: market-wide ones and their accounts'."""
    actions = CompetitorAction.objects.select_related("competitor", "client", "entered_by")
    if client is not None:
        return actions.filter(client=client)
    if sees_everything(user):
        return actions
    return actions.filter(Q(client__isnull=True) | Q(client__in=visible_clients(user)))


# --- tasks and asks -----------------------------------------------------------------------


def tasks_of(client: Client) -> QuerySet[Task]:
    return Task.objects.filter(client=client).select_related("owner", "objective", "requested_by")


def queue_of(user: Any) -> QuerySet[Task]:
    """A person's own open tasks and asks, across accounts, soonest due first."""
    return (
        Task.objects.filter(owner=user, status__in=Task.ACTIVE)
        .select_related("client", "requested_by", "objective")
        .order_by("due_on", "id")
    )


def is_overdue(task: Task, today: dt.date | None = None) -> bool:
    return task.status in Task.ACTIVE and task.due_on < (today or timezone.localdate())


# --- white space --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WhiteSpace:
    categories: list[str]  # every category any key account bought in the year, by name
    rows: list[tuple[Client, dict[str, Decimal]]]  # each visible key account: what it bought
    recommendations: dict[int, list[Recommendation]]  # client pk -> next categories


def white_space(*, user: Any, year: int, neighbours: int = 10, top: int = 3) -> WhiteSpace:
    """Key accounts × categories, and what to offer each next, learned from similar accounts.

    Similar accounts are sought among every client that bought in the year
    (not only key accounts: more examples, better neighbours); names of clients
    the person may not see are not shown.
    """
    everyone = ClientYearMetric.objects.filter(year=year, revenue_micros__gt=0).values_list(
        "client_id", flat=True
    )
    baskets_by_id = category_revenue(year=year, client_ids=list(everyone))
    keys = list(visible_clients(user).filter(is_key_account=True).order_by("name"))
    visible = (
        set(visible_clients(user).values_list("pk", flat=True))
        if not sees_everything(user)
        else None
    )
    labels = dict(Client.objects.filter(pk__in=list(baskets_by_id)).values_list("pk", "name"))
    baskets = {
        pk: {c: float(v) for c, v in cats.items() if c} for pk, cats in baskets_by_id.items()
    }
    recommendations: dict[int, list[Recommendation]] = {}
    for client in keys:
        if client.pk not in baskets:
            continue
        recs = recommend(client.pk, baskets, neighbours=neighbours, top=top)
        recommendations[client.pk] = [
            Recommendation(
                r.category,
                r.strength,
                tuple(
                    (labels.get(int(pk), pk) if visible is None or int(pk) in visible else "—", s)
                    for pk, s in r.because
                ),
            )
            for r in recs
        ]
    rows = [(c, baskets_by_id.get(c.pk, {})) for c in keys]
    categories = sorted({cat for _, cats in rows for cat in cats if cat})
    return WhiteSpace(categories, rows, recommendations)


def objectives_of(client: Client, year: int) -> QuerySet[Objective]:
    return Objective.objects.filter(client=client, year=year)
