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

from kam.accounts.models import WalletEstimate
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
    "^(?P<rest>.*)$": Route("GET", _static("/api/v1/nowhere"), frozenset(), api=True),
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
