"""The key-account work through the API: the same access rule, services and audit as the
pages; progress figures are kam.planning.actuals' own."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import models

from kam.accounts.models import WalletEstimate
from kam.audit.models import AuditEvent
from kam.clients.models import AccountTeamMember, Client
from kam.ledger.services import ledger_import
from kam.ledger.store import Store
from kam.people.models import User
from kam.planning import actuals, selectors
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

from .conftest import Call

pytestmark = pytest.mark.django_db


@pytest.fixture
def rival(db: None) -> Competitor:
    return Competitor.objects.create(name="Rival")


# collection address -> (model, what a new record holds, a change, the field it changes)
COLLECTIONS: dict[str, tuple[type[models.Model], dict[str, Any], dict[str, Any], str]] = {
    "objectives": (
        Objective,
        {"year": 2024, "measure": "revenue", "target": "1000.5"},
        {"target": "2000"},
        "target",
    ),
    "stakeholders": (
        Stakeholder,
        {"name": "Ana", "role": "buyer", "influence": 3, "owner": "kam"},
        {"influence": 5},
        "influence",
    ),
    "purchasing-steps": (
        PurchasingStep,
        {"position": 1, "name": "Tender"},
        {"name": "Offer"},
        "name",
    ),
    "competitor-presences": (
        CompetitorPresence,
        {"competitor": "Rival", "estimated_share": "0.25", "price_position": "lower"},
        {"price_position": "higher"},
        "price_position",
    ),
    "opportunities": (
        Opportunity,
        {
            "title": "Roofs",
            "value": "1500",
            "probability": 40,
            "expected_close": "2026-05-01",
            "competitors": ["Rival"],
        },
        {"stage": "proposal"},
        "stage",
    ),
    "negotiations": (
        NegotiationEntry,
        {"happened_on": "2026-01-02", "summary": "Price list discussed"},
        {"outcome": "Second offer by Friday"},
        "outcome",
    ),
    "tasks": (
        Task,
        {"title": "Samples", "owner": "team", "function": "rnd", "due_on": "2026-01-02"},
        {"status": "done"},
        "status",
    ),
}


def _record(path: str, client: Client) -> models.Model:
    model, new, _change, _field = COLLECTIONS[path]
    values: dict[str, Any] = {k: v for k, v in new.items() if k != "competitors"}
    for name in ("owner",):
        if name in values:
            values[name] = User.objects.get(username=values[name])
    if "competitor" in values:
        values["competitor"] = Competitor.objects.get(name=values["competitor"])
    return model._default_manager.create(client=client, **values)


def _same(shown: Any, sent: Any) -> bool:
    """Equal, numbers by value: "1000.5" is stored and shown as "1000.5000"."""
    if isinstance(sent, str) and sent.replace(".", "").isdigit():
        return Decimal(str(shown)) == Decimal(sent)
    return bool(shown == sent)


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _state(model: type[models.Model]) -> tuple[Any, ...]:
    rows = list(model._default_manager.order_by("pk").values())
    return rows, AuditEvent.objects.count()


@pytest.mark.parametrize("path", sorted(COLLECTIONS))
def test_the_manager_adds_reads_changes_and_deletes_each_kind_of_record(
    api: Call, clients: dict[str, Client], rival: Competitor, path: str
) -> None:
    model, new, change, field = COLLECTIONS[path]
    created = api("kam", "POST", f"/clients/C1/{path}", json=new)
    assert created.status_code == 201, created.json()
    body = created.json()
    record = model._default_manager.get(pk=body["id"])
    assert record.client == clients["C1"]  # type: ignore[attr-defined]
    for key, value in new.items():
        assert _same(body[key], value), key

    listed = api("team", "GET", f"/clients/C1/{path}")
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()] == [record.pk]

    plural = path
    changed = api("kam", "PATCH", f"/{plural}/{record.pk}", json=change)
    assert changed.status_code == 200, changed.json()
    record.refresh_from_db()
    assert _same(getattr(record, field), change[field])
    assert _same(changed.json()[field], change[field])

    deleted = api("kam", "DELETE", f"/{plural}/{record.pk}")
    assert deleted.status_code == 204
    assert not model._default_manager.filter(pk=record.pk).exists()

    events = AuditEvent.objects.filter(entity=model._meta.label, entity_id=str(record.pk))
    assert {e.interface for e in events} == {"api"}
    assert {e.actor.username for e in events if e.actor} == {"kam"}
    assert {e.client_id for e in events} == {clients["C1"].pk}
    assert {e.action for e in events} == {"create", "update", "delete"}
    assert events.filter(action="update", field=field).count() == 1


@pytest.mark.parametrize("path", sorted(COLLECTIONS))
def test_a_team_member_reads_but_is_refused_every_write_and_nothing_changes(
    api: Call, clients: dict[str, Client], rival: Competitor, path: str
) -> None:
    model, new, change, _field = COLLECTIONS[path]
    record = _record(path, clients["C1"])
    if isinstance(record, Task):  # a task the team member does not own
        Task.objects.filter(pk=record.pk).update(owner=User.objects.get(username="kam"))
    before = _state(model)
    assert api("team", "GET", f"/clients/C1/{path}").status_code == 200
    for method, address, payload in (
        ("POST", f"/clients/C1/{path}", new),
        ("PATCH", f"/{path}/{record.pk}", change),
        ("DELETE", f"/{path}/{record.pk}", None),
    ):
        kwargs = {"json": payload} if payload is not None else {}
        refused = api("team", method, address, **kwargs)
        assert refused.status_code == 403, (method, refused.content)
        assert refused.json()["error"]["code"] == "forbidden"
    assert _state(model) == before


@pytest.mark.parametrize("path", sorted(COLLECTIONS))
def test_someone_who_does_not_see_the_client_finds_nothing(
    api: Call, clients: dict[str, Client], rival: Competitor, path: str
) -> None:
    model, new, change, _field = COLLECTIONS[path]
    record = _record(path, clients["C1"])
    before = _state(model)
    for method, address, payload in (
        ("GET", f"/clients/C1/{path}", None),
        ("POST", f"/clients/C1/{path}", new),
        ("PATCH", f"/{path}/{record.pk}", change),
        ("DELETE", f"/{path}/{record.pk}", None),
    ):
        kwargs = {"json": payload} if payload is not None else {}
        hidden = api("service", method, address, **kwargs)
        assert hidden.status_code == 404, (method, hidden.content)
        assert hidden.json()["error"]["code"] == "not_found"
    assert _state(model) == before


def test_bad_input_is_refused_with_a_stable_code_and_nothing_is_written(
    api: Call, clients: dict[str, Client], rival: Competitor
) -> None:
    elsewhere = Stakeholder.objects.create(
        client=clients["C3"], name="Not ours", role="user", influence=1
    )
    before = (Stakeholder.objects.count(), Opportunity.objects.count(), AuditEvent.objects.count())
    person = {"name": "Ana", "role": "buyer", "influence": 3}
    cases = [
        ("/clients/C1/stakeholders", {"role": "buyer", "influence": 3}, 422, "validation_error"),
        ("/clients/C1/stakeholders", {**person, "influence": 9}, 422, "validation_error"),
        ("/clients/C1/stakeholders", {**person, "name": "A\x00"}, 422, "validation_error"),
        ("/clients/C1/stakeholders", {**person, "role": "boss"}, 400, "invalid_input"),
        ("/clients/C1/stakeholders", {**person, "owner": "nobody"}, 400, "invalid_input"),
        (
            "/clients/C1/stakeholders",
            {**person, "reports_to": elsewhere.pk},  # another client's person: not found
            400,
            "invalid_input",
        ),
        (
            "/clients/C1/opportunities",
            {
                "title": "Roofs",
                "value": "1",
                "probability": 1,
                "expected_close": "2026-01-01",
                "competitors": ["Nobody"],
            },
            400,
            "invalid_input",
        ),
    ]
    for address, payload, status, code in cases:
        response = api("kam", "POST", address, json=payload)
        assert response.status_code == status, (payload, response.content)
        error = response.json()["error"]
        assert error["code"] == code and error["message"]
    after = (Stakeholder.objects.count(), Opportunity.objects.count(), AuditEvent.objects.count())
    assert after == before
    assert "nobody" in api("kam", "POST", cases[4][0], json=cases[4][1]).json()["error"]["message"]


def test_an_objective_exists_once_per_measure_and_category(
    api: Call, clients: dict[str, Client]
) -> None:
    objective = {"year": 2024, "measure": "revenue", "target": "10"}
    assert api("kam", "POST", "/clients/C1/objectives", json=objective).status_code == 201
    again = api("kam", "POST", "/clients/C1/objectives", json=objective)
    assert (again.status_code, again.json()["error"]["code"]) == (400, "invalid_input")
    assert Objective.objects.count() == 1
    listed = api("kam", "GET", "/clients/C1/objectives", data={"year": 2025}).json()
    assert listed == []


def test_a_deal_names_the_competitors_met_and_changing_them_is_audited(
    api: Call, clients: dict[str, Client], rival: Competitor
) -> None:
    Competitor.objects.create(name="Other")
    deal = api("kam", "POST", "/clients/C1/opportunities", json=COLLECTIONS["opportunities"][1])
    deal_id = deal.json()["id"]
    assert deal.json()["competitors"] == ["Rival"]
    changed = api("kam", "PATCH", f"/opportunities/{deal_id}", json={"competitors": ["Other"]})
    assert changed.json()["competitors"] == ["Other"]
    events = AuditEvent.objects.filter(entity="planning.Opportunity", field="competitors")
    assert [(e.old_value, e.new_value) for e in events.order_by("pk")] == [
        ("", "Rival"),
        ("Rival", "Other"),
    ]
    assert {e.interface for e in events} == {"api"}


def test_the_owner_of_a_task_changes_it_and_finds_it_in_their_queue(
    api: Call, clients: dict[str, Client], people: dict[str, User]
) -> None:
    ask = Task.objects.create(
        client=clients["C3"], title="Data sheets", owner=people["team"], due_on=dt.date(2020, 1, 1)
    )
    queue = api("team", "GET", "/me/tasks").json()
    assert [(t["id"], t["client"], t["overdue"]) for t in queue] == [(ask.pk, "C3", True)]
    assert api("team", "GET", "/clients/C3/tasks").status_code == 404  # not their account
    done = api("team", "PATCH", f"/tasks/{ask.pk}", json={"status": "done"})
    assert done.status_code == 200
    ask.refresh_from_db()
    assert ask.status == "done" and ask.done_at is not None
    assert api("team", "GET", "/me/tasks").json() == []
    refused = api("team", "DELETE", f"/tasks/{ask.pk}")  # the owner changes, does not delete
    assert refused.status_code == 403 and Task.objects.filter(pk=ask.pk).exists()
    assert api("analyst", "PATCH", f"/tasks/{ask.pk}", json={"status": "open"}).status_code == 403


def test_a_plan_goes_from_draft_to_approved_through_the_api(
    api: Call, clients: dict[str, Client]
) -> None:
    Client.objects.filter(pk=clients["C1"].pk).update(is_key_account=True, tier="1")
    drafted = api("kam", "POST", "/clients/C1/plans", json={"year": 2026})
    assert drafted.status_code == 201
    plan = drafted.json()
    assert (plan["status"], plan["version"], plan["created_by"]) == ("draft", 1, "kam")
    pid = plan["id"]

    early = api("kam", "POST", f"/plans/{pid}/submit")
    assert (early.status_code, early.json()["error"]["code"]) == (400, "invalid_input")
    texts = {"summary": "Grow insulation", "threats": "A rival cuts prices"}
    assert api("kam", "PATCH", f"/plans/{pid}", json=texts).json()["summary"] == "Grow insulation"
    assert api("team", "PATCH", f"/plans/{pid}", json={"summary": "x"}).status_code == 403
    assert api("kam", "POST", f"/plans/{pid}/submit").json()["status"] == "submitted"
    locked = api("kam", "PATCH", f"/plans/{pid}", json={"summary": "Changed"})
    assert (locked.status_code, locked.json()["error"]["code"]) == (400, "invalid_input")

    mine = api("kam", "POST", f"/plans/{pid}/review", json={"approve": True})
    assert (mine.status_code, mine.json()["error"]["code"]) == (403, "forbidden")
    silent = api("director", "POST", f"/plans/{pid}/review", json={"approve": False})
    assert silent.status_code == 400
    back = api("director", "POST", f"/plans/{pid}/review", json={"approve": False, "note": "Why?"})
    assert (back.json()["status"], back.json()["review_note"]) == ("draft", "Why?")
    api("kam", "POST", f"/plans/{pid}/submit")
    approved = api("director", "POST", f"/plans/{pid}/review", json={"approve": True}).json()
    assert (approved["status"], approved["approved_by"]) == ("approved", "director")

    again = api("kam", "POST", "/clients/C1/plans", json={"year": 2026}).json()
    assert (again["version"], again["summary"]) == (2, "Grow insulation")
    listed = api("team", "GET", "/clients/C1/plans", data={"year": 2026}).json()
    assert [(p["version"], p["status"]) for p in listed] == [(2, "draft"), (1, "approved")]
    assert api("team", "GET", f"/plans/{pid}").json()["status"] == "approved"
    assert api("service", "GET", "/plans/999999").status_code == 404

    statuses = AuditEvent.objects.filter(entity="planning.AccountPlan", field="status")
    assert [e.new_value for e in statuses.order_by("pk")] == [
        "submitted",
        "draft",
        "submitted",
        "approved",
    ]
    assert {e.interface for e in AuditEvent.objects.filter(entity="planning.AccountPlan")} == {
        "api"
    }


def test_plans_are_only_for_key_accounts(api: Call, clients: dict[str, Client]) -> None:
    refused = api("kam", "POST", "/clients/C1/plans", json={"year": 2026})
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_input")
    assert not AccountPlan.objects.exists()


@pytest.fixture
def northwind(
    store: Store, data_dir: Path, people: dict[str, User], settings: Any
) -> tuple[Client, Store]:
    """The Northwind ledger; its largest client a key account of "kam", "team" on its team."""
    assert ledger_import(store=store, paths=[data_dir / "northwind_order_lines.csv.gz"]).ok
    client = Client.objects.get(external_id="SAVEA")
    Client.objects.filter(pk=client.pk).update(is_key_account=True, tier="1", manager=people["kam"])
    AccountTeamMember.objects.create(client=client, user=people["team"], function="sales")
    client.refresh_from_db()
    return client, store


def test_progress_is_the_actuals_and_hides_margins_from_who_may_not_see_them(
    api: Call, tokens: Any, northwind: tuple[Client, Store]
) -> None:
    client, _store = northwind
    for measure, target in (("revenue", "120000"), ("margin", "30000"), ("range", "8")):
        Objective.objects.create(client=client, year=1997, measure=measure, target=Decimal(target))
    Objective.objects.create(client=client, year=1998, measure="revenue", target=Decimal("100000"))
    for year in (1997, 1998):
        page = api("kam", "GET", f"/clients/{client.external_id}/progress", data={"year": year})
        assert page.status_code == 200
        body = page.json()
        expected = actuals.objectives_progress(client=client, year=year)
        assert body["year"] == year and len(body["items"]) == len(expected)
        for item, p in zip(body["items"], expected, strict=True):
            assert item["objective"]["id"] == p.objective.pk
            assert _decimal(item["actual"]) == p.actual
            assert _decimal(item["expected"]) == p.expected
            share = None if p.share_of_target is None else round(p.share_of_target, 6)
            assert (item["method"], item["share_of_target"]) == (p.method, share)
            assert item["status"] == (p.status.value if p.status else None)
    revenue_1997 = api("kam", "GET", f"/clients/{client.external_id}/progress?year=1997")
    first = revenue_1997.json()["items"]
    by_measure = {i["objective"]["measure"]: i for i in first}
    assert Decimal(by_measure["revenue"]["actual"]) > 0
    assert by_measure["revenue"]["method"] == "complete"
    assert by_measure["margin"]["objective"]["target"] == "30000.0000"

    hidden = api("team", "GET", f"/clients/{client.external_id}/progress?year=1997").json()
    margin = {i["objective"]["measure"]: i for i in hidden["items"]}["margin"]
    assert margin["objective"]["target"] is None
    assert (margin["actual"], margin["expected"], margin["share_of_target"]) == (None, None, None)
    revenue = {i["objective"]["measure"]: i for i in hidden["items"]}["revenue"]
    assert revenue["actual"] == by_measure["revenue"]["actual"]
    listed = api("team", "GET", f"/clients/{client.external_id}/objectives?year=1997").json()
    assert {o["measure"]: o["target"] for o in listed}["margin"] is None


def test_share_of_wallet_per_year_and_the_wallet_only_for_margin_roles(
    api: Call, northwind: tuple[Client, Store]
) -> None:
    client, _store = northwind
    for year, amount in ((1996, "100000"), (1997, "200000")):
        WalletEstimate.objects.create(
            client=client, year=year, amount=Decimal(amount), source="Buyer"
        )
    address = f"/clients/{client.external_id}/share-of-wallet"
    shown = api("kam", "GET", address, data={"years": [1996, 1997]})
    assert shown.status_code == 200
    expected = selectors.share_of_wallet(client=client, years=[1996, 1997])
    assert [(s["year"], s["share"]) for s in shown.json()] == [
        (e.year, round(e.share, 6) if e.share is not None else None) for e in expected
    ]
    assert [s["wallet"] for s in shown.json()] == ["100000.00", "200000.00"]
    assert [s["year"] for s in api("kam", "GET", address).json()] == [1996, 1997]
    only = api("kam", "GET", address, data={"years": [1997]}).json()
    assert [s["year"] for s in only] == [1997]
    hidden = api("team", "GET", address).json()
    assert [s["wallet"] for s in hidden] == [None, None]
    assert [s["ours"] for s in hidden] == [s["ours"] for s in shown.json()]


def test_white_space_shows_the_key_accounts_one_sees_with_explained_recommendations(
    api: Call, northwind: tuple[Client, Store]
) -> None:
    client, _store = northwind
    body = api("kam", "GET", "/white-space", data={"year": 1997}).json()
    assert body["year"] == 1997
    assert [a["client"] for a in body["accounts"]] == [client.external_id]
    row = body["accounts"][0]
    assert row["bought"] and set(row["bought"]) <= set(body["categories"])
    for rec in row["recommendations"]:
        assert rec["category"] not in row["bought"]
        assert rec["because"] and all(0 < s["similarity"] <= 1 for s in rec["because"])
    assert api("service", "GET", "/white-space?year=1997").json()["accounts"][0]["client"] == (
        client.external_id  # service sees key accounts
    )
    assert api("analyst", "GET", "/white-space?year=1997").status_code == 200
    assert api("team", "GET", "/white-space?year=1997").json()["accounts"][0]["client"] == (
        client.external_id
    )


def test_competitor_actions_at_an_account_and_in_the_market(
    api: Call, clients: dict[str, Client], rival: Competitor
) -> None:
    action = {
        "competitor": "Rival",
        "happened_on": "2026-02-01",
        "kind": "price",
        "description": "Cut 5 %",
        "source": "Buyer",
    }
    market = api("marketing", "POST", "/competitor-actions", json=action)
    assert market.status_code == 201 and market.json()["client"] is None
    at_c1 = api("kam", "POST", "/competitor-actions", json={**action, "client": "C1"})
    assert at_c1.status_code == 201 and at_c1.json()["entered_by"] == "kam"
    assert api("team", "POST", "/competitor-actions", json=action).status_code == 403
    assert api("team", "POST", "/competitor-actions", json={**action, "client": "C1"}).json()[
        "error"
    ]["code"] == ("forbidden")
    assert api(
        "kam", "POST", "/competitor-actions", json={**action, "client": "C3"}
    ).status_code == (404)
    CompetitorAction.objects.create(
        competitor=rival,
        client=clients["C3"],
        happened_on=dt.date(2026, 3, 1),
        kind="launch",
        description="Elsewhere",
        source="Fair",
    )
    seen = api("team", "GET", "/competitor-actions").json()
    assert seen["count"] == 2 and {a["client"] for a in seen["items"]} == {None, "C1"}
    assert api("director", "GET", "/competitor-actions").json()["count"] == 3
    only_c1 = api("team", "GET", "/competitor-actions", data={"client": "C1"}).json()
    assert [a["id"] for a in only_c1["items"]] == [at_c1.json()["id"]]
    assert api("team", "GET", "/competitor-actions", data={"client": "C3"}).status_code == 404
    events = AuditEvent.objects.filter(entity="planning.CompetitorAction")
    assert {e.interface for e in events} == {"api"} and events.exists()


def test_the_register_and_the_market_notes_are_kept_by_their_roles(
    api: Call, clients: dict[str, Client]
) -> None:
    assert api("kam", "POST", "/competitors", json={"name": "Newco"}).status_code == 201
    duplicate = api("director", "POST", "/competitors", json={"name": "Newco"})
    assert (duplicate.status_code, duplicate.json()["error"]["code"]) == (400, "invalid_input")
    assert api("team", "POST", "/competitors", json={"name": "Other"}).status_code == 403
    assert [c["name"] for c in api("team", "GET", "/competitors").json()] == ["Newco"]

    note = {"segment": "Insulation", "year": 2026, "title": "Renovation", "growth": "0.09"}
    note["noted_on"] = "2026-01-05"
    created = api("marketing", "POST", "/market-notes", json=note)
    assert created.status_code == 201 and created.json()["growth"] == "0.0900"
    refused = api("kam", "POST", "/market-notes", json=note)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    assert MarketNote.objects.count() == 1
    whole = {"year": 2026, "title": "Construction output", "noted_on": "2026-01-06"}
    market = api("director", "POST", "/market-notes", json=whole)  # no segment: the whole market
    assert (market.status_code, market.json()["segment"]) == (201, "")
    titles = [n["title"] for n in api("team", "GET", "/market-notes?year=2026").json()]
    assert titles == ["Construction output", "Renovation"]
    assert api("team", "GET", "/market-notes?year=2025").json() == []
    event = AuditEvent.objects.filter(entity="planning.MarketNote").first()
    assert event is not None and event.interface == "api"


@pytest.mark.django_db(transaction=True)
def test_the_demo_gives_every_key_account_a_plan_the_api_serves(
    store: Store, api: Call, tokens: dict[str, str]
) -> None:
    from kam.cli import main

    assert main(["demo", "--clients", "40", "--lines", "3000"]) == 0
    keys = list(Client.objects.filter(is_key_account=True))
    assert keys
    for client in keys:
        plans = api("admin", "GET", f"/clients/{client.external_id}/plans").json()
        assert plans and plans[0]["summary"], client.external_id
        progress = api("admin", "GET", f"/clients/{client.external_id}/progress").json()
        assert progress["items"], client.external_id
