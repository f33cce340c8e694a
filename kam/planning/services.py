"""Writes of the account work: one audited path for every record, plus the plan's flow.

Who may do what:

- whoever may change the client (its manager, a director, an admin) creates,
  changes and deletes its plan drafts, objectives, buying centre, deals,
  negotiation log, competitor presence and actions, and tasks;
- a plan goes draft → submitted (by those) → approved or returned to draft
  (by a director); an approved or submitted plan is not edited: a new version
  is drafted from it;
- the owner of a task (an ask to R&D, production...) may change its status
  even without access to the rest of the account;
- market notes and the competitor register: directors, admins and marketing.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.audit.models import AuditEvent
from kam.audit.services import Actor, apply_changes, audit_changes
from kam.clients.access import ALL_CHANGING, editable_clients
from kam.clients.models import Client
from kam.common.errors import DomainError
from kam.people.models import Function, Role, User
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

M = TypeVar("M", bound=models.Model)

PLAN_TEXT = (
    "summary",
    "strategy",
    "needs",
    "strengths",
    "weaknesses",
    "opportunities",
    "threats",
)
# What a person may set on each kind of record of a client (the client itself is given apart).
FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    AccountPlan: PLAN_TEXT,
    Objective: ("year", "measure", "category", "target", "note", "proposed_from"),
    Stakeholder: (
        "name",
        "title",
        "role",
        "influence",
        "attitude",
        "reports_to",
        "owner",
        "email",
        "phone",
        "notes",
    ),
    PurchasingStep: ("position", "name", "description", "stakeholder"),
    CompetitorPresence: ("competitor", "estimated_share", "price_position", "notes"),
    CompetitorAction: ("competitor", "happened_on", "kind", "description", "source"),
    Opportunity: (
        "title",
        "stage",
        "value",
        "probability",
        "expected_close",
        "categories",
        "owner",
    ),
    NegotiationEntry: ("opportunity", "happened_on", "summary", "outcome"),
    Task: ("objective", "title", "detail", "owner", "function", "due_on", "status"),
}
MARKET_ROLES = frozenset({*ALL_CHANGING, Role.MARKETING})
# who created a record: set here, empty for the system; never the person's input to validate
SET_BY_SERVICE = ("created_by", "entered_by", "requested_by")


class PlanningError(DomainError):
    code = "invalid_input"


class PlanningNotAllowedError(DomainError):
    code = "forbidden"


def _may_change(actor: Actor, client: Client) -> None:
    if not editable_clients(actor.user).filter(pk=client.pk).exists():
        raise PlanningNotAllowedError(_("You may not change this account."))


def _market(actor: Actor) -> None:
    user = actor.user
    if user is None or not user.is_active or getattr(user, "role", None) not in MARKET_ROLES:
        raise PlanningNotAllowedError(
            _("Only directors and marketing keep the market notes and competitor register.")
        )


def _person(actor: Actor) -> User | None:
    user = actor.user
    return user if isinstance(user, User) and user.pk else None


def _checked(instance: models.Model, *, exclude: tuple[str, ...] = ()) -> None:
    """Django's field validation (choices, lengths, ranges), as one readable refusal."""
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False)
    except ValidationError as error:
        messages = []
        for field, errors in error.message_dict.items():
            if field == "__all__":  # about the record as a whole: no field to name
                messages.append(" ".join(errors))
                continue
            label = str(getattr(instance._meta.get_field(field), "verbose_name", field))
            messages.append(f"{label}: {' '.join(errors)}")
        raise PlanningError("; ".join(messages)) from error


def _same_client(client: Client, values: Mapping[str, Any]) -> None:
    """A record may only point at records of the same account."""
    for value in values.values():
        owner = getattr(value, "client_id", None)
        if isinstance(value, models.Model) and owner is not None and owner != client.pk:
            raise PlanningError(_("That record belongs to another account."))
        if isinstance(value, User) and not value.is_active:
            raise PlanningError(_("Choose an active person."))


@transaction.atomic
def record_save(
    *,
    actor: Actor,
    client: Client,
    model: type[M],
    values: Mapping[str, Any],
    instance: M | None = None,
) -> M:
    """Create (instance None) or change one record of `client`'s account, audited."""
    allowed = FIELDS[model]
    unknown = set(values) - set(allowed)
    if unknown:
        raise PlanningError(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    if instance is not None and getattr(instance, "client_id", None) != client.pk:
        raise PlanningError(_("That record belongs to another account."))
    if not (model is Task and instance is not None and _owns(actor, instance)):
        _may_change(actor, client)  # the owner of a task may update it without more access
    if isinstance(instance, AccountPlan) and instance.status != AccountPlan.Status.DRAFT:
        raise PlanningError(_("Only a draft is edited; draft a new version of this plan."))
    _same_client(client, values)
    extra: dict[str, Any] = {}
    if instance is None:
        instance = model(client=client)
        extra = _creator_fields(model, actor)
        for field, value in {**extra, **values}.items():
            setattr(instance, field, value)
        _task_rules(instance, None)
        _checked(instance, exclude=SET_BY_SERVICE)
        try:
            instance.save()
        except IntegrityError as error:
            raise PlanningError(_("This record exists already.")) from error
        audit_changes(
            actor=actor,
            instance=instance,
            changes={f: (None, v) for f, v in values.items()},
            action=AuditEvent.Action.CREATE,
            client_id=client.pk,
        )
        return instance
    before = instance.status if isinstance(instance, Task) else None
    changes = apply_changes(instance, values)
    if not changes:
        return instance
    _task_rules(instance, before)
    _checked(instance, exclude=SET_BY_SERVICE)
    try:
        instance.save()
    except IntegrityError as error:
        raise PlanningError(_("This record exists already.")) from error
    audit_changes(actor=actor, instance=instance, changes=changes, client_id=client.pk)
    return instance


def _creator_fields(model: type[models.Model], actor: Actor) -> dict[str, Any]:
    person = _person(actor)
    if model in (AccountPlan, Objective):
        return {"created_by": person}
    if model in (CompetitorAction, NegotiationEntry):
        return {"entered_by": person}
    if model is Task:
        return {"requested_by": person}
    return {}


def _owns(actor: Actor, task: models.Model) -> bool:
    return bool(getattr(actor.user, "pk", None)) and getattr(task, "owner_id", None) == getattr(
        actor.user, "pk", None
    )


def _task_rules(instance: models.Model, before: str | None) -> None:
    if not isinstance(instance, Task):
        return
    if instance.function and instance.function not in Function.values:
        raise PlanningError(_("Choose a function."))
    if instance.status == Task.Status.DONE and before != Task.Status.DONE:
        instance.done_at = timezone.now()
    elif instance.status != Task.Status.DONE:
        instance.done_at = None


@transaction.atomic
def record_delete(*, actor: Actor, instance: models.Model) -> None:
    client = getattr(instance, "client", None)
    if not isinstance(client, Client):
        raise PlanningError(_("That record belongs to no account."))
    _may_change(actor, client)
    if isinstance(instance, AccountPlan) and instance.status == AccountPlan.Status.APPROVED:
        raise PlanningError(_("An approved plan is kept; draft a new version instead."))
    audit_changes(
        actor=actor,
        instance=instance,
        changes={"record": (str(instance), None)},
        action=AuditEvent.Action.DELETE,
        client_id=client.pk,
    )
    instance.delete()


@transaction.atomic
def opportunity_competitors_set(
    *, actor: Actor, opportunity: Opportunity, competitors: list[Competitor]
) -> None:
    _may_change(actor, opportunity.client)
    old = sorted(c.name for c in opportunity.competitors.all())
    new = sorted(c.name for c in competitors)
    if old == new:
        return
    opportunity.competitors.set(competitors)
    audit_changes(
        actor=actor,
        instance=opportunity,
        changes={"competitors": (", ".join(old), ", ".join(new))},
        client_id=opportunity.client_id,
    )


# --- the plan's flow ----------------------------------------------------------------------


@transaction.atomic
def plan_draft(*, actor: Actor, client: Client, year: int) -> AccountPlan:
    """A new draft version for `year`, copied from the latest version (if any)."""
    _may_change(actor, client)
    if not client.is_key_account:
        raise PlanningError(_("Account plans are kept for key accounts."))
    latest = AccountPlan.objects.filter(client=client, year=year).order_by("-version").first()
    if latest is not None and latest.status == AccountPlan.Status.DRAFT:
        raise PlanningError(_("A draft of this plan exists already: edit it."))
    plan = AccountPlan(
        client=client,
        year=year,
        version=(latest.version + 1) if latest else 1,
        created_by=_person(actor),
    )
    if latest is not None:
        for field in PLAN_TEXT:
            setattr(plan, field, getattr(latest, field))
    _checked(plan)
    plan.save()
    audit_changes(
        actor=actor,
        instance=plan,
        changes={"year": (None, year), "version": (None, plan.version)},
        action=AuditEvent.Action.CREATE,
        client_id=client.pk,
    )
    return plan


def _plan_status(actor: Actor, plan: AccountPlan, status: str, **values: Any) -> AccountPlan:
    changes = apply_changes(plan, {"status": status, **values})
    plan.save()
    audit_changes(
        actor=actor,
        instance=plan,
        changes={k: v for k, v in changes.items() if k in ("status", "review_note")},
        client_id=plan.client_id,
    )
    return plan


@transaction.atomic
def plan_submit(*, actor: Actor, plan: AccountPlan) -> AccountPlan:
    _may_change(actor, plan.client)
    if plan.status != AccountPlan.Status.DRAFT:
        raise PlanningError(_("Only a draft is submitted."))
    if not plan.summary.strip():
        raise PlanningError(_("Write the plan's summary before submitting it."))
    return _plan_status(actor, plan, AccountPlan.Status.SUBMITTED, submitted_at=timezone.now())


@transaction.atomic
def plan_review(*, actor: Actor, plan: AccountPlan, approve: bool, note: str = "") -> AccountPlan:
    """A director approves a submitted plan, or returns it to draft with a note."""
    if getattr(actor.user, "role", None) not in ALL_CHANGING or not actor.user.is_active:
        raise PlanningNotAllowedError(_("Only a director approves account plans."))
    if plan.status != AccountPlan.Status.SUBMITTED:
        raise PlanningError(_("Only a submitted plan is reviewed."))
    note = (note or "").strip()
    if approve:
        return _plan_status(
            actor,
            plan,
            AccountPlan.Status.APPROVED,
            approved_by=_person(actor),
            approved_at=timezone.now(),
            review_note=note,
        )
    if not note:
        raise PlanningError(_("Say why the plan goes back to draft."))
    return _plan_status(actor, plan, AccountPlan.Status.DRAFT, review_note=note)


# --- the market and the competitor register -----------------------------------------------


@transaction.atomic
def market_note_save(
    *, actor: Actor, values: Mapping[str, Any], instance: MarketNote | None = None
) -> MarketNote:
    _market(actor)
    allowed = {"segment", "year", "title", "body", "growth", "source", "noted_on"}
    if set(values) - allowed:
        raise PlanningError(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(set(values) - allowed))}
        )
    note = instance or MarketNote(created_by=_person(actor))
    changes = apply_changes(note, values)
    _checked(note, exclude=("created_by",))
    creating = note.pk is None
    note.save()
    audit_changes(
        actor=actor,
        instance=note,
        changes=changes,
        action=AuditEvent.Action.CREATE if creating else AuditEvent.Action.UPDATE,
    )
    return note


@transaction.atomic
def competitor_save(
    *, actor: Actor, values: Mapping[str, Any], instance: Competitor | None = None
) -> Competitor:
    """The register is shared: directors and marketing keep it; managers may add to it."""
    role = getattr(actor.user, "role", None)
    if instance is not None or role != Role.KEY_ACCOUNT_MANAGER:
        _market(actor)
    if set(values) - {"name", "website", "notes"}:
        raise PlanningError(_("Unknown fields."))
    competitor = instance or Competitor()
    changes = apply_changes(competitor, values)
    _checked(competitor)
    creating = competitor.pk is None
    try:
        with transaction.atomic():
            competitor.save()
    except IntegrityError as error:
        raise PlanningError(_("A competitor with this name exists.")) from error
    audit_changes(
        actor=actor,
        instance=competitor,
        changes=changes,
        action=AuditEvent.Action.CREATE if creating else AuditEvent.Action.UPDATE,
    )
    return competitor


MARKET_LOGGERS = frozenset({*MARKET_ROLES, Role.KEY_ACCOUNT_MANAGER})


def may_log_market(user: Any) -> bool:
    """Directors, marketing and key-account managers log what competitors do in the market."""
    return bool(
        user is not None
        and getattr(user, "is_active", False)
        and getattr(user, "role", None) in MARKET_LOGGERS
    )


@transaction.atomic
def market_action_save(*, actor: Actor, values: Mapping[str, Any]) -> CompetitorAction:
    """A competitor action seen in the market rather than at one account (no client)."""
    if not may_log_market(actor.user):
        raise PlanningNotAllowedError(
            _("Only directors, marketing and key-account managers log market actions.")
        )
    allowed = set(FIELDS[CompetitorAction])
    if set(values) - allowed:
        raise PlanningError(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(set(values) - allowed))}
        )
    action = CompetitorAction(client=None, entered_by=_person(actor))
    for field, value in values.items():
        setattr(action, field, value)
    _checked(action, exclude=("client", "entered_by"))
    action.save()
    audit_changes(
        actor=actor,
        instance=action,
        changes={f: (None, v) for f, v in values.items()},
        action=AuditEvent.Action.CREATE,
    )
    return action


def objectives_propose(
    *, client: Client, year: int, actuals: Mapping[str, Decimal]
) -> list[tuple[str, Decimal, MarketNote]]:
    """Revenue objectives proposed from the market: last year's revenue × (1 + growth).

    `actuals` maps a category ("" = all) to last year's net revenue. The latest
    note with a growth assumption for the segment (the category, or blank for
    the whole market) proposes; nothing is saved.
    """
    notes: dict[str, MarketNote] = {}
    for row in MarketNote.objects.filter(year=year, growth__isnull=False).order_by("noted_on"):
        notes[row.segment] = row
    proposals = []
    for category, revenue in sorted(actuals.items()):
        found = notes.get(category)
        if found is None or found.growth is None or revenue <= 0:
            continue
        target = (revenue * (1 + found.growth)).quantize(Decimal("0.01"))
        proposals.append((category, target, found))
    return proposals
