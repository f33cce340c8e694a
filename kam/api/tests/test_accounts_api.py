"""Key accounts through the API: scores, matrix, models, designation, organisation, wallets.

C1 is managed by "kam" and "team" is on its account team; C2 is a key account
without a manager; C3 is an ordinary client (see conftest.py).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

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
from kam.analytics.models import ClientYearMetric
from kam.audit.models import AuditEvent
from kam.clients.models import AccountTeamMember, Client
from kam.ledger.services import ledger_import
from kam.ledger.store import Store
from kam.people.models import Team, User

from .conftest import Call

pytestmark = pytest.mark.django_db
YEAR = 1997


def _state() -> tuple[Any, ...]:
    """Everything the key-account operations may change."""
    return (
        list(
            Client.objects.order_by("pk").values_list(
                "external_id", "is_key_account", "tier", "manager_id"
            )
        ),
        Designation.objects.count(),
        ManagerAssignment.objects.count(),
        list(
            AccountTeamMember.objects.order_by("pk").values_list("client_id", "user_id", "function")
        ),
        RelationshipStage.objects.count(),
        PartnershipIntent.objects.count(),
        PositionRating.objects.count(),
        list(WalletEstimate.objects.order_by("pk").values_list("pk", "amount")),
        list(ScoringModel.objects.order_by("pk").values_list("name", "weights")),
        Notification.objects.count(),
        AuditEvent.objects.count(),
    )


def _error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code


# --- the ranked candidates and the matrix -----------------------------------------------


@pytest.fixture
def northwind(
    store: Store, data_dir: Path, clients: dict[str, Client], people: dict[str, User]
) -> None:
    """The Northwind ledger; QUICK is managed by "kam", "team" is on its account team."""
    assert ledger_import(store=store, paths=[data_dir / "northwind_order_lines.csv.gz"]).ok
    quick = Client.objects.get(external_id="QUICK")
    Client.objects.filter(pk=quick.pk).update(manager=people["kam"])
    AccountTeamMember.objects.create(client=quick, user=people["team"], function="service")
    WalletEstimate.objects.create(client=quick, year=YEAR, amount=Decimal(500_000), source="Fair")
    PositionRating.objects.create(client=quick, rating=4, noted_on=dt.date(YEAR, 6, 1))


@pytest.mark.django_db(transaction=True)
def test_a_director_gets_every_scored_client_ranked(api: Call, northwind: None) -> None:
    population = ClientYearMetric.objects.filter(year=YEAR, revenue_micros__gt=0).count()
    body = api("director", "GET", "/selection", data={"year": YEAR, "limit": 1000}).json()
    assert (body["year"], body["clients"], len(body["candidates"])) == (
        YEAR,
        population,
        population,
    )
    assert body["model"]["name"] == scoring_model_default().name
    assert sum(body["model"]["weights"].values()) == pytest.approx(1, abs=1e-5)
    ranks = [c["rank"] for c in body["candidates"]]
    assert ranks == sorted(ranks) and ranks[0] == 1
    quick = next(c for c in body["candidates"] if c["client"] == "QUICK")
    assert quick["inputs"]["wallet"] == "500000.00"
    assert quick["manager"] == "kam" and quick["key_account"] is False
    assert set(quick["criteria"]) == {
        "volume",
        "profitability",
        "growth",
        "price_sensitivity",
        "partnership",
        "potential",
    }
    assert "partnership" in quick["missing"]
    page = api("director", "GET", "/selection", data={"year": YEAR, "limit": 2, "offset": 1})
    assert [c["rank"] for c in page.json()["candidates"]] == ranks[1:3]


@pytest.mark.django_db(transaction=True)
def test_candidates_are_cut_to_what_a_person_sees_and_wallets_to_who_sees_margins(
    api: Call, northwind: None
) -> None:
    mine = api("kam", "GET", "/selection", data={"year": YEAR}).json()
    assert [c["client"] for c in mine["candidates"]] == ["QUICK"]
    assert mine["candidates"][0]["inputs"]["wallet"] == "500000.00"
    team = api("team", "GET", "/selection", data={"year": YEAR}).json()
    inputs = team["candidates"][0]["inputs"]
    assert [c["client"] for c in team["candidates"]] == ["QUICK"]
    assert (inputs["wallet"], inputs["potential"], inputs["margin_percent"]) == (None, None, None)
    assert inputs["share_of_wallet"] is None and inputs["revenue"] is not None
    assert api("service", "GET", "/selection", data={"year": YEAR}).json()["clients"] == 0


@pytest.mark.django_db(transaction=True)
def test_the_selection_filters_and_refuses_unknown_values(api: Call, northwind: None) -> None:
    Client.objects.filter(external_id__in=["QUICK", "SAVEA"]).update(is_key_account=True, tier="1")
    keys = api("admin", "GET", "/selection", data={"year": YEAR, "status": "key"}).json()
    assert sorted(c["client"] for c in keys["candidates"]) == ["QUICK", "SAVEA"]
    found = api("admin", "GET", "/selection", data={"year": YEAR, "search": "quick"}).json()
    assert [c["client"] for c in found["candidates"]] == ["QUICK"]
    _error(api("admin", "GET", "/selection", data={"model": "Nope"}), 400, "invalid_input")
    _error(api("admin", "GET", "/selection", data={"abc": "Z"}), 422, "validation_error")


def test_without_figures_the_selection_says_so(api: Call, clients: Any) -> None:
    _error(api("director", "GET", "/selection"), 400, "no_figures")
    _error(api("director", "GET", "/selection/matrix"), 400, "no_figures")


@pytest.mark.django_db(transaction=True)
def test_the_matrix_places_clients_whose_strength_is_known(api: Call, northwind: None) -> None:
    body = api("director", "GET", "/selection/matrix", data={"year": YEAR}).json()
    placed = {p["client"]: p for p in body["points"]}
    assert set(placed) == {"QUICK"}  # only QUICK has a wallet estimate or a position rating
    quick = placed["QUICK"]
    assert quick["quadrant"] in {"strategic", "star", "status", "streamline"}
    assert 0 <= quick["strength"] <= 100 and quick["previous"] is None
    assert Decimal(quick["revenue"]) > 0
    assert body["unplaced"] and all(u["missing_strength"] for u in body["unplaced"])
    assert (
        api("kam", "GET", "/selection/matrix", data={"year": YEAR}).json()["points"][0]["client"]
        == "QUICK"
    )


# --- scoring models ---------------------------------------------------------------------

WEIGHTS = {"volume": 2, "profitability": 1, "growth": 1}


def test_everyone_reads_the_scoring_models(api: Call, people: Any) -> None:
    default = scoring_model_default()
    listed = api("team", "GET", "/scoring-models").json()
    assert [(m["name"], m["is_default"]) for m in listed] == [(default.name, True)]
    assert api("service", "GET", f"/scoring-models/{default.pk}").json()["id"] == default.pk
    _error(api("service", "GET", "/scoring-models/999999"), 404, "not_found")


def test_a_director_creates_changes_and_deletes_a_model_audited_as_api(
    api: Call, people: Any
) -> None:
    scoring_model_default()
    created = api(
        "director", "POST", "/scoring-models", json={"name": "Volume", "weights": WEIGHTS}
    )
    assert created.status_code == 201, created.content
    model = created.json()
    assert model["weights"]["volume"] == pytest.approx(0.5)
    assert model["weights"]["potential"] == 0
    body = {"name": "Volume first", "weights": WEIGHTS, "attractiveness_threshold": 60}
    changed = api(
        "admin", "PUT", f"/scoring-models/{model['id']}", data=body, content_type="application/json"
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["name"], changed.json()["attractiveness_threshold"]) == (
        "Volume first",
        60,
    )
    events = AuditEvent.objects.filter(entity="accounts.ScoringModel")
    assert events.exists() and {e.interface for e in events} == {"api"}
    assert api("director", "DELETE", f"/scoring-models/{model['id']}").status_code == 204
    assert not ScoringModel.objects.filter(pk=model["id"]).exists()


@pytest.mark.parametrize(
    ("role", "body", "status", "code"),
    [
        ("kam", {"name": "Mine", "weights": WEIGHTS}, 403, "forbidden"),
        ("analyst", {"name": "Mine", "weights": WEIGHTS}, 403, "forbidden"),
        ("director", {"name": "Bad", "weights": {"luck": 1}}, 400, "invalid_input"),
        ("director", {"name": "Zero", "weights": {"volume": 0}}, 400, "invalid_input"),
        (
            "director",
            {"name": "Off", "weights": WEIGHTS, "strength_threshold": 120},
            400,
            "invalid_input",
        ),
        ("director", {"name": "Equal weights", "weights": WEIGHTS}, 400, "invalid_input"),
        ("director", {"weights": WEIGHTS}, 422, "validation_error"),
    ],
)
def test_a_refused_model_changes_nothing(
    api: Call, people: Any, role: str, body: dict[str, Any], status: int, code: str
) -> None:
    scoring_model_default()
    before = _state()
    _error(api(role, "POST", "/scoring-models", json=body), status, code)
    assert _state() == before


def test_the_default_model_is_not_deleted_and_others_only_by_a_director(
    api: Call, people: Any
) -> None:
    default = scoring_model_default()
    other = ScoringModel.objects.create(name="Other", weights=WEIGHTS)
    before = _state()
    _error(api("director", "DELETE", f"/scoring-models/{default.pk}"), 400, "invalid_input")
    _error(api("kam", "DELETE", f"/scoring-models/{other.pk}"), 403, "forbidden")
    _error(
        api(
            "kam",
            "PUT",
            f"/scoring-models/{other.pk}",
            data={"name": "X", "weights": WEIGHTS},
            content_type="application/json",
        ),
        403,
        "forbidden",
    )
    assert _state() == before


# --- designation and manager ------------------------------------------------------------


def test_a_director_designates_retiers_and_revokes_with_history_and_notice(
    api: Call, clients: Any, people: dict[str, User]
) -> None:
    first = api(
        "director", "POST", "/clients/C1/designation", json={"tier": "2", "reason": "Largest buyer"}
    )
    assert first.status_code == 201, first.content
    assert first.json() | {"designation": None} == {
        "client": "C1",
        "is_key_account": True,
        "tier": "2",
        "manager": "kam",
        "designation": None,
    }
    assert first.json()["designation"]["action"] == "designate"
    api(
        "director",
        "POST",
        "/clients/C1/designation",
        json={"tier": "1", "reason": "Framework deal"},
    )
    revoked = api("admin", "POST", "/clients/C1/revocation", json={"reason": "Moved to a rival"})
    assert revoked.status_code == 201 and revoked.json()["is_key_account"] is False
    history = api("team", "GET", "/clients/C1/designations").json()
    assert [(d["action"], d["tier"], d["decided_by"]) for d in history] == [
        ("revoke", "", "admin"),
        ("retier", "1", "director"),
        ("designate", "2", "director"),
    ]
    events = AuditEvent.objects.filter(client_id=clients["C1"].pk)
    assert events.exists() and {e.interface for e in events} == {"api"}
    notices = api("kam", "GET", "/notifications").json()
    assert notices["unread"] == 2
    assert [(n["kind"], n["client"]) for n in notices["items"]] == [
        ("revoked", "C1"),
        ("designated", "C1"),
    ]
    assert api("director", "GET", "/notifications").json()["items"] == []


@pytest.mark.parametrize(
    ("role", "path", "body", "status", "code"),
    [
        ("kam", "/clients/C1/designation", {"tier": "1", "reason": "Mine"}, 403, "forbidden"),
        ("team", "/clients/C1/designation", {"tier": "1", "reason": "Mine"}, 403, "forbidden"),
        ("analyst", "/clients/C1/designation", {"tier": "1", "reason": "Big"}, 403, "forbidden"),
        ("service", "/clients/C1/designation", {"tier": "1", "reason": "Big"}, 404, "not_found"),
        ("kam", "/clients/C2/revocation", {"reason": "Gone"}, 404, "not_found"),
        ("analyst", "/clients/C2/revocation", {"reason": "Gone"}, 403, "forbidden"),
        (
            "director",
            "/clients/C1/designation",
            {"tier": "4", "reason": "Big"},
            400,
            "invalid_input",
        ),
        ("director", "/clients/C1/designation", {"tier": "1", "reason": " "}, 400, "invalid_input"),
        ("director", "/clients/C1/designation", {"tier": "1"}, 422, "validation_error"),
        (
            "director",
            "/clients/C1/designation",
            {"tier": "1", "reason": "Big", "manager": "nobody"},
            400,
            "invalid_input",
        ),
        (
            "director",
            "/clients/C1/designation",
            {"tier": "1", "reason": "Big", "manager": "analyst"},
            400,
            "invalid_input",
        ),
        ("director", "/clients/C3/revocation", {"reason": "Not one"}, 400, "invalid_input"),
        ("director", "/clients/NOPE/designation", {"tier": "1", "reason": "Big"}, 404, "not_found"),
        ("", "/clients/C1/designation", {"tier": "1", "reason": "Big"}, 401, "unauthorized"),
    ],
)
def test_a_refused_decision_changes_nothing(
    api: Call, clients: Any, role: str, path: str, body: dict[str, Any], status: int, code: str
) -> None:
    before = _state()
    _error(api(role, "POST", path, json=body), status, code)
    assert _state() == before


def test_a_director_hands_a_key_account_over_with_a_note(
    api: Call, clients: Any, people: dict[str, User]
) -> None:
    api("director", "POST", "/clients/C1/designation", json={"tier": "1", "reason": "Big"})
    before = _state()
    put = {"manager": "director", "handover_note": ""}
    _error(
        api("director", "PUT", "/clients/C1/manager", data=put, content_type="application/json"),
        400,
        "invalid_input",
    )
    _error(
        api(
            "kam",
            "PUT",
            "/clients/C1/manager",
            data=put | {"handover_note": "x"},
            content_type="application/json",
        ),
        403,
        "forbidden",
    )
    _error(
        api(
            "director",
            "PUT",
            "/clients/C1/manager",
            data={"manager": "ghost", "handover_note": "x"},
            content_type="application/json",
        ),
        400,
        "invalid_input",
    )
    assert _state() == before
    note = {"manager": "director", "handover_note": "Renewal due in May"}
    moved = api(
        "director", "PUT", "/clients/C1/manager", data=note, content_type="application/json"
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["manager"] == "director"
    assert moved.json()["assignment"]["previous"] == "kam"
    history = api("director", "GET", "/clients/C1/manager-history").json()
    assert [(h["previous"], h["manager"], h["handover_note"]) for h in history] == [
        ("kam", "director", "Renewal due in May")
    ]
    assert Notification.objects.filter(recipient=people["kam"], kind="unassigned").exists()
    # kam no longer manages C1 but "team" still sees it through the account team
    _error(api("kam", "GET", "/clients/C1/manager-history"), 404, "not_found")
    cleared = api(
        "admin",
        "PUT",
        "/clients/C1/manager",
        data={"manager": None, "handover_note": "Paused"},
        content_type="application/json",
    )
    assert cleared.status_code == 200 and cleared.json()["manager"] is None


# --- the account team -------------------------------------------------------------------


def test_the_manager_staffs_the_account_team(api: Call, clients: Any, people: Any) -> None:
    added = api(
        "kam",
        "POST",
        "/clients/C1/account-team",
        json={"user": "service", "function": "logistics", "role_on_account": "Deliveries"},
    )
    assert added.status_code == 201, added.content
    assert added.json() == {
        "user": "service",
        "name": "service",
        "function": "logistics",
        "role_on_account": "Deliveries",
    }
    team = api("team", "GET", "/clients/C1/account-team").json()
    assert [(m["user"], m["function"]) for m in team] == [
        ("service", "logistics"),
        ("team", "sales"),
    ]
    assert api("kam", "DELETE", "/clients/C1/account-team/service").status_code == 204
    _error(api("kam", "DELETE", "/clients/C1/account-team/service"), 404, "not_found")
    events = AuditEvent.objects.filter(entity="clients.AccountTeamMember", action="delete")
    assert {(e.interface, e.actor_label) for e in events} == {("api", "kam")}


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "status", "code"),
    [
        (
            "team",
            "POST",
            "/clients/C1/account-team",
            {"user": "service", "function": "rnd"},
            403,
            "forbidden",
        ),
        (
            "analyst",
            "POST",
            "/clients/C1/account-team",
            {"user": "service", "function": "rnd"},
            403,
            "forbidden",
        ),
        (
            "kam",
            "POST",
            "/clients/C3/account-team",
            {"user": "service", "function": "rnd"},
            404,
            "not_found",
        ),
        (
            "kam",
            "POST",
            "/clients/C1/account-team",
            {"user": "service", "function": "magic"},
            400,
            "invalid_input",
        ),
        (
            "kam",
            "POST",
            "/clients/C1/account-team",
            {"user": "ghost", "function": "rnd"},
            400,
            "invalid_input",
        ),
        ("team", "DELETE", "/clients/C1/account-team/team", None, 403, "forbidden"),
        ("service", "DELETE", "/clients/C1/account-team/team", None, 404, "not_found"),
    ],
)
def test_a_refused_team_change_changes_nothing(
    api: Call, clients: Any, role: str, method: str, path: str, body: Any, status: int, code: str
) -> None:
    before = _state()
    kwargs = {"json": body} if body is not None else {}
    _error(api(role, method, path, **kwargs), status, code)
    assert _state() == before


# --- judgements -------------------------------------------------------------------------

TODAY = dt.date.today()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "relationship-stages",
            {"stage": "cooperative", "noted_on": "2024-03-01", "evidence": "Joint plan"},
        ),
        (
            "partnership-intents",
            {"rating": 4, "noted_on": "2024-03-01", "note": "Asked for a framework"},
        ),
        ("position-ratings", {"rating": 2, "noted_on": "2024-03-01"}),
    ],
)
def test_judgements_are_recorded_by_who_may_change_and_read_by_who_sees(
    api: Call, clients: Any, path: str, body: dict[str, Any]
) -> None:
    before = _state()
    _error(api("team", "POST", f"/clients/C1/{path}", json=body), 403, "forbidden")
    _error(api("service", "POST", f"/clients/C1/{path}", json=body), 404, "not_found")
    future = body | {"noted_on": (TODAY + dt.timedelta(days=2)).isoformat()}
    _error(api("kam", "POST", f"/clients/C1/{path}", json=future), 400, "invalid_input")
    assert _state() == before
    added = api("kam", "POST", f"/clients/C1/{path}", json=body)
    assert added.status_code == 201, added.content
    assert added.json()["entered_by"] == "kam"
    listed = api("team", "GET", f"/clients/C1/{path}").json()
    assert [r["id"] for r in listed] == [added.json()["id"]]
    _error(api("service", "GET", f"/clients/C1/{path}"), 404, "not_found")
    assert AuditEvent.objects.filter(client_id=clients["C1"].pk, interface="api").exists()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("relationship-stages", {"stage": "married", "noted_on": "2024-03-01", "evidence": "x"}),
        ("relationship-stages", {"stage": "basic", "noted_on": "2024-03-01", "evidence": ""}),
        ("partnership-intents", {"rating": 6, "noted_on": "2024-03-01"}),
        ("position-ratings", {"rating": 0, "noted_on": "2024-03-01"}),
    ],
)
def test_an_invalid_judgement_is_refused(api: Call, clients: Any, path: str, body: Any) -> None:
    before = _state()
    _error(api("director", "POST", f"/clients/C1/{path}", json=body), 400, "invalid_input")
    assert _state() == before


# --- wallet estimates -------------------------------------------------------------------


def _wallet(client: str, amount: Any = "1000.50", **more: Any) -> dict[str, Any]:
    return {"client": client, "year": 2024, "amount": amount, "source": "Trade fair"} | more


def test_wallet_estimates_are_saved_all_or_nothing_with_every_problem(
    api: Call, clients: Any
) -> None:
    before = _state()
    rows = [_wallet("C1"), _wallet("C2"), _wallet("C1", "lots", category="Tools"), _wallet("C1")]
    refused = api("kam", "POST", "/wallet-estimates", json={"estimates": rows})
    _error(refused, 400, "invalid_wallet_estimates")
    problems = refused.json()["error"]["problems"]
    assert [(p["row"], p["column"], p["value"]) for p in problems] == [
        (2, "client", "C2"),
        (3, "amount", "lots"),
        (4, "category", ""),
    ]
    assert all(p["reason"] for p in problems)
    assert _state() == before
    good = [_wallet("C1"), _wallet("C1", 250, category="Tools", confidence="high")]
    saved = api("kam", "POST", "/wallet-estimates", json={"estimates": good})
    assert saved.status_code == 200, saved.content
    assert saved.json() == {"created": 2, "changed": 0}
    again = api("kam", "POST", "/wallet-estimates", json={"estimates": [_wallet("C1", "1200")]})
    assert again.json() == {"created": 0, "changed": 1}
    listed = api("kam", "GET", "/wallet-estimates", data={"client": "C1", "year": 2024}).json()
    assert [(e["category"], e["amount"], e["confidence"]) for e in listed["items"]] == [
        ("", "1200.00", "medium"),
        ("Tools", "250.00", "high"),
    ]
    assert {e.interface for e in AuditEvent.objects.filter(entity="accounts.WalletEstimate")} == {
        "api"
    }


def test_wallet_estimates_are_for_who_sees_margins_and_changes_clients(
    api: Call, clients: Any
) -> None:
    mine = WalletEstimate.objects.create(client=clients["C1"], year=2024, amount=10, source="x")
    other = WalletEstimate.objects.create(client=clients["C2"], year=2024, amount=20, source="y")
    before = _state()
    _error(api("team", "GET", "/wallet-estimates"), 403, "forbidden")
    _error(
        api("analyst", "POST", "/wallet-estimates", json={"estimates": [_wallet("C1")]}),
        403,
        "forbidden",
    )
    _error(
        api("team", "POST", "/wallet-estimates", json={"estimates": [_wallet("C1")]}),
        403,
        "forbidden",
    )
    _error(
        api("director", "POST", "/wallet-estimates", json={"estimates": []}), 400, "invalid_input"
    )
    _error(api("kam", "GET", "/wallet-estimates", data={"client": "C2"}), 404, "not_found")
    _error(api("kam", "DELETE", f"/wallet-estimates/{other.pk}"), 404, "not_found")
    _error(api("analyst", "DELETE", f"/wallet-estimates/{mine.pk}"), 403, "forbidden")
    _error(api("team", "DELETE", f"/wallet-estimates/{mine.pk}"), 403, "forbidden")
    assert _state() == before
    assert [e["client"] for e in api("kam", "GET", "/wallet-estimates").json()["items"]] == ["C1"]
    assert api("analyst", "GET", "/wallet-estimates").json()["count"] == 2
    assert api("kam", "DELETE", f"/wallet-estimates/{mine.pk}").status_code == 204
    assert not WalletEstimate.objects.filter(pk=mine.pk).exists()


# --- notifications and the organisation -------------------------------------------------


def test_notifications_are_marked_read_only_for_their_recipient(
    api: Call, clients: Any, people: dict[str, User]
) -> None:
    api("director", "POST", "/clients/C1/designation", json={"tier": "1", "reason": "Big"})
    api(
        "director",
        "POST",
        "/clients/C1/account-team",
        json={"user": "analyst", "function": "finance"},
    )
    notice = Notification.objects.get(recipient=people["analyst"])
    assert api("kam", "POST", "/notifications/read", json={"ids": [notice.pk]}).json() == {
        "marked": 0
    }
    assert api("analyst", "POST", "/notifications/read", json={"ids": [notice.pk]}).json() == {
        "marked": 1
    }
    assert api("kam", "POST", "/notifications/read", json={}).json() == {"marked": 1}
    assert api("kam", "GET", "/notifications", data={"unread": "true"}).json()["items"] == []


def test_the_organisation_lists_teams_under_their_parents_with_key_accounts(
    api: Call, clients: Any, people: dict[str, User]
) -> None:
    top = Team.objects.create(name="Management", function="management", lead=people["director"])
    kam_team = Team.objects.create(name="KAM North", function="kam", lead=people["kam"], parent=top)
    User.objects.filter(pk=people["team"].pk).update(team=kam_team)
    Client.objects.filter(external_id="C1").update(is_key_account=True, tier="1")
    body = api("director", "GET", "/organisation").json()
    teams = {t["name"]: t for t in body["teams"]}
    assert [t["name"] for t in body["teams"]] == ["Management", "KAM North"]
    assert teams["KAM North"]["parent"] == "Management" and teams["KAM North"]["is_kam"]
    assert teams["KAM North"]["lead"]["key_accounts"] == ["C1"]
    assert [m["username"] for m in teams["KAM North"]["members"]] == ["team"]
    assert (body["key_accounts"], body["without_manager"]) == (2, ["C2"])
    assert body["without_team"] == ["C2"]
    # a person sees the teams, and only the key accounts they may see
    seen = api("team", "GET", "/organisation").json()
    assert seen["key_accounts"] == 1 and seen["without_manager"] == []
