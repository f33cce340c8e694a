"""Reads of the key-account programme: scored candidates, the matrix, histories.

Scores are computed over the whole population of a year (every client with
net revenue > 0), so a client scores the same whoever looks; what a person is
shown is then cut to the clients they may see. The population's numbers are
memoised per (year, model, snapshot, entered inputs): a page view after the
first costs a filter and a sort, not a recomputation.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from kam.accounts.models import (
    Designation,
    ManagerAssignment,
    Notification,
    PartnershipIntent,
    PositionRating,
    RelationshipStage,
    ScoringModel,
    WalletEstimate,
)
from kam.accounts.services import scoring_model_default
from kam.analytics.client_selectors import category_revenue
from kam.analytics.core.portfolio import Quadrant, Thresholds, quadrant_of, strength_of
from kam.analytics.core.scoring import (
    RawCriteria,
    Score,
    growth_of,
    normalise,
    scores,
)
from kam.analytics.models import ClientYearMetric, ClientYearRank, SnapshotState, from_micros
from kam.clients.access import can_see_margins, sees_everything, visible_clients
from kam.clients.models import AccountTeamMember, Client
from kam.common.batches import chunks
from kam.common.periods import Period


@dataclass(frozen=True, slots=True)
class Figures:
    """One client's inputs, criteria and score in one year (the same for every viewer)."""

    client_id: int
    revenue: Decimal
    previous_revenue: Decimal | None
    growth: float | None
    margin: Decimal | None
    margin_percent: float | None
    discount: float | None
    partnership: int | None
    position: int | None
    wallet: Decimal | None
    potential: Decimal | None
    share_of_wallet: float | None
    abc_class: str
    criteria: dict[str, float | None]
    score: Score
    strength: float | None
    quadrant: Quadrant | None
    rank: int = 0  # 1 = highest score; unscored clients come last


@dataclass(frozen=True, slots=True)
class Scores:
    year: int
    model: ScoringModel
    thresholds: Thresholds
    by_client: dict[int, Figures]
    order: tuple[int, ...]  # client ids by score, best first


@dataclass(frozen=True, slots=True)
class Candidate:
    """A scored client as one person sees it."""

    client: Client
    figures: Figures
    previous: Figures | None = None

    @property
    def moved(self) -> bool:
        return (
            self.previous is not None
            and self.previous.quadrant is not None
            and self.figures.quadrant is not None
            and self.previous.quadrant != self.figures.quadrant
        )


@dataclass(frozen=True, slots=True)
class CandidateFilters:
    query: str = ""
    abc_class: str = ""
    status: str = ""  # "key", "candidate" (not a key account), "" all
    country: str = ""
    manager_id: int | None = None
    quadrant: str = ""
    missing: str = ""  # a criterion that must be missing
    sort: str = "score"


_CACHE: OrderedDict[tuple[Any, ...], Scores] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 8


def _inputs_version() -> tuple[Any, ...]:
    """Changes whenever a figure the scores rest on changes (one query)."""
    snapshot = SnapshotState._meta.db_table
    tables = [m._meta.db_table for m in (PartnershipIntent, PositionRating)]
    wallets = WalletEstimate._meta.db_table
    sql = (
        f"SELECT (SELECT refreshed_at FROM {snapshot} WHERE id = 1), "
        + ", ".join(f"(SELECT count(*) FROM {t}), (SELECT max(id) FROM {t})" for t in tables)
        + f", (SELECT count(*) FROM {wallets}), (SELECT max(updated_at) FROM {wallets})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return tuple(row or ())


def scores_inputs_version() -> tuple[Any, ...]:
    """What the memoised scores are keyed on; pass it to `scores_of` for several years."""
    return _inputs_version()


def scores_cache_clear() -> None:
    """Forget the memoised scores (tests; a settings change in a running process)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def scores_of(
    *, year: int, model: ScoringModel | None = None, version: tuple[Any, ...] | None = None
) -> Scores:
    """Every client of `year`'s population, scored with `model` (the default when None).

    `version` (from `_inputs_version`) may be passed when several years are read at once.
    """
    model = model or scoring_model_default()
    key = (year, model.pk, model.updated_at, *(version or _inputs_version()))
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    result = _compute(year, model)
    with _CACHE_LOCK:
        _CACHE[key] = result
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


def _latest_ratings(model: type[PartnershipIntent | PositionRating], year: int) -> dict[int, int]:
    """Each client's latest rating dated on or before the year's end."""
    end = Period.year(year).end
    rows = (
        model.objects.filter(noted_on__lt=end)
        .order_by("client_id", "noted_on", "id")
        .values_list("client_id", "rating")
    )
    return dict(rows.iterator(5000))


def _wallets(
    year: int, revenues: dict[int, Decimal]
) -> dict[int, tuple[Decimal, Decimal, float | None]]:
    """Per client with an estimate: (wallet, potential, share of wallet).

    A whole-wallet estimate (blank category) wins; otherwise the estimated
    categories are summed and compared with our revenue in those categories.
    """
    whole: dict[int, Decimal] = {}
    by_category: dict[int, dict[str, Decimal]] = {}
    for client_id, category, amount in WalletEstimate.objects.filter(year=year).values_list(
        "client_id", "category", "amount"
    ):
        if category:
            by_category.setdefault(client_id, {})[category] = Decimal(amount)
        else:
            whole[client_id] = Decimal(amount)
    bought = category_revenue(year=year, client_ids=set(by_category) - set(whole))
    result: dict[int, tuple[Decimal, Decimal, float | None]] = {}
    for client_id, wallet in whole.items():
        ours = revenues.get(client_id, Decimal(0))
        result[client_id] = _wallet_figures(wallet, ours)
    for client_id, categories in by_category.items():
        if client_id in whole:
            continue
        ours_by_category = bought.get(client_id, {})
        wallet = sum(categories.values(), Decimal(0))
        ours = sum((ours_by_category.get(c, Decimal(0)) for c in categories), Decimal(0))
        potential = sum(
            (
                max(w - ours_by_category.get(c, Decimal(0)), Decimal(0))
                for c, w in categories.items()
            ),
            Decimal(0),
        )
        share = float(ours / wallet) if wallet > 0 else None
        result[client_id] = (wallet, potential, share)
    return result


def _wallet_figures(wallet: Decimal, ours: Decimal) -> tuple[Decimal, Decimal, float | None]:
    share = float(ours / wallet) if wallet > 0 else None
    return wallet, max(wallet - ours, Decimal(0)), share


def _compute(year: int, model: ScoringModel) -> Scores:
    metrics = list(
        ClientYearMetric.objects.filter(year=year, revenue_micros__gt=0).values_list(
            "client_id",
            "revenue_micros",
            "costed_revenue_micros",
            "cost_micros",
            "priced_revenue_micros",
            "reference_micros",
        )
    )
    previous = dict(
        ClientYearMetric.objects.filter(year=year - 1).values_list("client_id", "revenue_micros")
    )
    classes = dict(ClientYearRank.objects.filter(year=year).values_list("client_id", "abc_class"))
    intents = _latest_ratings(PartnershipIntent, year)
    positions = _latest_ratings(PositionRating, year)
    revenues = {m[0]: from_micros(m[1]) for m in metrics}
    wallets = _wallets(year, revenues)
    raw: dict[int, RawCriteria] = {}
    for client_id, _revenue_m, costed_m, cost_m, paid_m, reference_m in metrics:
        revenue = revenues[client_id]
        margin = margin_pct = None
        if costed_m:
            margin = from_micros(costed_m - cost_m)
            margin_pct = float(margin / from_micros(costed_m)) if costed_m > 0 else None
        prev = from_micros(previous[client_id]) if client_id in previous else None
        raw[client_id] = RawCriteria(
            revenue=revenue,
            previous_revenue=prev,
            margin=margin if margin_pct is not None else None,
            margin_percent=margin_pct,
            discount=1 - paid_m / reference_m if reference_m > 0 else None,
            partnership=intents.get(client_id),
            potential=wallets[client_id][1] if client_id in wallets else None,
        )
    criteria = normalise(raw)
    scored = scores(criteria, model.weights)
    thresholds = Thresholds(model.attractiveness_threshold, model.strength_threshold)
    order = sorted(
        raw,
        key=lambda c: (
            scored[c].total is None,
            -(scored[c].total or 0.0),
            -raw[c].revenue,
            c,
        ),
    )
    figures: dict[int, Figures] = {}
    for rank, client_id in enumerate(order, start=1):
        r, s = raw[client_id], scored[client_id]
        wallet = wallets.get(client_id)
        share = wallet[2] if wallet else None
        strength = strength_of(share, positions.get(client_id))
        figures[client_id] = Figures(
            client_id=client_id,
            revenue=r.revenue,
            previous_revenue=r.previous_revenue,
            growth=growth_of(r.revenue, r.previous_revenue),
            margin=r.margin,
            margin_percent=r.margin_percent,
            discount=r.discount,
            partnership=r.partnership,
            position=positions.get(client_id),
            wallet=wallet[0] if wallet else None,
            potential=r.potential,
            share_of_wallet=share,
            abc_class=classes.get(client_id, ""),
            criteria=criteria[client_id],
            score=s,
            strength=strength,
            quadrant=None
            if s.total is None or strength is None
            else quadrant_of(s.total, strength, thresholds),
            rank=rank,
        )
    return Scores(year, model, thresholds, figures, tuple(order))


def scoring_years() -> list[int]:
    """The years the snapshot holds, newest first."""
    return list(
        ClientYearMetric.objects.order_by("-year").values_list("year", flat=True).distinct()
    )


def scoring_models() -> list[ScoringModel]:
    scoring_model_default()
    return list(ScoringModel.objects.all())


def scoring_model_get(pk: int | str | None) -> ScoringModel:
    """The model named by `pk` (id or name), else the default."""
    if pk not in (None, ""):
        found = (
            ScoringModel.objects.filter(pk=int(pk)).first()
            if str(pk).isdigit()
            else ScoringModel.objects.filter(name=str(pk)).first()
        )
        if found is not None:
            return found
    return scoring_model_default()


def _visible_ids(user: Any) -> set[int] | None:
    """None when the person sees every client."""
    if sees_everything(user):
        return None
    return set(visible_clients(user).values_list("pk", flat=True))


_SORTS = {
    "score": lambda c: c.figures.rank,
    "revenue": lambda c: (-c.figures.revenue, c.figures.rank),
    "growth": lambda c: (c.figures.growth is None, -(c.figures.growth or 0), c.figures.rank),
    "name": lambda c: (c.client.name.casefold(), c.client.external_id),
}


def candidates(
    *,
    user: Any,
    year: int,
    model: ScoringModel | None = None,
    filters: CandidateFilters | None = None,
    with_previous: bool = False,
) -> tuple[Scores, list[Candidate]]:
    """The scored clients `user` may see, filtered and sorted."""
    filters = filters or CandidateFilters()
    version = _inputs_version()
    scores = scores_of(year=year, model=model, version=version)
    previous = (
        scores_of(year=year - 1, model=scores.model, version=version) if with_previous else None
    )
    allowed = _visible_ids(user)
    ids = [c for c in scores.order if allowed is None or c in allowed]
    clients = _clients(ids, filters)
    result: list[Candidate] = []
    for client_id in ids:
        client = clients.get(client_id)
        if client is None:
            continue
        f = scores.by_client[client_id]
        if filters.abc_class and f.abc_class != filters.abc_class:
            continue
        if filters.quadrant and (f.quadrant is None or f.quadrant.value != filters.quadrant):
            continue
        if filters.missing and filters.missing not in f.score.missing:
            continue
        prev = previous.by_client.get(client_id) if previous else None
        result.append(Candidate(client, f, prev))
    result.sort(key=_SORTS.get(filters.sort, _SORTS["score"]))
    return scores, result


def _clients(ids: list[int], filters: CandidateFilters) -> dict[int, Client]:
    """The clients among `ids` that pass the filters kept in the operational store."""
    qs: QuerySet[Client] = Client.objects.select_related("manager")
    if filters.status == "key":
        qs = qs.filter(is_key_account=True)
    elif filters.status == "candidate":
        qs = qs.filter(is_key_account=False)
    if filters.country:
        qs = qs.filter(country=filters.country)
    if filters.manager_id is not None:
        qs = qs.filter(manager_id=filters.manager_id)
    if filters.query:
        qs = qs.filter(Q(name__icontains=filters.query) | Q(external_id__icontains=filters.query))
    wanted = set(ids)
    narrowed = filters != CandidateFilters(sort=filters.sort)
    if not narrowed and len(wanted) > 2000:
        return {c.pk: c for c in qs.iterator(5000) if c.pk in wanted}
    found: dict[int, Client] = {}
    for chunk in chunks(list(wanted)):
        found.update({c.pk: c for c in qs.filter(pk__in=chunk)})
    return found


def candidate_of(
    *, user: Any, client: Client, year: int, model: ScoringModel | None = None
) -> Candidate | None:
    """One client's scored figures, if `user` may see the client and it has revenue in `year`."""
    if not visible_clients(user).filter(pk=client.pk).exists():
        return None
    version = _inputs_version()
    scores = scores_of(year=year, model=model, version=version)
    figures = scores.by_client.get(client.pk)
    if figures is None:
        return None
    previous = scores_of(year=year - 1, model=scores.model, version=version).by_client.get(
        client.pk
    )
    return Candidate(client, figures, previous)


@dataclass(frozen=True, slots=True)
class AccountHistory:
    designations: list[Designation] = field(default_factory=list)
    assignments: list[ManagerAssignment] = field(default_factory=list)
    stages: list[RelationshipStage] = field(default_factory=list)
    intents: list[PartnershipIntent] = field(default_factory=list)
    positions: list[PositionRating] = field(default_factory=list)
    wallets: list[WalletEstimate] = field(default_factory=list)
    team: list[AccountTeamMember] = field(default_factory=list)


def account_history(*, user: Any, client: Client) -> AccountHistory | None:
    """Everything decided and entered about one client, newest first; None if not visible."""
    if not visible_clients(user).filter(pk=client.pk).exists():
        return None
    return AccountHistory(
        designations=list(client.designations.select_related("decided_by")),
        assignments=list(
            client.manager_changes.select_related("manager", "previous", "assigned_by")
        ),
        stages=list(client.stages.select_related("entered_by")),
        intents=list(PartnershipIntent.objects.filter(client=client).select_related("entered_by")),
        positions=list(PositionRating.objects.filter(client=client).select_related("entered_by")),
        wallets=list(client.wallet_estimates.select_related("entered_by"))
        if can_see_margins(user)
        else [],
        team=list(
            AccountTeamMember.objects.filter(client=client)
            .select_related("user")
            .order_by("function", "user__username")
        ),
    )


def current_stage(client: Client) -> RelationshipStage | None:
    return client.stages.first()


def notifications_of(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    """A person's notifications (only about clients they may still see), newest first."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    qs = Notification.objects.filter(recipient=user).select_related("client")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if not sees_everything(user):
        qs = qs.filter(client__in=visible_clients(user))
    return qs


def unread_count(user: Any) -> int:
    return notifications_of(user=user, unread_only=True).count()
