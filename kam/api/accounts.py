"""Choosing and organising key accounts through the API (SPEC parts 2 and 3).

Reads go through the access rule (kam.clients.access): a client the person may
not see is 404, as if it did not exist. Writes go through
kam.accounts.services, which decide who may act (403 `forbidden`), check the
input (400 `invalid_input`), audit with the interface `api` and notify.
Raw margin and wallet figures are only for people who may see margins.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kam.accounts import selectors, services
from kam.accounts.exports import matrix_json, selection_json
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
from kam.accounts.organisation import Person, TeamNode, org_chart
from kam.api.auth import request_user
from kam.api.errors import ErrorDetail, ErrorOut
from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.clients.access import can_see_margins, editable_clients, visible_clients
from kam.clients.models import AccountTeamMember, Client
from kam.common.errors import DomainError
from kam.common.money import money_str
from kam.people.models import User

router = Router(tags=["key accounts"])
READ: dict[int, type[Schema]] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE: dict[int, type[Schema]] = {**READ, 403: ErrorOut}
CLIENT = "/clients/{path:external_id}"


class NoFiguresError(DomainError):
    code = "no_figures"


def _actor(request: HttpRequest) -> Actor:
    return Actor(user=request_user(request), interface=AuditEvent.Interface.API)


def _visible(request: HttpRequest, external_id: str) -> Client:
    found = (
        visible_clients(request.user)
        .select_related("manager")
        .filter(external_id=external_id)
        .first()
    )
    if found is None:  # unknown or not visible: the same answer, so nothing leaks
        raise Http404
    return found


def _user(username: str | None, label: str) -> User | None:
    if not username:
        return None
    found = User.objects.filter(username=username).first()
    if found is None:
        raise services.AccountsError(
            _("%(field)s: no user named %(name)s.") % {"field": label, "name": repr(username)}
        )
    return found


def _username(user: User | None) -> str | None:
    return user.username if user is not None else None


# --- the ranked candidates and the matrix -----------------------------------------------


class SelectionQuery(Schema):
    year: int | None = Field(None, ge=1900, le=2999, description="default: the latest year")
    model: str = Field("", max_length=80, description="a scoring model's id or name")
    status: Literal["", "key", "candidate"] = Field("", description="key accounts or not")
    abc: Literal["", "A", "B", "C"] = ""
    quadrant: Literal["", "strategic", "star", "status", "streamline"] = ""
    search: str = Field("", max_length=100, description="part of the name or client id")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=10_000_000)


class MatrixQuery(Schema):
    year: int | None = Field(None, ge=1900, le=2999, description="default: the latest year")
    model: str = Field("", max_length=80, description="a scoring model's id or name")


class ThresholdsOut(Schema):
    attractiveness: float
    strength: float


class ModelOut(Schema):
    name: str
    weights: dict[str, float]
    thresholds: ThresholdsOut


class InputsOut(Schema):
    revenue: str
    previous_revenue: str | None
    growth: float | None
    margin: str | None = Field(description="only for roles that may see margins")
    margin_percent: float | None = Field(description="only for roles that may see margins")
    discount: float | None
    partnership: int | None
    position: int | None
    wallet: str | None = Field(description="only for roles that may see margins")
    potential: str | None = Field(description="only for roles that may see margins")
    share_of_wallet: float | None = Field(description="only for roles that may see margins")
    strength: float | None


class CandidateOut(Schema):
    rank: int
    client: str
    name: str
    score: float | None
    coverage: float
    criteria: dict[str, float | None]
    contributions: dict[str, float]
    missing: list[str]
    inputs: InputsOut
    abc: str | None = Field(description="A, B or C; null outside the classes")
    quadrant: str | None
    key_account: bool
    tier: str | None = Field(description="1, 2 or 3 for a key account, else null")
    manager: str | None


class SelectionOut(Schema):
    year: int
    model: ModelOut
    clients: int = Field(description="how many candidates match, over every page")
    candidates: list[CandidateOut]


class PlaceOut(Schema):
    attractiveness: float
    strength: float
    quadrant: str


class PointOut(PlaceOut):
    client: str
    name: str
    revenue: str
    key_account: bool
    previous: PlaceOut | None = Field(description="the place a year before, if it had one")


class UnplacedOut(Schema):
    client: str
    name: str
    score: float | None
    missing_strength: bool


class MatrixOut(Schema):
    year: int
    model: ModelOut
    points: list[PointOut]
    unplaced: list[UnplacedOut]


def _year(year: int | None) -> int:
    if year is not None:
        return year
    years = selectors.scoring_years()
    if not years:
        raise NoFiguresError(_("No figures yet: import a ledger first."))
    return years[0]


def _model(value: str) -> ScoringModel:
    value = value.strip()
    if not value:
        return services.scoring_model_default()
    found = (
        ScoringModel.objects.filter(pk=int(value)).first()
        if value.isdigit()
        else ScoringModel.objects.filter(name=value).first()
    )
    if found is None:
        raise services.AccountsError(_("No scoring model %(name)s.") % {"name": repr(value)})
    return found


@router.get("/selection", response={200: SelectionOut, **READ}, summary="Ranked candidates")
def selection_list(request: HttpRequest, query: Query[SelectionQuery]) -> dict[str, Any]:
    """The clients you may see, ranked by score with their criteria — the JSON of
    `kam select --format json`. Margin and wallet inputs are null for roles that
    may not see margins."""
    filters = selectors.CandidateFilters(
        query=query.search.strip(),
        abc_class=query.abc,
        status=query.status,
        quadrant=query.quadrant,
    )
    scores, found = selectors.candidates(
        user=request.user, year=_year(query.year), model=_model(query.model), filters=filters
    )
    return selection_json(
        scores,
        found,
        with_margin=can_see_margins(request.user),
        offset=query.offset,
        limit=query.limit,
    )


@router.get("/selection/matrix", response={200: MatrixOut, **READ}, summary="Portfolio matrix")
def selection_matrix(request: HttpRequest, query: Query[MatrixQuery]) -> dict[str, Any]:
    """Attractiveness (the score) against our strength for the clients you may see, with
    each one's place a year before; clients without a score or strength are unplaced."""
    scores, found = selectors.candidates(
        user=request.user, year=_year(query.year), model=_model(query.model), with_previous=True
    )
    return matrix_json(scores, found)


# --- scoring models ---------------------------------------------------------------------


class ScoringModelIn(Schema):
    name: str = Field(..., min_length=1, max_length=80)
    weights: dict[str, float] = Field(..., description="criterion -> weight (normalised)")
    attractiveness_threshold: float = 50.0
    strength_threshold: float = 50.0
    description: str = Field("", max_length=255)
    is_default: bool = False


class ScoringModelOut(Schema):
    id: int
    name: str
    description: str
    weights: dict[str, float]
    attractiveness_threshold: float
    strength_threshold: float
    is_default: bool
    updated_at: dt.datetime


def _model_out(model: ScoringModel) -> dict[str, Any]:
    return {
        "id": model.pk,
        "name": model.name,
        "description": model.description,
        "weights": {str(k): float(v) for k, v in model.weights.items()},
        "attractiveness_threshold": model.attractiveness_threshold,
        "strength_threshold": model.strength_threshold,
        "is_default": model.is_default,
        "updated_at": model.updated_at,
    }


def _model_of(model_id: int) -> ScoringModel:
    found = ScoringModel.objects.filter(pk=model_id).first()
    if found is None:
        raise Http404
    return found


@router.get("/scoring-models", response={200: list[ScoringModelOut], **READ})
def scoring_models_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The named scoring models, the default first."""
    return [_model_out(m) for m in selectors.scoring_models()]


@router.post("/scoring-models", response={201: ScoringModelOut, **WRITE})
def scoring_model_create(request: HttpRequest, payload: ScoringModelIn) -> Status[Any]:
    """A new scoring model (directors and administrators)."""
    model = services.scoring_model_save(actor=_actor(request), **payload.dict())
    return Status(201, _model_out(model))


@router.get("/scoring-models/{int:model_id}", response={200: ScoringModelOut, **READ})
def scoring_model_get(request: HttpRequest, model_id: int) -> dict[str, Any]:
    """One scoring model."""
    return _model_out(_model_of(model_id))


@router.put("/scoring-models/{int:model_id}", response={200: ScoringModelOut, **WRITE})
def scoring_model_update(
    request: HttpRequest, model_id: int, payload: ScoringModelIn
) -> dict[str, Any]:
    """Change a scoring model's name, weights, thresholds or description, or make it
    the default (directors and administrators)."""
    model = _model_of(model_id)
    saved = services.scoring_model_save(actor=_actor(request), model=model, **payload.dict())
    return _model_out(saved)


@router.delete("/scoring-models/{int:model_id}", response={204: None, **WRITE})
def scoring_model_delete(request: HttpRequest, model_id: int) -> Status[None]:
    """Delete a scoring model other than the default (directors and administrators)."""
    services.scoring_model_delete(actor=_actor(request), model=_model_of(model_id))
    return Status(204, None)


# --- designation and the manager --------------------------------------------------------


class DesignationIn(Schema):
    tier: str = Field(..., max_length=8, description='"1", "2" or "3"')
    reason: str = Field(..., max_length=5000)
    manager: str | None = Field(None, max_length=150, description="user name of the manager")
    handover_note: str = Field("", max_length=5000)


class RevocationIn(Schema):
    reason: str = Field(..., max_length=5000)


class ManagerIn(Schema):
    manager: str | None = Field(..., max_length=150, description="a user name, or null")
    handover_note: str = Field("", max_length=5000)


class DesignationOut(Schema):
    id: int
    action: str = Field(description="designate, retier or revoke")
    tier: str
    reason: str
    decided_by: str | None
    decided_at: dt.datetime


class ManagerChangeOut(Schema):
    id: int
    manager: str | None
    previous: str | None
    handover_note: str
    assigned_by: str | None
    assigned_at: dt.datetime


class KeyAccountOut(Schema):
    client: str
    is_key_account: bool
    tier: str
    manager: str | None


class DecisionOut(KeyAccountOut):
    designation: DesignationOut


class ManagerOut(KeyAccountOut):
    assignment: ManagerChangeOut


def _designation_out(d: Designation) -> dict[str, Any]:
    return {
        "id": d.pk,
        "action": d.action,
        "tier": d.tier,
        "reason": d.reason,
        "decided_by": _username(d.decided_by),
        "decided_at": d.decided_at,
    }


def _assignment_out(a: ManagerAssignment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "manager": _username(a.manager),
        "previous": _username(a.previous),
        "handover_note": a.handover_note,
        "assigned_by": _username(a.assigned_by),
        "assigned_at": a.assigned_at,
    }


def _key_account_out(client: Client) -> dict[str, Any]:
    client.refresh_from_db()
    return {
        "client": client.external_id,
        "is_key_account": client.is_key_account,
        "tier": client.tier,
        "manager": _username(client.manager),
    }


@router.post(f"{CLIENT}/designation", response={201: DecisionOut, **WRITE})
def designation_create(
    request: HttpRequest, external_id: str, payload: DesignationIn
) -> Status[Any]:
    """Make the client a key account of a tier, or change its tier, with the reason;
    optionally assign its manager (directors and administrators). The manager is
    notified."""
    client = _visible(request, external_id)
    manager = _user(payload.manager, _("Manager"))
    designation = services.key_account_designate(
        actor=_actor(request),
        client=client,
        tier=payload.tier,
        reason=payload.reason,
        manager=manager,
        handover_note=payload.handover_note,
    )
    return Status(201, {**_key_account_out(client), "designation": _designation_out(designation)})


@router.post(f"{CLIENT}/revocation", response={201: DecisionOut, **WRITE})
def revocation_create(request: HttpRequest, external_id: str, payload: RevocationIn) -> Status[Any]:
    """End the client's key-account status, with the reason (directors and
    administrators); its manager and account team stay on record."""
    client = _visible(request, external_id)
    designation = services.key_account_revoke(
        actor=_actor(request), client=client, reason=payload.reason
    )
    return Status(201, {**_key_account_out(client), "designation": _designation_out(designation)})


@router.get(f"{CLIENT}/designations", response={200: list[DesignationOut], **READ})
def designations_list(request: HttpRequest, external_id: str) -> list[dict[str, Any]]:
    """Every designation, change of tier and revocation of the client, newest first."""
    client = _visible(request, external_id)
    return [_designation_out(d) for d in client.designations.select_related("decided_by")]


@router.put(f"{CLIENT}/manager", response={200: ManagerOut, **WRITE})
def manager_set(request: HttpRequest, external_id: str, payload: ManagerIn) -> dict[str, Any]:
    """Give the client its key-account manager (a user name, or null for nobody), with
    a hand-over note (required when a key account changes hands). Directors and
    administrators; the new and the previous manager are notified."""
    client = _visible(request, external_id)
    manager = _user(payload.manager, _("Manager"))
    assignment = services.manager_assign(
        actor=_actor(request), client=client, manager=manager, handover_note=payload.handover_note
    )
    return {**_key_account_out(client), "assignment": _assignment_out(assignment)}


@router.get(f"{CLIENT}/manager-history", response={200: list[ManagerChangeOut], **READ})
def manager_history(request: HttpRequest, external_id: str) -> list[dict[str, Any]]:
    """Every change of the client's manager with its hand-over note, newest first."""
    client = _visible(request, external_id)
    changes = client.manager_changes.select_related("manager", "previous", "assigned_by")
    return [_assignment_out(a) for a in changes]


# --- the account team -------------------------------------------------------------------


class TeamMemberIn(Schema):
    user: str = Field(..., max_length=150, description="user name")
    function: str = Field(
        ..., max_length=16, description="sales, rnd, production, service, logistics, finance..."
    )
    role_on_account: str = Field("", max_length=120)


class TeamMemberOut(Schema):
    user: str
    name: str
    function: str
    role_on_account: str


def _member_out(m: AccountTeamMember) -> dict[str, Any]:
    return {
        "user": m.user.username,
        "name": str(m.user),
        "function": m.function,
        "role_on_account": m.role_on_account,
    }


@router.get(f"{CLIENT}/account-team", response={200: list[TeamMemberOut], **READ})
def account_team_list(request: HttpRequest, external_id: str) -> list[dict[str, Any]]:
    """The client's cross-functional account team."""
    client = _visible(request, external_id)
    members = (
        AccountTeamMember.objects.filter(client=client)
        .select_related("user")
        .order_by("function", "user__username")
    )
    return [_member_out(m) for m in members]


@router.post(f"{CLIENT}/account-team", response={201: TeamMemberOut, **WRITE})
def account_team_add(request: HttpRequest, external_id: str, payload: TeamMemberIn) -> Status[Any]:
    """Put a person on the account team with their function and role, or change them
    (whoever may change the client)."""
    client = _visible(request, external_id)
    user = _user(payload.user, _("Person"))
    if user is None:
        raise services.AccountsError(_("Choose an active person."))
    member = services.account_team_add(
        actor=_actor(request),
        client=client,
        user=user,
        function=payload.function,
        role_on_account=payload.role_on_account,
    )
    return Status(201, _member_out(member))


@router.delete(f"{CLIENT}/account-team/{{username}}", response={204: None, **WRITE})
def account_team_remove(request: HttpRequest, external_id: str, username: str) -> Status[None]:
    """Take a person off the account team (whoever may change the client)."""
    client = _visible(request, external_id)
    member = (
        AccountTeamMember.objects.select_related("user", "client")
        .filter(client=client, user__username=username)
        .first()
    )
    if member is None:
        raise Http404
    services.account_team_remove(actor=_actor(request), member=member)
    return Status(204, None)


# --- judgements: relationship stage, partnership intent, our position -------------------


class StageIn(Schema):
    stage: str = Field(
        ...,
        max_length=16,
        description="exploratory, basic, cooperative, interdependent, integrated",
    )
    noted_on: dt.date
    evidence: str = Field(..., max_length=5000)


class StageOut(Schema):
    id: int
    stage: str
    noted_on: dt.date
    evidence: str
    entered_by: str | None
    created_at: dt.datetime


class RatingIn(Schema):
    rating: int = Field(..., description="1 to 5")
    noted_on: dt.date
    note: str = Field("", max_length=5000)


class RatingOut(Schema):
    id: int
    rating: int
    noted_on: dt.date
    note: str
    entered_by: str | None
    created_at: dt.datetime


def _stage_out(s: RelationshipStage) -> dict[str, Any]:
    return {
        "id": s.pk,
        "stage": s.stage,
        "noted_on": s.noted_on,
        "evidence": s.evidence,
        "entered_by": _username(s.entered_by),
        "created_at": s.created_at,
    }


def _rating_out(r: PartnershipIntent | PositionRating) -> dict[str, Any]:
    return {
        "id": r.pk,
        "rating": r.rating,
        "noted_on": r.noted_on,
        "note": r.note,
        "entered_by": _username(r.entered_by),
        "created_at": r.created_at,
    }


@router.get(f"{CLIENT}/relationship-stages", response={200: list[StageOut], **READ})
def relationship_stages_list(request: HttpRequest, external_id: str) -> list[dict[str, Any]]:
    """The relationship's stages with their evidence, newest first (the first is current)."""
    client = _visible(request, external_id)
    return [_stage_out(s) for s in client.stages.select_related("entered_by")]


@router.post(f"{CLIENT}/relationship-stages", response={201: StageOut, **WRITE})
def relationship_stage_add(request: HttpRequest, external_id: str, payload: StageIn) -> Status[Any]:
    """Record the relationship's stage on a date, with the evidence."""
    client = _visible(request, external_id)
    row = services.relationship_stage_record(
        actor=_actor(request),
        client=client,
        stage=payload.stage,
        noted_on=payload.noted_on,
        evidence=payload.evidence,
    )
    return Status(201, _stage_out(row))


@router.get(f"{CLIENT}/partnership-intents", response={200: list[RatingOut], **READ})
def partnership_intents_list(request: HttpRequest, external_id: str) -> list[dict[str, Any]]:
    """How much the client wants a long-term partnership (1-5), newest first."""
    client = _visible(request, external_id)
    rows = PartnershipIntent.objects.filter(client=client).select_related("entered_by")
    return [_rating_out(r) for r in rows]


@router.post(f"{CLIENT}/partnership-intents", response={201: RatingOut, **WRITE})
def partnership_intent_add(
    request: HttpRequest, external_id: str, payload: RatingIn
) -> Status[Any]:
    """Rate the client's wish for a long-term partnership, 1 (none) to 5 (strong)."""
    client = _visible(request, external_id)
    row = services.partnership_intent_record(
        actor=_actor(request),
        client=client,
        rating=payload.rating,
        noted_on=payload.noted_on,
        note=payload.note,
    )
    return Status(201, _rating_out(row))


@router.get(f"{CLIENT}/position-ratings", response={200: list[RatingOut], **READ})
def position_ratings_list(request: HttpRequest, external_id: str) -> list[dict[str, Any]]:
    """Our position with the client against competitors (1-5), newest first."""
    client = _visible(request, external_id)
    rows = PositionRating.objects.filter(client=client).select_related("entered_by")
    return [_rating_out(r) for r in rows]


@router.post(f"{CLIENT}/position-ratings", response={201: RatingOut, **WRITE})
def position_rating_add(request: HttpRequest, external_id: str, payload: RatingIn) -> Status[Any]:
    """Rate our position with the client against competitors, 1 (weak) to 5 (leading)."""
    client = _visible(request, external_id)
    row = services.position_rating_record(
        actor=_actor(request),
        client=client,
        rating=payload.rating,
        noted_on=payload.noted_on,
        note=payload.note,
    )
    return Status(201, _rating_out(row))


# --- wallet estimates -------------------------------------------------------------------


class WalletQuery(Schema):
    client: str = Field("", max_length=255, description="a client id")
    year: int | None = Field(None, ge=1900, le=2999)
    limit: int = Field(1000, ge=1, le=5000)
    offset: int = Field(0, ge=0, le=10_000_000)


class WalletIn(Schema):
    client: str = Field(..., max_length=255, description="a client id")
    year: int | str
    category: str = Field("", description="blank: the whole wallet")
    amount: float | str = Field(..., description="a decimal string keeps every cent")
    source: str = Field("", description="where the estimate comes from")
    confidence: str = Field("medium", description="low, medium or high")


class WalletBatchIn(Schema):
    estimates: list[WalletIn] = Field(..., max_length=10_000)


class WalletOut(Schema):
    id: int
    client: str
    year: int
    category: str
    amount: str
    source: str
    confidence: str
    entered_by: str | None
    updated_at: dt.datetime


class WalletPage(Schema):
    count: int
    items: list[WalletOut]


class WalletSaved(Schema):
    created: int
    changed: int


class WalletProblemOut(Schema):
    row: int = Field(description="the estimate's place in the list, from 1")
    column: str
    value: str
    reason: str


class WalletErrorDetail(ErrorDetail):
    problems: list[WalletProblemOut] | None = None


class WalletErrorOut(Schema):
    error: WalletErrorDetail


def _wallet_out(e: WalletEstimate) -> dict[str, Any]:
    return {
        "id": e.pk,
        "client": e.client.external_id,
        "year": e.year,
        "category": e.category,
        "amount": money_str(e.amount),
        "source": e.source,
        "confidence": e.confidence,
        "entered_by": _username(e.entered_by),
        "updated_at": e.updated_at,
    }


def _margins_required(request: HttpRequest) -> None:
    if not can_see_margins(request.user):
        raise services.NotAllowedError(_("Wallet estimates are for roles that may see margins."))


@router.get("/wallet-estimates", response={200: WalletPage, **WRITE})
def wallet_estimates_list(request: HttpRequest, query: Query[WalletQuery]) -> dict[str, Any]:
    """The wallet estimates of the clients you may see (roles that may see margins)."""
    _margins_required(request)
    rows = WalletEstimate.objects.filter(client__in=visible_clients(request.user))
    if query.client:
        rows = rows.filter(client=_visible(request, query.client))
    if query.year is not None:
        rows = rows.filter(year=query.year)
    rows = rows.select_related("client", "entered_by").order_by(
        "client__external_id", "-year", "category"
    )
    page = rows[query.offset : query.offset + query.limit]
    return {"count": rows.count(), "items": [_wallet_out(e) for e in page]}


@router.post(
    "/wallet-estimates",
    response={200: WalletSaved, **WRITE, 400: WalletErrorOut},
    summary="Save wallet estimates, all or none",
)
def wallet_estimates_save(request: HttpRequest, payload: WalletBatchIn) -> Status[Any]:
    """Create or replace wallet estimates (client, year and category name one estimate).
    Every estimate is checked first; any problem refuses them all, nothing changed,
    with every problem listed in `error.problems` (row, column, value, reason)."""
    _margins_required(request)
    if not editable_clients(request.user).exists():
        raise services.NotAllowedError(_("You may not change any client."))
    actor = _actor(request)
    rows = [
        services.WalletRow(
            client=e.client,
            year=e.year,
            category=e.category,
            amount=e.amount,
            source=e.source,
            confidence=e.confidence,
        )
        for e in payload.estimates
    ]
    try:
        created, changed = services.wallet_estimates_save(actor=actor, rows=rows)
    except services.WalletImportError as error:
        problems = [
            {"row": p.row, "column": p.column, "value": p.value, "reason": p.reason}
            for p in error.problems
        ]
        return Status(
            400, {"error": {"code": error.code, "message": str(error), "problems": problems}}
        )
    return Status(200, {"created": created, "changed": changed})


@router.delete("/wallet-estimates/{int:estimate_id}", response={204: None, **WRITE})
def wallet_estimate_delete(request: HttpRequest, estimate_id: int) -> Status[None]:
    """Delete one wallet estimate (whoever may change its client)."""
    estimate = (
        WalletEstimate.objects.filter(pk=estimate_id, client__in=visible_clients(request.user))
        .select_related("client")
        .first()
    )
    if estimate is None:
        raise Http404
    _margins_required(request)
    services.wallet_estimate_delete(actor=_actor(request), estimate=estimate)
    return Status(204, None)


# --- notifications ----------------------------------------------------------------------


class NotificationQuery(Schema):
    unread: bool = Field(False, description="only the unread ones")
    limit: int = Field(100, ge=1, le=500)


class NotificationOut(Schema):
    id: int
    kind: str
    client: str | None
    client_name: str | None
    detail: str
    actor: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPage(Schema):
    unread: int
    items: list[NotificationOut]


class ReadIn(Schema):
    ids: list[int] | None = Field(None, max_length=1000, description="default: every one")


class ReadOut(Schema):
    marked: int


def _notification_out(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk,
        "kind": n.kind,
        "client": n.client.external_id if n.client else None,
        "client_name": n.client.name if n.client else None,
        "detail": n.detail,
        "actor": n.actor_label,
        "created_at": n.created_at,
        "read_at": n.read_at,
    }


@router.get("/notifications", response={200: NotificationPage, **READ})
def notifications_list(request: HttpRequest, query: Query[NotificationQuery]) -> dict[str, Any]:
    """Your notifications, newest first (about clients you may still see)."""
    rows = selectors.notifications_of(user=request.user, unread_only=query.unread)
    return {
        "unread": selectors.unread_count(request.user),
        "items": [_notification_out(n) for n in rows[: query.limit]],
    }


@router.post("/notifications/read", response={200: ReadOut, **READ})
def notifications_read(request: HttpRequest, payload: ReadIn) -> dict[str, Any]:
    """Mark your notifications read: those listed in `ids`, or every one."""
    marked = services.notifications_mark_read(user=request.user, ids=payload.ids)
    return {"marked": marked}


# --- the organisation -------------------------------------------------------------------


class PersonOut(Schema):
    username: str
    name: str
    role: str
    key_accounts: list[str] = Field(description="client ids of the key accounts they manage")


class TeamOut(Schema):
    name: str
    function: str
    is_kam: bool
    parent: str | None
    lead: PersonOut | None
    members: list[PersonOut]


class OrganisationOut(Schema):
    teams: list[TeamOut] = Field(description="parents before their teams")
    unassigned_people: list[PersonOut] = Field(description="managers in no team")
    without_manager: list[str]
    without_team: list[str]
    key_accounts: int


def _person_out(p: Person) -> dict[str, Any]:
    return {
        "username": p.user.username,
        "name": str(p.user),
        "role": p.user.role,
        "key_accounts": [c.external_id for c in p.key_accounts],
    }


def _teams_out(nodes: list[TeamNode], parent: str | None) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for node in nodes:
        result.append(
            {
                "name": node.team.name,
                "function": node.team.function,
                "is_kam": node.is_kam,
                "parent": parent,
                "lead": _person_out(node.lead) if node.lead else None,
                "members": [_person_out(m) for m in node.members],
            }
        )
        result.extend(_teams_out(node.children, node.team.name))
    return result


@router.get("/organisation", response={200: OrganisationOut, **READ})
def organisation(request: HttpRequest) -> dict[str, Any]:
    """Teams with their function, lead, parent and members, the key accounts under their
    managers (those you may see), and the key accounts without a manager or a team."""
    chart = org_chart(user=request.user)
    return {
        "teams": _teams_out(chart.roots, None),
        "unassigned_people": [_person_out(p) for p in chart.unassigned_people],
        "without_manager": [c.external_id for c in chart.without_manager],
        "without_team": [c.external_id for c in chart.without_team],
        "key_accounts": chart.key_account_count,
    }
