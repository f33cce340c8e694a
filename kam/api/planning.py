"""The work on key accounts: plans, objectives and progress, share of wallet, buying centre,
deals, competitors, tasks, market notes and white space.

Every operation reads through `account_for` (a client the person may not see is a
404, the same as an unknown one) and writes through kam.planning.services, which
decides who may write (403 `forbidden`) and what is valid (400 `invalid_input`),
and audits with the interface "api". The per-account collections share one
shape: GET/POST under /clients/{client}/<collection>, PATCH/DELETE at
/<collection>/{id}. People are named by user name, competitors by name, other
records by id. Margin figures (and margin objectives' targets) and wallet amounts
are null for roles that may not see margins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from django.db import models, transaction
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import create_model, model_validator
from pydantic.fields import FieldInfo

from kam.analytics.selectors import available_years
from kam.api.auth import request_user
from kam.api.errors import ErrorOut
from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.clients.access import can_see_margins
from kam.clients.models import Client
from kam.common.money import money_str
from kam.ledger.selectors import ledger_store
from kam.people.models import Function, User
from kam.planning import actuals, selectors, services
from kam.planning.models import (
    AccountPlan,
    Competitor,
    CompetitorAction,
    CompetitorPresence,
    MarketNote,
    NegotiationEntry,
    Objective,
    Opportunity,
    PurchasingStep,
    Stakeholder,
    Task,
)
from kam.planning.selectors import Account, account_for
from kam.planning.services import (
    FIELDS,
    PLAN_TEXT,
    PlanningError,
    PlanningNotAllowedError,
    competitor_save,
    market_action_save,
    market_note_save,
    opportunity_competitors_set,
    plan_draft,
    record_delete,
    record_save,
)

router = Router(tags=["key-account work"])
M = TypeVar("M", bound=models.Model)
READ: dict[int, type[Schema]] = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE: dict[int, type[Schema]] = {400: ErrorOut, 403: ErrorOut, **READ}
CLIENT = "/clients/{path:external_id}"
Year = Annotated[int, Field(ge=1900, le=2999)]
TEXT = 10_000  # longest free text accepted


def _enum(choices: type[models.Choices]) -> dict[str, Any]:
    return {"enum": list(choices.values)}


# --- schemas ------------------------------------------------------------------------------


class In(Schema):
    """Input: no NUL character in any text (a database refuses to store one)."""

    @model_validator(mode="after")
    def _no_nul(self) -> Any:
        for name, value in self:
            texts = value if isinstance(value, list) else [value]
            if any(isinstance(t, str) and "\x00" in t for t in texts):
                raise ValueError(_("%(field)s: the text holds a NUL character.") % {"field": name})
        return self


def _patch_of(schema: type[Schema], name: str) -> type[Schema]:
    """The same fields, each optional: only the fields sent change."""
    fields: dict[str, Any] = {}
    for field_name, info in schema.model_fields.items():
        optional = FieldInfo.merge_field_infos(info, default=None)
        fields[field_name] = (info.annotation | None, optional)  # type: ignore[operator]
    doc = "Only the fields sent are changed."
    patch: type[Schema] = create_model(name, __base__=schema, __doc__=doc, **fields)
    return patch


class PlanIn(In):
    year: Year


class PlanPatch(In):
    """Only the fields sent are changed; only a draft is edited."""

    summary: str | None = Field(None, max_length=TEXT)
    strategy: str | None = Field(None, max_length=TEXT, description="the client's strategy")
    needs: str | None = Field(None, max_length=TEXT, description="the client's needs")
    strengths: str | None = Field(None, max_length=TEXT)
    weaknesses: str | None = Field(None, max_length=TEXT)
    opportunities: str | None = Field(None, max_length=TEXT)
    threats: str | None = Field(None, max_length=TEXT)


class PlanReview(In):
    approve: bool
    note: str = Field("", max_length=TEXT, description="required when returning to draft")


class PlanOut(Schema):
    id: int
    client: str
    year: int
    version: int
    status: str = Field(..., json_schema_extra=_enum(AccountPlan.Status))
    summary: str
    strategy: str
    needs: str
    strengths: str
    weaknesses: str
    opportunities: str
    threats: str
    review_note: str
    created_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_at: dt.datetime | None
    approved_by: str | None
    approved_at: dt.datetime | None


class ObjectiveIn(In):
    year: Year
    measure: str = Field(..., json_schema_extra=_enum(Objective.Measure))
    category: str = Field("", max_length=255, description="blank: all categories")
    target: Decimal = Field(
        ...,
        ge=0,
        max_digits=18,
        decimal_places=4,
        description="money for revenue and margin, a quantity for volume, 0-1 for share of "
        "wallet, a count of categories for range",
    )
    note: str = Field("", max_length=TEXT)
    proposed_from: int | None = Field(None, description="id of the market note behind it")


class ObjectiveOut(Schema):
    id: int
    year: int
    measure: str
    category: str
    target: str | None = Field(..., description="null for margin objectives without margins")
    note: str
    proposed_from: int | None


class ProgressOut(Schema):
    objective: ObjectiveOut
    actual: str | None = Field(..., description="to date; null when it cannot be measured")
    expected: str | None = Field(..., description="forecast to the end of the year")
    method: str = Field(..., description="seasonal, run_rate, complete, or point (a level)")
    share_of_target: float | None
    status: str | None = Field(
        ..., json_schema_extra={"enum": ["on_track", "at_risk", "off_track"]}
    )


class ProgressPage(Schema):
    year: int
    as_of: dt.date | None = Field(..., description="the day after the ledger's last invoice")
    items: list[ProgressOut]


class StakeholderIn(In):
    name: str = Field(..., min_length=1, max_length=150)
    title: str = Field("", max_length=150)
    role: str = Field(..., json_schema_extra=_enum(Stakeholder.Role))
    influence: int = Field(..., ge=1, le=5)
    attitude: int = Field(0, ge=-2, le=2, description="-2 opponent … 2 champion")
    reports_to: int | None = Field(None, description="id of a stakeholder of the same client")
    owner: str | None = Field(None, max_length=150, description="our relationship owner")
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    notes: str = Field("", max_length=TEXT)


class StakeholderOut(StakeholderIn):
    id: int
    is_gap: bool = Field(..., description="influential and nobody on our side owns them")


class PurchasingStepIn(In):
    position: int = Field(..., ge=0, le=32767)
    name: str = Field(..., min_length=1, max_length=150)
    description: str = Field("", max_length=TEXT)
    stakeholder: int | None = Field(None, description="id of a stakeholder of the same client")


class PurchasingStepOut(PurchasingStepIn):
    id: int


class PresenceIn(In):
    competitor: str = Field(..., min_length=1, max_length=150, description="name in the register")
    estimated_share: Decimal | None = Field(
        None, ge=0, le=1, max_digits=5, decimal_places=4, description="0-1 of the wallet"
    )
    price_position: str = Field(
        "", json_schema_extra={"enum": ["", *CompetitorPresence.PricePosition.values]}
    )
    notes: str = Field("", max_length=TEXT)


class PresenceOut(Schema):
    id: int
    competitor: str
    estimated_share: str | None
    price_position: str
    notes: str


class OpportunityIn(In):
    title: str = Field(..., min_length=1, max_length=200)
    stage: str = Field("lead", json_schema_extra=_enum(Opportunity.Stage))
    value: Decimal = Field(..., ge=0, max_digits=18, decimal_places=2)
    probability: int = Field(..., ge=0, le=100, description="per cent")
    expected_close: dt.date
    categories: str = Field("", max_length=500)
    owner: str | None = Field(None, max_length=150)
    competitors: list[str] | None = Field(
        None, max_length=50, description="names of competitors met, from the register"
    )


class OpportunityOut(Schema):
    id: int
    title: str
    stage: str
    value: str
    probability: int
    expected_close: dt.date
    categories: str
    owner: str | None
    competitors: list[str]


class NegotiationIn(In):
    opportunity: int | None = Field(None, description="id of a deal of the same client")
    happened_on: dt.date
    summary: str = Field(..., min_length=1, max_length=TEXT)
    outcome: str = Field("", max_length=TEXT)


class NegotiationOut(NegotiationIn):
    id: int
    entered_by: str | None


class TaskIn(In):
    objective: int | None = Field(None, description="id of an objective of the same client")
    title: str = Field(..., min_length=1, max_length=200)
    detail: str = Field("", max_length=TEXT)
    owner: str = Field(..., min_length=1, max_length=150)
    function: str = Field(
        "", json_schema_extra={"enum": ["", *Function.values]}, description="set for an ask"
    )
    due_on: dt.date
    status: str = Field("open", json_schema_extra=_enum(Task.Status))


class TaskOut(TaskIn):
    id: int
    client: str
    client_name: str
    requested_by: str | None
    done_at: dt.datetime | None
    overdue: bool


class WalletShareOut(Schema):
    category: str = Field(..., description="blank: the whole wallet")
    year: int
    wallet: str | None = Field(..., description="null for roles that may not see margins")
    ours: str
    share: float | None
    source: str
    confidence: str


class WalletQuery(Schema):
    years: list[Year] = Field(
        default_factory=list, max_length=20, description="default: every year estimated"
    )


class YearQuery(Schema):
    year: Year | None = None


class CompetitorIn(In):
    name: str = Field(..., min_length=1, max_length=150)
    website: str = Field("", max_length=255)
    notes: str = Field("", max_length=TEXT)


class CompetitorOut(CompetitorIn):
    id: int


class ActionIn(In):
    client: str | None = Field(None, max_length=255, description="blank: seen in the market")
    competitor: str = Field(..., min_length=1, max_length=150, description="name in the register")
    happened_on: dt.date
    kind: str = Field(..., json_schema_extra=_enum(CompetitorAction.Kind))
    description: str = Field(..., min_length=1, max_length=TEXT)
    source: str = Field(..., min_length=1, max_length=255)


class ActionOut(ActionIn):
    id: int
    entered_by: str | None


class ActionFilters(Schema):
    client: str = Field("", max_length=255, description="only this client's log")
    competitor: str = Field("", max_length=150)
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=10_000_000)


class ActionPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ActionOut]


class MarketNoteIn(In):
    segment: str = Field("", max_length=255, description="a category; blank: the whole market")
    year: Year
    title: str = Field(..., min_length=1, max_length=200)
    body: str = Field("", max_length=TEXT)
    growth: Decimal | None = Field(
        None, ge=-99, le=99, max_digits=7, decimal_places=4, description="0.05 = +5 %"
    )
    source: str = Field("", max_length=255)
    noted_on: dt.date


class MarketNoteOut(Schema):
    id: int
    segment: str
    year: int
    title: str
    body: str
    growth: str | None
    source: str
    noted_on: dt.date


class SimilarOut(Schema):
    name: str = Field(..., description="a similar account; — when you may not see it")
    similarity: float


class RecommendationOut(Schema):
    category: str
    strength: float
    because: list[SimilarOut]


class WhiteSpaceRow(Schema):
    client: str
    name: str
    bought: dict[str, str] = Field(..., description="net revenue per category bought")
    recommendations: list[RecommendationOut]


class WhiteSpaceOut(Schema):
    year: int | None
    categories: list[str]
    accounts: list[WhiteSpaceRow]


# --- access and conversion ----------------------------------------------------------------


def _actor(request: HttpRequest) -> Actor:
    return Actor(user=request_user(request), interface=AuditEvent.Interface.API)


def _account(request: HttpRequest, external_id: str) -> Account:
    account = account_for(user=request.user, external_id=external_id)
    if account is None:  # unknown or not visible: the same answer
        raise Http404
    return account


def _refuse_unless(allowed: bool) -> None:
    """Refuse early, before reading the input; the service checks again when it writes."""
    if not allowed:
        raise PlanningNotAllowedError(_("You may not change this account."))


def _user(username: str | None) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username).first()
    if user is None:
        raise PlanningError(_("No user named %(name)s.") % {"name": repr(username)})
    return user


def _competitor(name: str) -> Competitor:
    found = Competitor.objects.filter(name=name).first()
    if found is None:
        raise PlanningError(_("No competitor named %(name)s.") % {"name": repr(name)})
    return found


def _values(client: Client, model: type[models.Model], given: dict[str, Any]) -> dict[str, Any]:
    """The service's values from the API's: people by user name, competitors by name, other
    records by id among the client's own (another account's record is not found)."""
    values: dict[str, Any] = {}
    for name, value in given.items():
        field = model._meta.get_field(name)
        if not isinstance(field, models.ForeignKey) or value is None:
            values[name] = value
            continue
        related = field.related_model
        if related is User:
            values[name] = _user(value)
        elif related is Competitor:
            values[name] = _competitor(value)
        else:
            assert isinstance(related, type) and issubclass(related, models.Model)
            found = related._default_manager.filter(pk=value)
            if any(f.name == "client" for f in related._meta.fields):
                found = found.filter(client=client)
            record = found.first()
            if record is None:
                raise PlanningError(
                    _("%(field)s: no record %(id)s.") % {"field": name, "id": value}
                )
            values[name] = record
    return values


def _ref(value: Any) -> Any:
    if isinstance(value, User):
        return value.username
    if isinstance(value, Competitor):
        return value.name
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    return value


def _record_out(instance: models.Model, names: tuple[str, ...]) -> dict[str, Any]:
    return {"id": instance.pk, **{n: _ref(getattr(instance, n)) for n in names}}


def _objective_out(objective: Objective, *, with_margin: bool) -> dict[str, Any]:
    row = _record_out(objective, ("year", "measure", "category", "note", "proposed_from"))
    hidden = objective.measure == Objective.Measure.MARGIN and not with_margin
    row["target"] = None if hidden else str(objective.target)
    return row


# --- the per-account collections ----------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One kind of per-account record: where it lives in the API and how it reads."""

    model: type[models.Model]
    plural: str  # the address: /clients/{client}/<plural>, /<plural>/{id}; <plural>_list
    one: str  # operation ids: <one>_add, <one>_patch, <one>_delete
    schema_in: type[Schema]
    schema_out: type[Schema]
    label: str  # for summaries: "a deal"
    extra: Callable[[Any, HttpRequest], dict[str, Any]] = lambda r, q: {}

    def out(self, record: Any, request: HttpRequest) -> dict[str, Any]:
        if self.model is Objective:
            return _objective_out(record, with_margin=can_see_margins(request.user))
        return {**_record_out(record, FIELDS[self.model]), **self.extra(record, request)}


def _task_extra(task: Task, request: HttpRequest) -> dict[str, Any]:
    return {
        "client": task.client.external_id,
        "client_name": task.client.name,
        "requested_by": _ref(task.requested_by),
        "done_at": task.done_at,
        "overdue": selectors.is_overdue(task),
    }


KINDS = (
    Kind(Objective, "objectives", "objective", ObjectiveIn, ObjectiveOut, "an objective"),
    Kind(
        Stakeholder,
        "stakeholders",
        "stakeholder",
        StakeholderIn,
        StakeholderOut,
        "a person of the buying centre",
        lambda s, q: {"is_gap": s.is_gap},
    ),
    Kind(
        PurchasingStep,
        "purchasing-steps",
        "purchasing_step",
        PurchasingStepIn,
        PurchasingStepOut,
        "a step of the purchasing process",
    ),
    Kind(
        CompetitorPresence,
        "competitor-presences",
        "competitor_presence",
        PresenceIn,
        PresenceOut,
        "a competitor present at the account",
    ),
    Kind(
        Opportunity,
        "opportunities",
        "opportunity",
        OpportunityIn,
        OpportunityOut,
        "a deal",
        lambda o, q: {"competitors": sorted(c.name for c in o.competitors.all())},
    ),
    Kind(
        NegotiationEntry,
        "negotiations",
        "negotiation",
        NegotiationIn,
        NegotiationOut,
        "an entry of the negotiation log",
        lambda n, q: {"entered_by": _ref(n.entered_by)},
    ),
    Kind(Task, "tasks", "task", TaskIn, TaskOut, "a task or ask", _task_extra),
)


def _records(kind: Kind, client: Client, year: int | None) -> Any:
    records = kind.model._default_manager.filter(client=client)
    if kind.model is Objective and year is not None:
        records = records.filter(year=year)
    if kind.model is Task:
        records = records.select_related("client", "owner", "requested_by").order_by("due_on", "id")
    if kind.model is Opportunity:
        records = records.prefetch_related("competitors")
    return records


def _found(kind: Kind, request: HttpRequest, pk: int) -> tuple[Any, Account, bool]:
    """The record, its account and whether the person may change it; 404 when not visible.

    The owner of a task finds it (and may change it) even without access to the account."""
    record: Any = kind.model._default_manager.select_related("client").filter(pk=pk).first()
    if record is None:
        raise Http404
    account = account_for(user=request.user, external_id=record.client.external_id)
    owns = kind.model is Task and record.owner_id == request.user.pk
    if account is None and not owns:
        raise Http404
    account = account or Account(record.client, False)
    return record, account, account.can_change or owns


def _save(
    kind: Kind,
    request: HttpRequest,
    client: Client,
    given: dict[str, Any],
    instance: models.Model | None = None,
) -> models.Model:
    names = given.pop("competitors", None) if kind.model is Opportunity else None
    values = _values(client, kind.model, given)
    competitors = [_competitor(n) for n in dict.fromkeys(names)] if names is not None else None
    actor = _actor(request)
    with transaction.atomic():
        saved = record_save(
            actor=actor, client=client, model=kind.model, values=values, instance=instance
        )
        if isinstance(saved, Opportunity) and competitors is not None:
            opportunity_competitors_set(actor=actor, opportunity=saved, competitors=competitors)
    return _stored(saved)


def _stored(record: M) -> M:
    """The record as stored (decimals to their places), as every later read shows it."""
    record.refresh_from_db()
    return record


def _register(kind: Kind) -> None:
    """GET and POST under a client, PATCH and DELETE of one record."""

    def listed(request: HttpRequest, external_id: str) -> list[dict[str, Any]]:
        client = _account(request, external_id).client
        return [kind.out(r, request) for r in _records(kind, client, None)]

    def listed_in_year(
        request: HttpRequest, external_id: str, query: Query[YearQuery]
    ) -> list[dict[str, Any]]:
        client = _account(request, external_id).client
        return [kind.out(r, request) for r in _records(kind, client, query.year)]

    # objectives are per year: ?year= keeps one year's
    listing: Callable[..., Any] = listed_in_year if kind.model is Objective else listed

    def add(request: HttpRequest, external_id: str, payload: Any) -> Status[dict[str, Any]]:
        account = _account(request, external_id)
        _refuse_unless(account.can_change)
        saved = _save(kind, request, account.client, payload.dict())
        return Status(201, kind.out(saved, request))

    def patch(request: HttpRequest, record_id: int, payload: Any) -> dict[str, Any]:
        record, account, may_change = _found(kind, request, record_id)
        _refuse_unless(may_change)
        saved = _save(kind, request, account.client, payload.dict(exclude_unset=True), record)
        return kind.out(saved, request)

    def delete(request: HttpRequest, record_id: int) -> Status[None]:
        record, account, _may = _found(kind, request, record_id)
        _refuse_unless(account.can_change)
        record_delete(actor=_actor(request), instance=record)
        return Status(204, None)

    add.__annotations__["payload"] = kind.schema_in
    patch.__annotations__["payload"] = _patch_of(
        kind.schema_in, f"{kind.schema_in.__name__[:-2]}Patch"
    )
    listing.__name__ = f"{kind.plural.replace('-', '_')}_list"
    add.__name__ = f"{kind.one}_add"
    patch.__name__, delete.__name__ = f"{kind.one}_patch", f"{kind.one}_delete"
    listing.__doc__ = f"The records of a client you may see: each is {kind.label}."
    add.__doc__ = f"Add {kind.label} (whoever may change the account)."
    patch.__doc__ = f"Change {kind.label}; only the fields sent change."
    delete.__doc__ = f"Delete {kind.label}."
    label = kind.label
    router.get(
        f"{CLIENT}/{kind.plural}",
        response={200: list[kind.schema_out], **READ},  # type: ignore[name-defined]
        summary=f"List a client's records ({label[label.index(' ') + 1 :]})",
    )(listing)
    router.post(
        f"{CLIENT}/{kind.plural}",
        response={201: kind.schema_out, **WRITE},
        summary=f"Add {label}",
    )(add)
    router.patch(
        f"/{kind.plural}/{{int:record_id}}",
        response={200: kind.schema_out, **WRITE},
        summary=f"Change {label}",
    )(patch)
    router.delete(
        f"/{kind.plural}/{{int:record_id}}",
        response={204: None, **WRITE},
        summary=f"Delete {label}",
    )(delete)


# --- plans --------------------------------------------------------------------------------


def _plan_out(plan: AccountPlan) -> dict[str, Any]:
    fields = ("year", "version", "status", *PLAN_TEXT, "review_note", "created_by")
    more = ("created_at", "updated_at", "submitted_at", "approved_by", "approved_at")
    return {
        **_record_out(plan, (*fields, *more)),
        "client": plan.client.external_id,
    }


def _plan(request: HttpRequest, plan_id: int) -> tuple[AccountPlan, Account]:
    plan = AccountPlan.objects.select_related("client").filter(pk=plan_id).first()
    account = account_for(user=request.user, external_id=plan.client.external_id) if plan else None
    if plan is None or account is None:
        raise Http404
    return plan, account


@router.get(f"{CLIENT}/plans", response={200: list[PlanOut], **READ}, summary="A client's plans")
def plans_list(
    request: HttpRequest, external_id: str, query: Query[YearQuery]
) -> list[dict[str, Any]]:
    """Every version of the client's account plans, newest first; `year` keeps one year's."""
    client = _account(request, external_id).client
    return [_plan_out(p) for p in selectors.plans_of(client, query.year)]


@router.post(f"{CLIENT}/plans", response={201: PlanOut, **WRITE}, summary="Draft a plan")
def plan_add(request: HttpRequest, external_id: str, payload: PlanIn) -> Status[dict[str, Any]]:
    """A new draft version of the plan for `year`, copied from the latest version."""
    account = _account(request, external_id)
    _refuse_unless(account.can_change)
    plan = plan_draft(actor=_actor(request), client=account.client, year=payload.year)
    return Status(201, _plan_out(plan))


@router.get("/plans/{int:plan_id}", response={200: PlanOut, **READ}, summary="One plan version")
def plan_get(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    """One version of an account plan of a client you may see."""
    return _plan_out(_plan(request, plan_id)[0])


@router.patch("/plans/{int:plan_id}", response={200: PlanOut, **WRITE}, summary="Edit a draft plan")
def plan_patch(request: HttpRequest, plan_id: int, payload: PlanPatch) -> dict[str, Any]:
    """Change the text of a draft: summary, the client's strategy and needs, the SWOT."""
    plan, account = _plan(request, plan_id)
    _refuse_unless(account.can_change)
    values = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    record_save(
        actor=_actor(request),
        client=account.client,
        model=AccountPlan,
        values=values,
        instance=plan,
    )
    return _plan_out(plan)


@router.post(
    "/plans/{int:plan_id}/submit", response={200: PlanOut, **WRITE}, summary="Submit a plan"
)
def plan_submit(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    """Submit a draft (with a summary) for a director's review."""
    plan, account = _plan(request, plan_id)
    _refuse_unless(account.can_change)
    return _plan_out(services.plan_submit(actor=_actor(request), plan=plan))


@router.post(
    "/plans/{int:plan_id}/review", response={200: PlanOut, **WRITE}, summary="Review a plan"
)
def plan_review(request: HttpRequest, plan_id: int, payload: PlanReview) -> dict[str, Any]:
    """A director approves a submitted plan, or returns it to draft with a note."""
    plan, _account = _plan(request, plan_id)
    reviewed = services.plan_review(
        actor=_actor(request), plan=plan, approve=payload.approve, note=payload.note
    )
    return _plan_out(reviewed)


# --- objectives' progress and share of wallet ---------------------------------------------


def _ledger_year() -> int:
    as_of = actuals.ledger_as_of()
    return (as_of - dt.timedelta(days=1)).year if as_of else timezone.localdate().year


def _amount(value: Decimal | None, measure: str) -> str | None:
    """Exact decimal text; a share of wallet to six places."""
    if value is None:
        return None
    if measure == Objective.Measure.SHARE_OF_WALLET:
        return f"{value.quantize(Decimal('0.000001')):f}"
    return money_str(value)


@router.get(
    f"{CLIENT}/progress", response={200: ProgressPage, **READ}, summary="Objectives against actuals"
)
def objectives_progress(
    request: HttpRequest, external_id: str, query: Query[YearQuery]
) -> dict[str, Any]:
    """Each objective of the year (default: the ledger's latest) against the actuals to date
    and the forecast to year end, with the method and the status. Margin figures are null for
    roles that may not see margins."""
    client = _account(request, external_id).client
    year = query.year or _ledger_year()
    actuals.account_months_ensure(store=ledger_store(), client=client)
    with_margin = can_see_margins(request.user)
    items = []
    for p in actuals.objectives_progress(client=client, year=year):
        measure, share = p.objective.measure, p.share_of_target
        hidden = measure == Objective.Measure.MARGIN and not with_margin
        items.append(
            {
                "objective": _objective_out(p.objective, with_margin=with_margin),
                "actual": None if hidden else _amount(p.actual, measure),
                "expected": None if hidden else _amount(p.expected, measure),
                "method": p.method,
                "share_of_target": None if hidden or share is None else round(share, 6),
                "status": p.status.value if p.status else None,
            }
        )
    return {"year": year, "as_of": actuals.ledger_as_of(), "items": items}


@router.get(
    f"{CLIENT}/share-of-wallet",
    response={200: list[WalletShareOut], **READ},
    summary="Share of wallet by category and year",
)
def share_of_wallet(
    request: HttpRequest, external_id: str, query: Query[WalletQuery]
) -> list[dict[str, Any]]:
    """Our net revenue ÷ the estimated wallet, per category ('' = whole wallet) and year."""
    client = _account(request, external_id).client
    years = query.years or list(client.wallet_estimates.values_list("year", flat=True))
    with_margin = can_see_margins(request.user)
    return [
        {
            "category": s.category,
            "year": s.year,
            "wallet": money_str(s.wallet) if with_margin else None,
            "ours": money_str(s.ours),
            "share": None if s.share is None else round(s.share, 6),
            "source": s.source,
            "confidence": s.confidence,
        }
        for s in selectors.share_of_wallet(client=client, years=years)
    ]


# --- across accounts: my tasks, competitors, market notes, white space ---------------------

TASKS = next(k for k in KINDS if k.model is Task)


@router.get("/me/tasks", response={200: list[TaskOut], **READ}, summary="My open tasks")
def my_tasks(request: HttpRequest) -> list[dict[str, Any]]:
    """Your open tasks and asks across accounts, soonest due first."""
    return [TASKS.out(t, request) for t in selectors.queue_of(request.user)]


@router.get("/competitors", response={200: list[CompetitorOut], **READ}, summary="Competitors")
def competitors_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The competitor register, shared by every account."""
    return [_record_out(c, ("name", "website", "notes")) for c in Competitor.objects.all()]


@router.post("/competitors", response={201: CompetitorOut, **WRITE}, summary="Add a competitor")
def competitor_add(request: HttpRequest, payload: CompetitorIn) -> Status[dict[str, Any]]:
    """Add to the register (directors, marketing and key-account managers)."""
    saved = competitor_save(actor=_actor(request), values=payload.dict())
    return Status(201, _record_out(_stored(saved), ("name", "website", "notes")))


def _action_out(action: CompetitorAction) -> dict[str, Any]:
    names = ("competitor", "happened_on", "kind", "description", "source", "entered_by")
    row = _record_out(action, names)
    row["client"] = action.client.external_id if action.client else None
    return row


@router.get("/competitor-actions", response={200: ActionPage, **READ}, summary="Competitor actions")
def competitor_actions_list(request: HttpRequest, filters: Query[ActionFilters]) -> dict[str, Any]:
    """What competitors did, newest first: market-wide and at the accounts you see."""
    client = _account(request, filters.client).client if filters.client else None
    actions = selectors.competitor_actions(user=request.user, client=client)
    if filters.competitor:
        actions = actions.filter(competitor__name=filters.competitor)
    page = actions[filters.offset : filters.offset + filters.limit]
    return {
        "count": actions.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_action_out(a) for a in page],
    }


@router.post(
    "/competitor-actions", response={201: ActionOut, **WRITE}, summary="Log a competitor action"
)
def competitor_action_add(request: HttpRequest, payload: ActionIn) -> Status[dict[str, Any]]:
    """At a client (whoever may change the account) or, without one, seen in the market
    (directors, marketing and key-account managers)."""
    given = payload.dict()
    external_id = given.pop("client")
    if external_id:
        account = _account(request, external_id)
        _refuse_unless(account.can_change)
        values = _values(account.client, CompetitorAction, given)
        action = record_save(
            actor=_actor(request), client=account.client, model=CompetitorAction, values=values
        )
    else:
        values = {**given, "competitor": _competitor(given["competitor"])}
        action = market_action_save(actor=_actor(request), values=values)
    return Status(201, _action_out(_stored(action)))


MARKET_NOTE = ("segment", "year", "title", "body", "growth", "source", "noted_on")


@router.get("/market-notes", response={200: list[MarketNoteOut], **READ}, summary="Market notes")
def market_notes_list(request: HttpRequest, query: Query[YearQuery]) -> list[dict[str, Any]]:
    """What each segment's market does and the growth assumed, newest year first."""
    notes = MarketNote.objects.all()
    if query.year is not None:
        notes = notes.filter(year=query.year)
    return [_record_out(n, MARKET_NOTE) for n in notes]


@router.post("/market-notes", response={201: MarketNoteOut, **WRITE}, summary="Add a market note")
def market_note_add(request: HttpRequest, payload: MarketNoteIn) -> Status[dict[str, Any]]:
    """Directors, administrators and marketing keep the market notes."""
    note = market_note_save(actor=_actor(request), values=payload.dict())
    return Status(201, _record_out(_stored(note), MARKET_NOTE))


@router.get("/white-space", response={200: WhiteSpaceOut, **READ}, summary="White space")
def white_space(request: HttpRequest, query: Query[YearQuery]) -> dict[str, Any]:
    """Key accounts you see × categories: what each bought in the year (default: the latest),
    and the categories recommended next, each with the similar accounts behind it."""
    years = available_years()
    year = query.year or (years[0] if years else None)
    if year is None:
        return {"year": None, "categories": [], "accounts": []}
    space = selectors.white_space(user=request.user, year=year)
    return {
        "year": year,
        "categories": space.categories,
        "accounts": [
            {
                "client": client.external_id,
                "name": client.name,
                "bought": {c: money_str(v) for c, v in sorted(bought.items()) if c},
                "recommendations": [
                    {
                        "category": r.category,
                        "strength": round(r.strength, 6),
                        "because": [
                            {"name": str(name), "similarity": round(s, 6)} for name, s in r.because
                        ],
                    }
                    for r in space.recommendations.get(client.pk, [])
                ],
            }
            for client, bought in space.rows
        ],
    }


for _kind in KINDS:
    _register(_kind)
