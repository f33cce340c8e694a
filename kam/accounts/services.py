"""Writes of the key-account programme: each checks who may act, audits, and notifies.

Who may do what (on top of kam.clients.access):

- scoring models, designation, revocation, tier, manager assignment: a director
  (or an admin);
- the account team, partnership intent, our position, wallet estimates and
  the relationship stage: whoever may change the client (its manager, a
  director, an admin).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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
from kam.analytics.core.portfolio import Thresholds
from kam.analytics.core.scoring import EQUAL_WEIGHTS, WeightsError, weights_normalise
from kam.audit.models import AuditEvent
from kam.audit.services import Actor, apply_changes, audit_changes
from kam.clients.access import ALL_CHANGING, editable_clients
from kam.clients.models import AccountTeamMember, Client, Tier
from kam.clients.services import MANAGER_ROLES
from kam.common.errors import DomainError
from kam.people.models import User

DEFAULT_MODEL = "Equal weights"


class AccountsError(DomainError):
    code = "invalid_input"


class NotAllowedError(DomainError):
    code = "forbidden"


SYSTEM_INTERFACES = frozenset({AuditEvent.Interface.CLI, AuditEvent.Interface.SYSTEM})


def _is_system(actor: Actor) -> bool:
    """The command line and the system itself (data work, demo data) act for the company.

    Only an actor without a person, on one of those interfaces: the web pages and
    the API always act as the signed-in person, so their checks are unchanged.
    """
    return actor.user is None and actor.interface in SYSTEM_INTERFACES


def _director(actor: Actor) -> None:
    if _is_system(actor):
        return
    user = actor.user
    if user is None or not user.is_active or getattr(user, "role", None) not in ALL_CHANGING:
        raise NotAllowedError(_("Only a director may do this."))


def _changeable(actor: Actor) -> QuerySet[Client]:
    return Client.objects.all() if _is_system(actor) else editable_clients(actor.user)


def _may_change(actor: Actor, client: Client) -> None:
    if not _changeable(actor).filter(pk=client.pk).exists():
        raise NotAllowedError(_("You may not change this client."))


def _created(actor: Actor, instance: Model, client: Client, fields: Iterable[str]) -> None:
    changes = {f: (None, getattr(instance, f)) for f in fields}
    audit_changes(
        actor=actor,
        instance=instance,
        changes=changes,
        action=AuditEvent.Action.CREATE,
        client_id=client.pk,
    )


def _notify(
    recipient: User | None, kind: str, client: Client, actor: Actor, detail: str = ""
) -> None:
    if recipient is None or not recipient.is_active:
        return
    if getattr(actor.user, "pk", None) == recipient.pk:
        return  # nobody needs telling what they did themselves
    Notification.objects.create(
        recipient=recipient, kind=kind, client=client, detail=detail, actor_label=actor.name
    )


def _text(value: Any, label: str, *, required: bool = True, limit: int = 5000) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise AccountsError(_("%(field)s must be text.") % {"field": label})
    if "\x00" in text:  # PostgreSQL cannot store it
        raise AccountsError(_("%(field)s holds a NUL character.") % {"field": label})
    if required and not text:
        raise AccountsError(_("%(field)s is required.") % {"field": label})
    if len(text) > limit:
        raise AccountsError(
            _("%(field)s has at most %(limit)d characters.") % {"field": label, "limit": limit}
        )
    return text


def _rating(value: Any, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise AccountsError(_("%(field)s is a whole number from 1 to 5.") % {"field": label})
    return value


def _date(value: Any, label: str) -> dt.date:
    if not isinstance(value, dt.date):
        raise AccountsError(_("%(field)s must be a date.") % {"field": label})
    if value > timezone.localdate():
        raise AccountsError(_("%(field)s cannot be in the future.") % {"field": label})
    return value


# --- scoring models ---------------------------------------------------------------------


def scoring_model_default() -> ScoringModel:
    """The default model; equal weights are created the first time one is needed."""
    model = ScoringModel.objects.filter(is_default=True).first()
    if model is not None:
        return model
    model, _created_now = ScoringModel.objects.get_or_create(
        name=DEFAULT_MODEL,
        defaults={
            "weights": dict(EQUAL_WEIGHTS),
            "description": "Every criterion weighs the same.",
        },
    )
    if not ScoringModel.objects.filter(is_default=True).exists():
        ScoringModel.objects.filter(pk=model.pk).update(is_default=True)
        model.is_default = True
    return model


@transaction.atomic
def scoring_model_save(
    *,
    actor: Actor,
    name: str,
    weights: Mapping[str, float],
    attractiveness_threshold: float = 50.0,
    strength_threshold: float = 50.0,
    description: str = "",
    is_default: bool = False,
    model: ScoringModel | None = None,
) -> ScoringModel:
    """Create or change a named scoring model (weights are stored normalised)."""
    _director(actor)
    name = _text(name, _("Name"), limit=80)
    try:
        normalised = weights_normalise(weights)
        Thresholds(float(attractiveness_threshold), float(strength_threshold))
    except WeightsError as error:
        raise AccountsError(_("Weights: %(reason)s") % {"reason": error}) from error
    except (TypeError, ValueError) as error:
        raise AccountsError(_("Quadrant thresholds lie between 0 and 100.")) from error
    clash = ScoringModel.objects.filter(name=name)
    if model is not None:
        clash = clash.exclude(pk=model.pk)
    if clash.exists():
        raise AccountsError(_("A scoring model with this name exists."))
    values = {
        "name": name,
        "description": _text(description, _("Description"), required=False, limit=255),
        "weights": {c: round(w, 6) for c, w in normalised.items()},
        "attractiveness_threshold": float(attractiveness_threshold),
        "strength_threshold": float(strength_threshold),
        "is_default": bool(is_default) or (model is not None and model.is_default),
    }
    if model is None:
        model = ScoringModel.objects.create(**values)
        _model_audit(actor, model, {k: (None, v) for k, v in values.items()}, create=True)
    else:
        changes = apply_changes(model, values)
        if changes:
            model.save()
            _model_audit(actor, model, changes, create=False)
    if model.is_default:
        ScoringModel.objects.exclude(pk=model.pk).filter(is_default=True).update(is_default=False)
    return model


def _model_audit(
    actor: Actor, model: ScoringModel, changes: dict[str, tuple[Any, Any]], *, create: bool
) -> None:
    audit_changes(
        actor=actor,
        instance=model,
        changes=changes,
        action=AuditEvent.Action.CREATE if create else AuditEvent.Action.UPDATE,
    )


@transaction.atomic
def scoring_model_delete(*, actor: Actor, model: ScoringModel) -> None:
    _director(actor)
    if model.is_default:
        raise AccountsError(_("The default model cannot be deleted; make another the default."))
    audit_changes(
        actor=actor,
        instance=model,
        changes={"name": (model.name, None)},
        action=AuditEvent.Action.DELETE,
    )
    model.delete()


# --- designation and organisation -------------------------------------------------------


def _tier(value: Any) -> str:
    if value not in Tier.values:
        raise AccountsError(_("Choose a tier: 1, 2 or 3."))
    return str(value)


def _manager(value: Any) -> User:
    if not isinstance(value, User) or not value.is_active or value.role not in MANAGER_ROLES:
        raise AccountsError(_("A client's manager is an active key-account manager or director."))
    return value


@transaction.atomic
def key_account_designate(
    *,
    actor: Actor,
    client: Client,
    tier: str,
    reason: str,
    manager: User | None = None,
    handover_note: str = "",
) -> Designation:
    """Make `client` a key account (or change its tier), optionally assigning its manager.

    A client that already has a manager changes hands as a key account: the
    hand-over note is then required, as for any reassignment.
    """
    _director(actor)
    tier = _tier(tier)
    reason = _text(reason, _("Reason"))
    client = Client.objects.select_for_update().get(pk=client.pk)
    if client.is_key_account and client.tier == tier and manager in (None, client.manager):
        raise AccountsError(_("This client is already a key account of this tier."))
    action = Designation.Action.RETIER if client.is_key_account else Designation.Action.DESIGNATE
    changes = apply_changes(client, {"is_key_account": True, "tier": tier})
    if changes:
        client.save(update_fields=[*changes, "updated_at"])
        audit_changes(actor=actor, instance=client, changes=changes, client_id=client.pk)
    designation = Designation.objects.create(
        client=client, action=action, tier=tier, reason=reason, decided_by=_person(actor)
    )
    _created(actor, designation, client, ("action", "tier", "reason"))
    if manager is not None and manager != client.manager:
        manager_assign(actor=actor, client=client, manager=manager, handover_note=handover_note)
    elif action == Designation.Action.DESIGNATE:
        _notify(client.manager, Notification.Kind.DESIGNATED, client, actor, reason)
    return designation


@transaction.atomic
def key_account_revoke(*, actor: Actor, client: Client, reason: str) -> Designation:
    """End `client`'s key-account status; its manager and team stay for the record."""
    _director(actor)
    reason = _text(reason, _("Reason"))
    client = Client.objects.select_for_update().get(pk=client.pk)
    if not client.is_key_account:
        raise AccountsError(_("This client is not a key account."))
    changes = apply_changes(client, {"is_key_account": False, "tier": ""})
    client.save(update_fields=[*changes, "updated_at"])
    audit_changes(actor=actor, instance=client, changes=changes, client_id=client.pk)
    designation = Designation.objects.create(
        client=client, action=Designation.Action.REVOKE, reason=reason, decided_by=_person(actor)
    )
    _created(actor, designation, client, ("action", "reason"))
    _notify(client.manager, Notification.Kind.REVOKED, client, actor, reason)
    return designation


@transaction.atomic
def manager_assign(
    *, actor: Actor, client: Client, manager: User | None, handover_note: str
) -> ManagerAssignment:
    """Give `client` its one key-account manager (None: nobody), keeping the history."""
    _director(actor)
    if manager is not None:
        manager = _manager(manager)
    note = _text(handover_note, _("Hand-over note"), required=False)
    client = Client.objects.select_for_update().get(pk=client.pk)
    previous = client.manager
    if previous == manager:
        raise AccountsError(_("This person already manages the account."))
    if previous is not None and client.is_key_account and not note:
        raise AccountsError(_("Write a hand-over note for the new manager."))
    client.manager = manager
    client.save(update_fields=["manager", "updated_at"])
    audit_changes(
        actor=actor, instance=client, changes={"manager": (previous, manager)}, client_id=client.pk
    )
    assignment = ManagerAssignment.objects.create(
        client=client,
        manager=manager,
        previous=previous,
        handover_note=note,
        assigned_by=_person(actor),
    )
    _created(actor, assignment, client, ("manager", "previous", "handover_note"))
    _notify(manager, Notification.Kind.ASSIGNED, client, actor, note)
    _notify(previous, Notification.Kind.UNASSIGNED, client, actor, note)
    return assignment


@transaction.atomic
def account_team_add(
    *, actor: Actor, client: Client, user: User, function: str, role_on_account: str = ""
) -> AccountTeamMember:
    """Put a person on the client's cross-functional account team (or change their part)."""
    _may_change(actor, client)
    if not isinstance(user, User) or not user.is_active:
        raise AccountsError(_("Choose an active person."))
    if function not in AccountTeamMember.Function.values:
        raise AccountsError(_("Choose a function."))
    role = _text(role_on_account, _("Role on the account"), required=False, limit=120)
    member = AccountTeamMember.objects.filter(client=client, user=user).first()
    if member is None:
        member = AccountTeamMember.objects.create(
            client=client, user=user, function=function, role_on_account=role
        )
        _created(actor, member, client, ("user", "function", "role_on_account"))
        _notify(user, Notification.Kind.TEAM_ADDED, client, actor, role)
        return member
    changes = apply_changes(member, {"function": function, "role_on_account": role})
    if changes:
        member.save()
        audit_changes(actor=actor, instance=member, changes=changes, client_id=client.pk)
    return member


@transaction.atomic
def account_team_remove(*, actor: Actor, member: AccountTeamMember) -> None:
    client = member.client
    _may_change(actor, client)
    audit_changes(
        actor=actor,
        instance=member,
        changes={"user": (member.user, None), "function": (member.function, None)},
        action=AuditEvent.Action.DELETE,
        client_id=client.pk,
    )
    member.delete()


# --- judgements about the client ---------------------------------------------------------


@transaction.atomic
def relationship_stage_record(
    *, actor: Actor, client: Client, stage: str, noted_on: dt.date, evidence: str
) -> RelationshipStage:
    _may_change(actor, client)
    if stage not in RelationshipStage.Stage.values:
        raise AccountsError(_("Choose a relationship stage."))
    row = RelationshipStage.objects.create(
        client=client,
        stage=stage,
        noted_on=_date(noted_on, _("Date")),
        evidence=_text(evidence, _("Evidence")),
        entered_by=_person(actor),
    )
    _created(actor, row, client, ("stage", "noted_on", "evidence"))
    return row


R = TypeVar("R", PartnershipIntent, PositionRating)


def _rating_record(
    model: type[R],
    label: str,
    actor: Actor,
    client: Client,
    rating: int,
    noted_on: dt.date,
    note: str,
) -> R:
    _may_change(actor, client)
    row = model.objects.create(
        client=client,
        rating=_rating(rating, label),
        noted_on=_date(noted_on, _("Date")),
        note=_text(note, _("Note"), required=False),
        entered_by=_person(actor),
    )
    _created(actor, row, client, ("rating", "noted_on", "note"))
    return row


@transaction.atomic
def partnership_intent_record(
    *, actor: Actor, client: Client, rating: int, noted_on: dt.date, note: str = ""
) -> PartnershipIntent:
    label = _("Partnership intent")
    return _rating_record(PartnershipIntent, label, actor, client, rating, noted_on, note)


@transaction.atomic
def position_rating_record(
    *, actor: Actor, client: Client, rating: int, noted_on: dt.date, note: str = ""
) -> PositionRating:
    label = _("Our position")
    return _rating_record(PositionRating, label, actor, client, rating, noted_on, note)


@dataclass(frozen=True, slots=True)
class WalletRow:
    """One wallet estimate as given by a person or a file."""

    client: str  # the client id of the ledger
    year: Any
    category: Any
    amount: Any
    source: Any
    confidence: Any = WalletEstimate.Confidence.MEDIUM


@dataclass(frozen=True, slots=True)
class WalletProblem:
    row: int
    column: str
    value: str
    reason: str


class WalletImportError(AccountsError):
    code = "invalid_wallet_estimates"

    def __init__(self, problems: list[WalletProblem]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(
            ngettext(
                "%(count)d problem; row %(row)d, %(column)s %(value)r: %(reason)s",
                "%(count)d problems; first: row %(row)d, %(column)s %(value)r: %(reason)s",
                len(problems),
            )
            % {
                "count": len(problems),
                "row": first.row,
                "column": first.column,
                "value": first.value,
                "reason": first.reason,
            }
        )


def _wallet_values(
    row: WalletRow, number: int, clients: dict[str, Client]
) -> tuple[dict[str, Any] | None, list[WalletProblem]]:
    problems: list[WalletProblem] = []

    def problem(column: str, value: Any, reason: str) -> None:
        problems.append(WalletProblem(number, column, "" if value is None else str(value), reason))

    for column in ("client", "category", "source", "confidence"):
        value = getattr(row, column)
        if isinstance(value, str) and "\x00" in value:
            problem(column, value.replace("\x00", "\\0"), _("holds a NUL character"))
    if problems:
        return None, problems
    client = clients.get(str(row.client or "").strip())
    if client is None:
        problem("client", row.client, _("unknown client, or not one you may change"))
    try:
        year = int(str(row.year).strip())
        if not 1900 <= year <= 2999:
            raise ValueError
    except ValueError:
        problem("year", row.year, _("not a year"))
        year = 0
    try:
        amount = Decimal(str(row.amount).strip())
        if not amount.is_finite() or amount < 0 or amount >= Decimal("1e16"):
            raise InvalidOperation
        amount = amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        problem("amount", row.amount, _("not an amount of zero or more"))
        amount = Decimal(0)
    category = str(row.category or "").strip()
    if len(category) > 255:
        problem("category", category, _("longer than 255 characters"))
    source = str(row.source or "").strip()
    if not source or len(source) > 255:
        problem("source", row.source, _("say where the estimate comes from (1 to 255 characters)"))
    confidence = str(row.confidence or WalletEstimate.Confidence.MEDIUM).strip().lower()
    if confidence not in WalletEstimate.Confidence.values:
        problem("confidence", row.confidence, _("low, medium or high"))
    if problems or client is None:
        return None, problems
    values = {
        "client": client,
        "year": year,
        "category": category,
        "amount": amount,
        "source": source,
        "confidence": confidence,
    }
    return values, []


@transaction.atomic
def wallet_estimates_save(*, actor: Actor, rows: Iterable[WalletRow]) -> tuple[int, int]:
    """Create or replace wallet estimates, all or none; returns (created, changed).

    Every row is checked first; any problem refuses the whole set with every
    problem listed (row numbers count from 1).
    """
    rows = list(rows)
    if not rows:
        raise AccountsError(_("No wallet estimates given."))
    # a NUL cannot be stored (PostgreSQL refuses it in text): such a row is a problem below
    ids = {i for i in (str(r.client or "").strip() for r in rows) if "\x00" not in i}
    clients = {c.external_id: c for c in _changeable(actor).filter(external_id__in=ids)}
    problems: list[WalletProblem] = []
    valid: list[dict[str, Any]] = []
    seen: dict[tuple[str, int, str], int] = {}
    for number, row in enumerate(rows, start=1):
        values, found = _wallet_values(row, number, clients)
        problems.extend(found)
        if values is None:
            continue
        key = (values["client"].external_id, values["year"], values["category"])
        if key in seen:
            problems.append(
                WalletProblem(
                    number,
                    "category",
                    values["category"],
                    _("the same client, year and category as row %(row)d") % {"row": seen[key]},
                )
            )
            continue
        seen[key] = number
        valid.append(values)
    if problems:
        raise WalletImportError(problems)
    created = changed = 0
    person = _person(actor)
    for values in valid:
        client = values["client"]
        existing = WalletEstimate.objects.filter(
            client=client, year=values["year"], category=values["category"]
        ).first()
        if existing is None:
            estimate = WalletEstimate.objects.create(**values, entered_by=person)
            _created(
                actor, estimate, client, ("year", "category", "amount", "source", "confidence")
            )
            created += 1
            continue
        changes = apply_changes(
            existing,
            {k: values[k] for k in ("amount", "source", "confidence")},
        )
        if changes:
            existing.entered_by = person
            existing.save()
            audit_changes(actor=actor, instance=existing, changes=changes, client_id=client.pk)
            changed += 1
    return created, changed


@transaction.atomic
def wallet_estimate_delete(*, actor: Actor, estimate: WalletEstimate) -> None:
    _may_change(actor, estimate.client)
    audit_changes(
        actor=actor,
        instance=estimate,
        changes={"amount": (estimate.amount, None)},
        action=AuditEvent.Action.DELETE,
        client_id=estimate.client_id,
    )
    estimate.delete()


# --- notifications ------------------------------------------------------------------------


def notifications_mark_read(*, user: Any, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all when `ids` is None); returns how many."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def _person(actor: Actor) -> User | None:
    user = actor.user
    return user if isinstance(user, User) and user.pk else None
