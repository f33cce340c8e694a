"""Every route, for every role: allowed requests work, denied ones change nothing.

The test walks Django's URL resolver, so a new page or API operation that is
not classified in ROUTES fails the suite until someone decides who may use it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver

from kam.accounts.models import ScoringModel, WalletEstimate
from kam.api.models import ApiToken
from kam.api.services import token_create
from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.clients.models import AccountTeamMember, Client
from kam.ledger.models import ImportJob, SavedMapping
from kam.ledger.uploads import upload_save
from kam.people.models import Team, User
from kam.people.services import user_create

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery-9"
ROLES = ("admin", "director", "kam", "team", "marketing", "service", "analyst")
EVERYONE = frozenset(ROLES)
PUBLIC = frozenset({"", *ROLES})
IMPORTERS = frozenset({"admin", "director"})
ADMINS = frozenset({"admin"})
SEE_C1 = frozenset({"admin", "director", "analyst", "marketing", "kam", "team"})
CHANGE_C1 = frozenset({"admin", "director", "kam"})
DECIDERS = frozenset({"admin", "director"})
MARKET_KEEPERS = frozenset({"admin", "director", "marketing"})  # market notes


@dataclass(frozen=True)
class Route:
    method: str
    path: Callable[[dict[str, Any]], str]
    allowed: frozenset[str]
    data: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]] = field(default_factory=dict)
    api: bool = False


def _static(path: str) -> Callable[[dict[str, Any]], str]:
    return lambda world: path


# key-account work: who logs market actions and adds to the competitor register; where
# each kind of record is added and changed; valid values for each
MARKET_LOGGERS = frozenset({"admin", "director", "marketing", "kam"})
_WORK_ADD = {
    "stakeholder": "buying/people/new",
    "step": "buying/steps/new",
    "deal": "deals/new",
    "negotiation": "deals/log/new",
    "presence": "competitors/present/new",
    "competitor_action": "competitors/actions/new",
    "task": "actions/new",
    "ask": "actions/ask",
}
_WORK_CHANGE = {
    "stakeholder": "buying/people",
    "step": "buying/steps",
    "deal": "deals",
    "presence": "competitors/present",
    "task": "actions",
}
_WORK_VALUES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "stakeholder": lambda w: {"name": "Ana", "role": "buyer", "influence": "3", "attitude": "0"},
    "step": lambda w: {"position": "1", "name": "Tender"},
    "deal": lambda w: {
        "title": "Roofs",
        "stage": "lead",
        "value": "10",
        "probability": "10",
        "expected_close": "2026-05-01",
    },
    "negotiation": lambda w: {"happened_on": "2026-01-02", "summary": "Talked"},
    "presence": lambda w: {"competitor": w["work"]["competitor"].pk, "estimated_share": "10"},
    "competitor_action": lambda w: {
        "competitor": w["work"]["competitor"].pk,
        "happened_on": "2026-01-02",
        "kind": "price",
        "description": "Cut",
        "source": "Buyer",
    },
    "task": lambda w: {
        "title": "Call",
        "owner": w["people"]["kam"].pk,
        "due_on": "2026-01-02",
        "status": "open",
    },
    "ask": lambda w: {
        "title": "Data sheets",
        "function": "rnd",
        "owner": w["people"]["team"].pk,
        "due_on": "2026-01-02",
        "status": "open",
    },
}


def _work_values(kind: str, *, new: bool) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The form data adding (new) or changing the world's record of `kind`."""

    def data(world: dict[str, Any]) -> dict[str, Any]:
        prefix = f"{kind}-new" if new else f"{kind}-{world['work'][kind].pk}"
        return {f"{prefix}-{name}": value for name, value in _WORK_VALUES[kind](world).items()}

    return data


def _work_path(kind: str, where: str, *, fresh: bool = False) -> Callable[[dict[str, Any]], str]:
    """A record's address; `fresh`: a new record to delete, so each request deletes its own."""

    def address(world: dict[str, Any]) -> str:
        if fresh:
            return f"/accounts/C1/{where}/{_work_fresh(kind, world).pk}/delete/"
        return f"/accounts/C1/{where}/{world['work'][kind].pk}/"

    return address


# key-account work through the API: operation id of one record -> (of the list, address,
# a change); what a new record holds
_API_KINDS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "objective": ("objectives", "objectives", {"target": "2000"}),
    "stakeholder": ("stakeholders", "stakeholders", {"influence": 4}),
    "purchasing_step": ("purchasing_steps", "purchasing-steps", {"name": "Offer"}),
    "competitor_presence": (
        "competitor_presences",
        "competitor-presences",
        {"price_position": "lower"},
    ),
    "opportunity": ("opportunities", "opportunities", {"stage": "qualified"}),
    "negotiation": ("negotiations", "negotiations", {"outcome": "Agreed"}),
    "task": ("tasks", "tasks", {"status": "in_progress"}),
}
_API_WORK = {"purchasing_step": "step", "competitor_presence": "presence", "opportunity": "deal"}
_API_ACTION = {
    "competitor": "Rival",
    "happened_on": "2026-01-02",
    "kind": "price",
    "description": "Cut",
    "source": "Buyer",
}
_API_NEW: dict[str, dict[str, Any]] = {
    "objective": {"year": 2024, "measure": "revenue", "target": "1000"},
    "stakeholder": {"name": "Ana", "role": "buyer", "influence": 3},
    "purchasing_step": {"position": 2, "name": "Tender"},
    "opportunity": {
        "title": "Roofs",
        "value": "10",
        "probability": 10,
        "expected_close": "2026-05-01",
        "competitors": ["Rival"],
    },
    "negotiation": {"happened_on": "2026-01-02", "summary": "Talked"},
    "task": {"title": "Call", "owner": "kam", "due_on": "2026-01-02"},
}


def _api_record(one: str, *, fresh: bool = False) -> Callable[[dict[str, Any]], str]:
    where = _API_KINDS[one][1]

    def address(world: dict[str, Any]) -> str:
        existing = world["work"].get(_API_WORK.get(one, one))
        record = existing if existing is not None and not fresh else _api_fresh(one, world)
        return f"/api/v1/{where}/{record.pk}"

    return address


def _api_new(one: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def data(world: dict[str, Any]) -> dict[str, Any]:
        if one == "competitor_presence":  # one presence per competitor: a new one each time
            from kam.planning.models import Competitor

            name = f"Present {_api_count('Competitor')}"
            return {"competitor": Competitor.objects.create(name=name).name}
        if one == "objective":
            return {**_API_NEW[one], "category": f"Cat {_api_count('Objective')}"}
        return _API_NEW[one]

    return data


def _accounts_api_routes() -> dict[str, Route]:
    """The key-account API operations; C1 is managed by "kam", "team" is on its team."""
    c1 = "/api/v1/clients/C1"
    margins = frozenset({"admin", "director", "analyst", "kam"})
    today = "2024-01-02"
    reads = {
        "selection_list": ("/api/v1/selection?year=1997", EVERYONE),
        "selection_matrix": ("/api/v1/selection/matrix?year=1997", EVERYONE),
        "scoring_models_list": ("/api/v1/scoring-models", EVERYONE),
        "designations_list": (f"{c1}/designations", SEE_C1),
        "manager_history": (f"{c1}/manager-history", SEE_C1),
        "account_team_list": (f"{c1}/account-team", SEE_C1),
        "relationship_stages_list": (f"{c1}/relationship-stages", SEE_C1),
        "partnership_intents_list": (f"{c1}/partnership-intents", SEE_C1),
        "position_ratings_list": (f"{c1}/position-ratings", SEE_C1),
        "wallet_estimates_list": ("/api/v1/wallet-estimates", margins),
        "notifications_list": ("/api/v1/notifications", EVERYONE),
        "organisation": ("/api/v1/organisation", EVERYONE),
    }
    routes = {
        f"api:{name}": Route("GET", _static(path), allowed, api=True)
        for name, (path, allowed) in reads.items()
    }
    model = {"name": "Volume", "weights": {"volume": 1}}
    writes: dict[str, tuple[str, Callable[[dict[str, Any]], str], frozenset[str], Any]] = {
        "scoring_model_create": ("POST", _static("/api/v1/scoring-models"), DECIDERS, model),
        "scoring_model_update": (
            "PUT",
            lambda w: f"/api/v1/scoring-models/{w['scoring_model'].pk}",
            DECIDERS,
            {"name": "Tested", "weights": {"volume": 1, "growth": 1}},
        ),
        "scoring_model_delete": (
            "DELETE",
            lambda w: f"/api/v1/scoring-models/{_accounts_fresh('model', w).pk}",
            DECIDERS,
            {},
        ),
        "designation_create": (
            "POST",
            _static(f"{c1}/designation"),
            DECIDERS,
            {"tier": "1", "reason": "Largest buyer, wants a partnership"},
        ),
        "revocation_create": (
            "POST",
            _static("/api/v1/clients/C2/revocation"),
            DECIDERS,
            {"reason": "Shrinking"},
        ),
        "manager_set": (
            "PUT",
            _static(f"{c1}/manager"),
            DECIDERS,
            {"manager": None, "handover_note": "Open deals are in the plan"},
        ),
        "account_team_add": (
            "POST",
            _static(f"{c1}/account-team"),
            CHANGE_C1,
            {"user": "analyst", "function": "rnd", "role_on_account": "Lab"},
        ),
        "account_team_remove": (
            "DELETE",
            lambda w: f"{c1}/account-team/{_accounts_fresh('member', w).user.username}",
            CHANGE_C1,
            {},
        ),
        "relationship_stage_add": (
            "POST",
            _static(f"{c1}/relationship-stages"),
            CHANGE_C1,
            {"stage": "basic", "noted_on": today, "evidence": "Orders every month"},
        ),
        "partnership_intent_add": (
            "POST",
            _static(f"{c1}/partnership-intents"),
            CHANGE_C1,
            {"rating": 4, "noted_on": today, "note": "Asked for a framework deal"},
        ),
        "position_rating_add": (
            "POST",
            _static(f"{c1}/position-ratings"),
            CHANGE_C1,
            {"rating": 3, "noted_on": today},
        ),
        "wallet_estimates_save": (
            "POST",
            _static("/api/v1/wallet-estimates"),
            CHANGE_C1,
            {"estimates": [{"client": "C1", "year": 2024, "amount": "1000", "source": "Fair"}]},
        ),
        "wallet_estimate_delete": (
            "DELETE",
            lambda w: f"/api/v1/wallet-estimates/{_accounts_fresh('wallet', w).pk}",
            CHANGE_C1,
            {},
        ),
        "notifications_read": ("POST", _static("/api/v1/notifications/read"), EVERYONE, {}),
    }
    for name, (method, path, allowed, data) in writes.items():
        routes[f"api:{name}"] = Route(method, path, allowed, data, api=True)
    routes["api:scoring_model_get"] = Route(
        "GET", lambda w: f"/api/v1/scoring-models/{w['scoring_model'].pk}", EVERYONE, api=True
    )
    return routes


def _accounts_fresh(kind: str, world: dict[str, Any]) -> Any:
    """A record for one request to change or delete: each allowed request has its own."""
    c1 = Client.objects.get(external_id="C1")
    n = ScoringModel.objects.count() + WalletEstimate.objects.count()
    if kind == "model":
        return ScoringModel.objects.create(name=f"Gone api {n}", weights={"volume": 1})
    if kind == "wallet":
        return WalletEstimate.objects.create(
            client=c1, year=2020, category=f"Fresh {n}", amount=Decimal(1), source="Fair"
        )
    member, _new = AccountTeamMember.objects.get_or_create(
        client=c1, user=world["people"]["marketing"], defaults={"function": "marketing"}
    )
    return member


ROUTES: dict[str, Route] = {
    # pages
    "dashboard": Route("GET", _static("/"), EVERYONE),
    "login": Route("GET", _static("/login/"), PUBLIC),
    "logout": Route("POST", _static("/logout/"), PUBLIC),
    "language_set": Route("POST", _static("/language/"), PUBLIC, {"language": "ro"}),
    "health": Route("GET", _static("/health/"), PUBLIC),
    "me": Route("GET", _static("/me/"), EVERYONE),
    "me_password": Route("GET", _static("/me/password/"), EVERYONE),
    "tokens:list": Route("GET", _static("/me/tokens/"), EVERYONE),
    "tokens:revoke": Route("POST", lambda w: f"/me/tokens/{w['admin_token'].pk}/revoke/", ADMINS),
    "people:list": Route("GET", _static("/people/"), ADMINS),
    "people:create": Route(
        "POST",
        _static("/people/new/"),
        ADMINS,
        {
            "username": "newcomer",
            "password1": "a-long-passphrase-77",
            "password2": "a-long-passphrase-77",
            "role": "analyst",
        },
    ),
    "people:edit": Route("GET", lambda w: f"/people/{w['people']['analyst'].pk}/", ADMINS),
    "people:password": Route(
        "GET", lambda w: f"/people/{w['people']['analyst'].pk}/password/", ADMINS
    ),
    "people:team_create": Route(
        "POST", _static("/people/teams/new/"), ADMINS, {"name": "Sneaky team"}
    ),
    "people:team_edit": Route("GET", lambda w: f"/people/teams/{w['team'].pk}/", ADMINS),
    "clients:list": Route("GET", _static("/clients/"), EVERYONE),
    "clients:export": Route("GET", _static("/clients/export.csv"), EVERYONE),
    "clients:detail": Route("GET", _static("/clients/C1/"), SEE_C1),
    "imports:list": Route("GET", _static("/imports/"), IMPORTERS),
    "imports:upload": Route("POST", _static("/imports/upload/"), IMPORTERS),
    "imports:mapping": Route("GET", lambda w: f"/imports/uploads/{w['upload'].id}/", IMPORTERS),
    "imports:job": Route("GET", lambda w: f"/imports/jobs/{w['job'].pk}/", IMPORTERS),
    "imports:commit": Route("POST", lambda w: f"/imports/jobs/{w['job'].pk}/commit/", IMPORTERS),
    "imports:problems": Route(
        "GET", lambda w: f"/imports/jobs/{w['job'].pk}/problems.csv", IMPORTERS
    ),
    # API operations
    "api:openapi-json": Route("GET", _static("/api/v1/openapi.json"), PUBLIC, api=True),
    "api:openapi-view": Route("GET", _static("/api/v1/docs"), PUBLIC, api=True),
    "api:api-root": Route("GET", _static("/api/v1/"), frozenset(), api=True),  # always 404
    "api:clients_list": Route("GET", _static("/api/v1/clients"), EVERYONE, api=True),
    "api:client_get": Route("GET", _static("/api/v1/clients/C1"), SEE_C1, api=True),
    "api:client_patch": Route(
        "PATCH", _static("/api/v1/clients/C1"), CHANGE_C1, {"name": "Renamed"}, api=True
    ),
    "api:client_metrics": Route("GET", _static("/api/v1/clients/C1/metrics"), SEE_C1, api=True),
    "api:analysis": Route("GET", _static("/api/v1/analysis?year=1997"), EVERYONE, api=True),
    "api:import_create": Route("POST", _static("/api/v1/imports"), IMPORTERS, api=True),
    "api:import_status": Route(
        "GET", lambda w: f"/api/v1/imports/{w['job'].pk}", IMPORTERS, api=True
    ),
    "api:import_problems": Route(
        "GET", lambda w: f"/api/v1/imports/{w['job'].pk}/problems", IMPORTERS, api=True
    ),
    "api:import_commit": Route(
        "POST", lambda w: f"/api/v1/imports/{w['job'].pk}/commit", IMPORTERS, api=True
    ),
    "api:users_list": Route("GET", _static("/api/v1/users"), ADMINS, api=True),
    "api:user_add": Route(
        "POST",
        _static("/api/v1/users"),
        ADMINS,
        {"username": "apinew", "password": "a-long-passphrase-88", "role": "analyst"},
        api=True,
    ),
    "api:user_patch": Route(
        "PATCH", _static("/api/v1/users/analyst"), ADMINS, {"role": "director"}, api=True
    ),
    # key-account work through the API: C1's records are read by whoever sees C1 and
    # written by whoever may change it; the world's task belongs to "team" (its owner)
    **{
        f"api:{name}": Route("GET", _static(f"/api/v1/clients/C1/{where}"), SEE_C1, api=True)
        for name, where in (
            ("plans_list", "plans"),
            ("objectives_list", "objectives?year=1997"),
            ("objectives_progress", "progress?year=1997"),
            ("share_of_wallet", "share-of-wallet?years=2023"),
            *((f"{many}_list", where) for many, where, _patch in _API_KINDS.values()),
        )
    },
    **{
        f"api:{one}_add": Route(
            "POST", _static(f"/api/v1/clients/C1/{where}"), CHANGE_C1, _api_new(one), api=True
        )
        for one, (_many, where, _patch) in _API_KINDS.items()
    },
    **{
        f"api:{one}_patch": Route(
            "PATCH",
            _api_record(one),
            CHANGE_C1 | ({"team"} if one == "task" else set()),
            patch,
            api=True,
        )
        for one, (_many, where, patch) in _API_KINDS.items()
    },
    **{
        f"api:{one}_delete": Route("DELETE", _api_record(one, fresh=True), CHANGE_C1, api=True)
        for one in _API_KINDS
    },
    "api:plan_add": Route(
        "POST",
        _static("/api/v1/clients/C2/plans"),
        CHANGE_C1,
        lambda w: {"year": 2000 + _api_count("AccountPlan")},
        api=True,
    ),
    "api:plan_get": Route("GET", lambda w: f"/api/v1/plans/{_api_plan()}", SEE_C1, api=True),
    "api:plan_patch": Route(
        "PATCH", lambda w: f"/api/v1/plans/{_api_plan()}", CHANGE_C1, {"summary": "Grow"}, api=True
    ),
    "api:plan_submit": Route(
        "POST", lambda w: f"/api/v1/plans/{_api_plan(fresh=True)}/submit", CHANGE_C1, api=True
    ),
    "api:plan_review": Route(
        "POST",
        lambda w: f"/api/v1/plans/{_api_plan(fresh=True, status='submitted')}/review",
        DECIDERS,
        {"approve": True},
        api=True,
    ),
    "api:my_tasks": Route("GET", _static("/api/v1/me/tasks"), EVERYONE, api=True),
    "api:competitors_list": Route("GET", _static("/api/v1/competitors"), EVERYONE, api=True),
    "api:competitor_add": Route(
        "POST",
        _static("/api/v1/competitors"),
        MARKET_LOGGERS,
        lambda w: {"name": f"Newco {_api_count('Competitor')}"},
        api=True,
    ),
    "api:competitor_actions_list": Route(
        "GET", _static("/api/v1/competitor-actions"), EVERYONE, api=True
    ),
    "api:competitor_action_add": Route(
        "POST",
        _static("/api/v1/competitor-actions"),
        CHANGE_C1,
        {**_API_ACTION, "client": "C1"},
        api=True,
    ),
    "api:market_notes_list": Route("GET", _static("/api/v1/market-notes"), EVERYONE, api=True),
    "api:market_note_add": Route(
        "POST",
        _static("/api/v1/market-notes"),
        frozenset({"admin", "director", "marketing"}),
        {"year": 2024, "title": "Housing", "growth": "0.05", "noted_on": "2024-01-02"},
        api=True,
    ),
    "api:white_space": Route("GET", _static("/api/v1/white-space?year=1997"), EVERYONE, api=True),
    "^(?P<rest>(?s:.*))$": Route("GET", _static("/api/v1/nowhere"), frozenset(), api=True),
    # organisation: key-account decisions on a client, the org chart, notifications
    "organisation:chart": Route("GET", _static("/organisation/"), EVERYONE),
    "organisation:notifications": Route("GET", _static("/organisation/notifications/"), EVERYONE),
    "organisation:notifications_read": Route(
        "POST", _static("/organisation/notifications/read/"), EVERYONE
    ),
    "organisation:designate": Route(
        "POST",
        _static("/organisation/clients/C1/designate/"),
        DECIDERS,
        {"tier": "1", "reason": "Largest buyer, wants a partnership"},
    ),
    "organisation:revoke": Route(
        "POST", _static("/organisation/clients/C2/revoke/"), DECIDERS, {"reason": "Shrinking"}
    ),
    "organisation:manager": Route(
        "POST",
        _static("/organisation/clients/C1/manager/"),
        DECIDERS,
        {"manager": "", "handover_note": "Open deals are in the plan"},
    ),
    "organisation:team": Route(
        "POST",
        _static("/organisation/clients/C1/team/"),
        CHANGE_C1,
        lambda w: {"user": w["people"]["team"].pk, "function": "rnd", "role_on_account": "Lab"},
    ),
    "organisation:team_remove": Route(
        "POST", lambda w: f"/organisation/clients/C1/team/{w['member'].pk}/remove/", CHANGE_C1
    ),
    "organisation:stage": Route(
        "POST",
        _static("/organisation/clients/C1/stage/"),
        CHANGE_C1,
        {"stage": "basic", "noted_on": "2024-01-02", "evidence": "Orders every month"},
    ),
    "organisation:intent": Route(
        "POST",
        _static("/organisation/clients/C1/intent/"),
        CHANGE_C1,
        {"rating": "4", "noted_on": "2024-01-02", "note": "Asked for a framework deal"},
    ),
    "organisation:position": Route(
        "POST",
        _static("/organisation/clients/C1/position/"),
        CHANGE_C1,
        {"rating": "3", "noted_on": "2024-01-02", "note": "Two rivals"},
    ),
    "organisation:wallet": Route(
        "POST",
        _static("/organisation/clients/C1/wallet/"),
        CHANGE_C1,
        {"year": "2024", "category": "", "amount": "1000", "source": "Report", "confidence": "low"},
    ),
    "organisation:wallet_delete": Route(
        "POST", lambda w: f"/organisation/clients/C1/wallet/{w['wallet'].pk}/delete/", CHANGE_C1
    ),
    # selection: the ranked candidates and their export for everyone signed in (each sees
    # the clients they may see); scoring models are listed to all, changed by a director
    "selection:list": Route("GET", _static("/selection/?year=1997"), EVERYONE),
    "selection:export": Route("GET", _static("/selection/export/?year=1997&format=csv"), EVERYONE),
    "selection:models": Route("GET", _static("/selection/models/"), EVERYONE),
    "selection:model_new": Route(
        "POST",
        _static("/selection/models/new/"),
        DECIDERS,
        lambda w: {
            "name": f"Model {ScoringModel.objects.count()}",
            "weight_volume": "2",
            "weight_growth": "1",
            "attractiveness_threshold": "50",
            "strength_threshold": "50",
        },
    ),
    "selection:model_edit": Route(
        "POST",
        lambda w: f"/selection/models/{w['scoring_model'].pk}/",
        DECIDERS,
        {
            "name": "Tested",
            "weight_volume": "1",
            "weight_potential": "1",
            "attractiveness_threshold": "60",
            "strength_threshold": "40",
        },
    ),
    "selection:model_delete": Route(
        "POST",
        lambda w: "/selection/models/{}/delete/".format(
            ScoringModel.objects.create(
                name=f"Gone {ScoringModel.objects.count()}", weights={"volume": 1}
            ).pk
        ),
        DECIDERS,
    ),
    # portfolio matrix: everyone signed in (each sees the clients they may see)
    "selection:matrix": Route("GET", _static("/selection/matrix/?year=1997"), EVERYONE),
    # key accounts through the API: selection, matrix, scoring models, designation,
    # manager, account team, judgements, wallet estimates, notifications, organisation
    **_accounts_api_routes(),
    # key-account plan: the plan, objectives, share of wallet, exports (who sees C1), writes
    # (who changes C1; C2 for a draft: a key account with the same people changing it),
    # plan review (directors), market notes (read by all, kept by directors and marketing)
    **{
        f"plan:{name}": Route("GET", _static(f"/accounts/C1/{where}"), SEE_C1)
        for name, where in (
            ("overview", ""),
            ("objectives", "objectives/"),
            ("wallet", "wallet/"),
            ("pdf", "plan.pdf"),
            ("xlsx", "plan.xlsx"),
        )
    },
    "plan:plan_draft": Route(
        "POST", _static("/accounts/C2/plan/new/"), CHANGE_C1, {"year": "1999"}
    ),
    "plan:plan_edit": Route(
        "POST",
        lambda w: f"/accounts/C1/plan/{_plan_fresh('draft').pk}/",
        CHANGE_C1,
        {"summary": "Grow", "threats": "Rival"},
    ),
    "plan:plan_submit": Route(
        "POST", lambda w: f"/accounts/C1/plan/{_plan_fresh('draft').pk}/submit/", CHANGE_C1
    ),
    "plan:plan_review": Route(
        "POST",
        lambda w: f"/accounts/C1/plan/{_plan_fresh('submitted').pk}/review/",
        DECIDERS,
        {"decision": "approve"},
    ),
    "plan:objective_add": Route(
        "POST",
        _static("/accounts/C1/objectives/new/"),
        CHANGE_C1,
        {
            "objective-new-year": "1998",
            "objective-new-measure": "revenue",
            "objective-new-target": "100",
        },
    ),
    "plan:objective_edit": Route(
        "POST",
        lambda w: f"/accounts/C1/objectives/{_objective_fresh().pk}/",
        CHANGE_C1,
        lambda w: _objective_values(),
    ),
    "plan:objective_delete": Route(
        "POST", lambda w: f"/accounts/C1/objectives/{_objective_fresh().pk}/delete/", CHANGE_C1
    ),
    "plan:objective_adopt": Route(
        "POST",
        _static("/accounts/C1/objectives/adopt/"),
        CHANGE_C1,
        {"year": "1998", "category": "", "note": "0"},
    ),
    "plan:market": Route("GET", _static("/accounts/market/"), EVERYONE),
    "plan:market_add": Route(
        "POST",
        _static("/accounts/market/new/"),
        MARKET_KEEPERS,
        {"note-new-year": "1998", "note-new-title": "Up", "note-new-noted_on": "1998-01-02"},
    ),
    "plan:market_edit": Route(
        "POST",
        lambda w: f"/accounts/market/{_market_note_fresh().pk}/",
        MARKET_KEEPERS,
        lambda w: _market_note_values(),
    ),
    # key-account work: buying centre, deals, competitors, actions; my tasks, competitor
    # log, white space (the task of the world is owned by "team", who may set its status)
    **{
        f"work:{tab}": Route("GET", _static(f"/accounts/C1/{tab}/"), SEE_C1)
        for tab in ("buying", "deals", "competitors", "actions")
    },
    "work:queue": Route("GET", _static("/accounts/queue/"), EVERYONE),
    "work:competitor_log": Route("GET", _static("/accounts/competitors/"), EVERYONE),
    "work:white_space": Route("GET", _static("/accounts/white-space/?year=1997"), EVERYONE),
    "work:task_status": Route(
        "POST",
        lambda w: f"/accounts/tasks/{w['work']['task'].pk}/status/",
        CHANGE_C1 | {"team"},
        {"status": "in_progress"},
    ),
    "work:market_action_add": Route(
        "POST",
        _static("/accounts/competitors/market/new/"),
        MARKET_LOGGERS,
        lambda w: {f"market-{k}": v for k, v in _WORK_VALUES["competitor_action"](w).items()},
    ),
    "work:competitor_add": Route(
        "POST",
        _static("/accounts/competitors/register/new/"),
        MARKET_LOGGERS,
        {"competitor-new-name": "Newco"},
    ),
    "work:competitor_edit": Route(
        "POST",
        lambda w: f"/accounts/competitors/register/{w['work']['competitor'].pk}/",
        frozenset({"admin", "director", "marketing"}),
        lambda w: {f"competitor-{w['work']['competitor'].pk}-name": "Rival Group"},
    ),
    **{
        f"work:{kind}_add": Route(
            "POST",
            _static(f"/accounts/C1/{where}/"),
            CHANGE_C1,
            _work_values(kind, new=True),
        )
        for kind, where in _WORK_ADD.items()
    },
    **{
        f"work:{kind}_edit": Route(
            "POST",
            _work_path(kind, where),
            CHANGE_C1,
            _work_values(kind, new=False),
        )
        for kind, where in _WORK_CHANGE.items()
    },
    **{
        f"work:{kind}_delete": Route(
            "POST",
            _work_path(kind, where, fresh=True),
            CHANGE_C1,
        )
        for kind, where in _WORK_CHANGE.items()
    },
}


def _work_fresh(kind: str, world: dict[str, Any]) -> Any:
    """A record of C1 to delete: each allowed request deletes its own."""
    from kam.planning.models import (
        CompetitorPresence,
        Opportunity,
        PurchasingStep,
        Stakeholder,
        Task,
    )

    c1 = Client.objects.get(external_id="C1")
    if kind == "stakeholder":
        return Stakeholder.objects.create(client=c1, name="Gone", role="user", influence=1)
    if kind == "step":
        return PurchasingStep.objects.create(client=c1, position=9, name="Gone")
    if kind == "deal":
        return Opportunity.objects.create(
            client=c1, title="Gone", value=1, probability=1, expected_close="2026-01-01"
        )
    if kind == "presence":
        from kam.planning.models import Competitor

        rival = Competitor.objects.create(name=f"Gone {Competitor.objects.count()}")
        return CompetitorPresence.objects.create(client=c1, competitor=rival)
    return Task.objects.create(
        client=c1, title="Gone", owner=world["people"]["kam"], due_on="2026-01-01"
    )


def _api_count(model: str) -> int:
    from django.apps import apps

    return int(apps.get_model("planning", model).objects.count())


def _api_plan(*, fresh: bool = False, status: str = "draft") -> int:
    """A plan of C1: the same draft, or (fresh) a new version in `status` for each request."""
    from kam.planning.models import AccountPlan

    c1 = Client.objects.get(external_id="C1")
    plan = AccountPlan.objects.filter(client=c1, year=2024).order_by("version").first()
    if plan is None or fresh:
        version = _api_count("AccountPlan") + 1
        plan = AccountPlan.objects.create(
            client=c1, year=2024, version=version, status=status, summary="Grow"
        )
    return int(plan.pk)


def _api_fresh(one: str, world: dict[str, Any]) -> Any:
    """A record of C1 of the API's kind `one` (the world's for those it has)."""
    from kam.planning.models import NegotiationEntry, Objective

    c1 = Client.objects.get(external_id="C1")
    if one == "objective":
        category = f"Cat {_api_count('Objective')}"
        return Objective.objects.create(
            client=c1, year=2024, measure="revenue", category=category, target=1
        )
    if one == "negotiation":
        return NegotiationEntry.objects.create(client=c1, happened_on="2026-01-02", summary="x")
    return _work_fresh(_API_WORK.get(one, one), world)


def _plan_fresh(status: str) -> Any:
    """A plan of C1 in `status`, new for each request (each allowed request acts on its own)."""
    from kam.planning.models import AccountPlan

    c1 = Client.objects.get(external_id="C1")
    return AccountPlan.objects.create(
        client=c1, year=2030, version=AccountPlan.objects.count() + 1, status=status, summary="S"
    )


def _objective_fresh() -> Any:
    from kam.planning.models import Objective

    c1 = Client.objects.get(external_id="C1")
    category = f"Category {Objective.objects.count()}"
    return Objective.objects.create(
        client=c1, year=1998, measure="revenue", category=category, target=10
    )


def _objective_values() -> dict[str, Any]:
    """Changing the objective the request's address just made."""
    from kam.planning.models import Objective

    latest = Objective.objects.latest("pk")
    prefix = f"objective-{latest.pk}"
    return {
        f"{prefix}-year": "1998",
        f"{prefix}-measure": "revenue",
        f"{prefix}-category": latest.category,
        f"{prefix}-target": "20",
    }


def _market_note_fresh() -> Any:
    from kam.planning.models import MarketNote

    return MarketNote.objects.create(year=1998, title="Note", noted_on="1998-01-02")


def _market_note_values() -> dict[str, Any]:
    from kam.planning.models import MarketNote

    prefix = f"note-{MarketNote.objects.latest('pk').pk}"
    return {
        f"{prefix}-year": "1998",
        f"{prefix}-title": "Changed",
        f"{prefix}-noted_on": "1998-01-03",
    }


def _walk(patterns: list[Any], namespace: str = "", prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, ns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name or entry.pattern}"


def _all_routes() -> set[str]:
    return set(_walk(get_resolver().url_patterns))


def test_every_route_is_classified() -> None:
    missing = sorted(_all_routes() - set(ROUTES))
    assert missing == [], f"classify these routes in ROUTES: {missing}"


@pytest.fixture
def world(tmp_path: Path, settings: Any, store: Any, data_dir: Path) -> dict[str, Any]:
    from kam.ledger.services import ledger_import

    settings.KAM_IMPORT_INLINE = True
    assert ledger_import(store=store, paths=[data_dir / "northwind_order_lines.csv.gz"]).ok
    people = {r: user_create(username=r, password=PASSWORD, role=r) for r in ROLES}
    c1 = Client.objects.create(external_id="C1", name="Alpha", manager=people["kam"])
    member = AccountTeamMember.objects.create(client=c1, user=people["team"], function="sales")
    Client.objects.create(
        external_id="C2", name="Beta", is_key_account=True, tier="2", manager=people["kam"]
    )
    wallet = WalletEstimate.objects.create(
        client=c1, year=2023, amount=Decimal(500), source="Trade fair"
    )
    system = Actor(user=None, interface=AuditEvent.Interface.SYSTEM)
    tokens = {r: token_create(user=u, name="t", actor=system)[1] for r, u in people.items()}
    admin_token = ApiToken.objects.filter(user=people["admin"]).get()
    csv = b"Invoice,InvoiceDate,Customer ID,StockCode,Quantity,Price\n1,2024-01-02,C1,P,1,2\n"
    upload = upload_save(chunks=[csv], name="x.csv", user=people["admin"])
    job = ImportJob.objects.create(
        status=ImportJob.Status.REFUSED,
        problem_count=1,
        problems=[
            {"file": "x.csv", "row": 2, "column": "Price", "value": "x", "reason": "not a number"}
        ],
    )
    team = Team.objects.create(name="North", lead=people["kam"])
    work = _work_world(c1, people)
    scoring_model = ScoringModel.objects.create(name="Tested", weights={"volume": 1.0})
    return {
        "people": people,
        "tokens": tokens,
        "admin_token": admin_token,
        "upload": upload,
        "job": job,
        "team": team,
        "member": member,
        "wallet": wallet,
        "work": work,
        "scoring_model": scoring_model,
    }


def _work_world(c1: Client, people: dict[str, User]) -> dict[str, Any]:
    """One record of each kind of C1's account work; the task belongs to a team member."""
    from kam.planning.models import (
        Competitor,
        CompetitorPresence,
        Opportunity,
        PurchasingStep,
        Stakeholder,
        Task,
    )

    competitor = Competitor.objects.create(name="Rival")
    present = Competitor.objects.create(name="Present")
    return {
        "competitor": competitor,
        "stakeholder": Stakeholder.objects.create(
            client=c1, name="Ion", role="decider", influence=5
        ),
        "step": PurchasingStep.objects.create(client=c1, position=1, name="Tender"),
        "deal": Opportunity.objects.create(
            client=c1, title="Roofs", value=10, probability=10, expected_close="2026-05-01"
        ),
        "presence": CompetitorPresence.objects.create(client=c1, competitor=present),
        "task": Task.objects.create(
            client=c1, title="Samples", owner=people["team"], due_on="2026-01-01", function="rnd"
        ),
    }


def _fingerprint() -> tuple[Any, ...]:
    return (
        list(
            Client.objects.order_by("pk").values_list(
                "external_id", "name", "country", "is_key_account", "manager_id"
            )
        ),
        list(User.objects.order_by("pk").values_list("username", "role", "is_active", "language")),
        list(ApiToken.objects.order_by("pk").values_list("pk", "revoked_at")),
        AuditEvent.objects.count(),
        list(ImportJob.objects.order_by("pk").values_list("pk", "status")),
        Team.objects.count(),
        SavedMapping.objects.count(),
        # the models but the fresh ones each delete request is given
        list(
            ScoringModel.objects.exclude(name__startswith="Gone ")
            .order_by("pk")
            .values_list("name", "weights", "is_default")
        ),
    )


def _request(route: Route, role: str, world: dict[str, Any]) -> Any:
    client = HttpClient()
    headers: dict[str, str] = {}
    if role and route.api:
        headers["Authorization"] = f"Bearer {world['tokens'][role]}"
    elif role:
        client.force_login(world["people"][role])
    path = route.path(world)
    data = route.data(world) if callable(route.data) else route.data
    if route.method == "GET":
        return client.get(path, headers=headers)
    if route.api:
        return client.generic(
            route.method,
            path,
            data=json.dumps(data),
            content_type="application/json",
            headers=headers,
        )
    return client.post(path, data, headers=headers)


def _denied(response: Any, role: str, route: Route) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    # a page asks an anonymous visitor to sign in
    return (
        not role
        and not route.api
        and response.status_code == 302
        and ("/login/" in response["Location"])
    )


WRITES = [name for name, r in ROUTES.items() if r.method != "GET"]


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_each_role_gets_what_the_rule_gives(name: str, world: dict[str, Any]) -> None:
    route = ROUTES[name]
    for role in ("", *ROLES):
        before = _fingerprint()
        response = _request(route, role, world)
        assert response.status_code < 500, (name, role, response.status_code)
        if role in route.allowed:
            assert response.status_code not in (401, 403, 404), (name, role, response.status_code)
        else:
            assert _denied(response, role, route), (name, role, response.status_code)
            assert _fingerprint() == before, f"denied {name} for {role!r} changed data"
