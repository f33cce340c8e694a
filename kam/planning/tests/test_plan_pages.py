"""The plan side of the key-account page over HTTP: the plan's flow, objectives against the
ledger, proposals from the market, share of wallet and the market notes."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import translation

from kam.accounts.models import WalletEstimate
from kam.audit.models import AuditEvent
from kam.clients.models import AccountTeamMember, Client
from kam.ledger.services import ledger_import
from kam.ledger.store import Store
from kam.people.models import User
from kam.people.services import user_create
from kam.planning.actuals import account_months_ensure, objectives_progress, year_actuals
from kam.planning.models import AccountPlan, MarketNote, Objective
from kam.web.plan_sheet import facts_of, plan_years
from kam.web.templatetags.kam_format import money

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def in_english() -> Iterator[None]:
    """English messages, whatever language an earlier request left active in this thread."""
    with translation.override("en"):
        yield


def _user(username: str, role: str, **extra: Any) -> User:
    return user_create(username=username, password=PASSWORD, role=role, **extra)


@pytest.fixture
def world() -> dict[str, Any]:
    people = {
        "kam": _user("kam", "kam", first_name="Maria", last_name="Ionescu"),
        "kam2": _user("kam2", "kam"),
        "team": _user("team", "team"),
        "director": _user("director", "director", first_name="Dana"),
        "marketing": _user("marketing", "marketing"),
        "analyst": _user("analyst", "analyst"),
    }
    c1 = Client.objects.create(
        external_id="C1", name="Alpha", manager=people["kam"], is_key_account=True, tier="1"
    )
    c2 = Client.objects.create(
        external_id="C2", name="Beta", manager=people["kam2"], is_key_account=True, tier="2"
    )
    AccountTeamMember.objects.create(client=c1, user=people["team"], function="sales")
    return {"people": people, "c1": c1, "c2": c2}


def _as(world: dict[str, Any], who: str) -> HttpClient:
    http = HttpClient()
    http.force_login(world["people"][who])
    return http


def _text(response: Any) -> str:
    return html.unescape(response.content.decode())


def _plan_state() -> list[tuple[Any, ...]]:
    return list(
        AccountPlan.objects.order_by("pk").values_list(
            "pk", "version", "status", "summary", "strengths", "review_note"
        )
    )


PLAN_TEXT = {
    "summary": "Grow dairy by a fifth",
    "strategy": "Expand to three new cities",
    "needs": "Reliable weekly deliveries",
    "strengths": "Fresh products",
    "weaknesses": "Price",
    "opportunities": "New stores",
    "threats": "Rival SA",
}


# --- the plan's flow ---------------------------------------------------------------------


def test_the_plan_goes_from_draft_to_approved_and_a_new_version_copies_the_text(
    world: dict[str, Any],
) -> None:
    kam, team, director = _as(world, "kam"), _as(world, "team"), _as(world, "director")
    _years, year = plan_years(world["c1"])
    base = "/accounts/C1/"

    page = _text(kam.get(base))
    assert 'data-test="no-plan"' in page and 'data-test="draft-form"' in page
    assert kam.post(f"{base}plan/new/", {"year": year}).status_code == 302
    plan = AccountPlan.objects.get(client=world["c1"])
    assert (plan.version, plan.status, plan.year) == (1, "draft", year)

    # the team member sees the account, not the forms, and may not write
    page = _text(team.get(base))
    assert 'data-test="plan-edit-form"' not in page and 'data-test="draft-form"' not in page
    before, events = _plan_state(), AuditEvent.objects.count()
    assert team.post(f"{base}plan/{plan.pk}/", PLAN_TEXT).status_code == 403
    assert team.post(f"{base}plan/{plan.pk}/submit/").status_code == 403
    assert team.post(f"{base}plan/new/", {"year": year}).status_code == 403
    assert (_plan_state(), AuditEvent.objects.count()) == (before, events)

    # submitting an empty summary is refused, nothing changed
    response = kam.post(f"{base}plan/{plan.pk}/submit/", follow=True)
    assert "Write the plan's summary before submitting it." in _text(response)
    assert AccountPlan.objects.get(pk=plan.pk).status == "draft"

    response = kam.post(f"{base}plan/{plan.pk}/", PLAN_TEXT)
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.summary == PLAN_TEXT["summary"] and plan.threats == "Rival SA"
    assert AuditEvent.objects.filter(entity="planning.AccountPlan", field="summary").exists()
    page = _text(kam.get(f"{base}?year={year}"))
    assert "Grow dairy by a fifth" in page and 'data-swot="threats"' in page

    assert kam.post(f"{base}plan/{plan.pk}/submit/").status_code == 302
    plan.refresh_from_db()
    assert plan.status == "submitted" and plan.submitted_at is not None

    # a submitted plan is not edited, and its manager does not review it
    response = kam.post(f"{base}plan/{plan.pk}/", {**PLAN_TEXT, "summary": "Changed"})
    assert response.status_code == 400
    assert "Only a draft is edited" in _text(response)
    assert kam.post(f"{base}plan/{plan.pk}/review/", {"decision": "approve"}).status_code == 403
    plan.refresh_from_db()
    assert (plan.summary, plan.status) == (PLAN_TEXT["summary"], "submitted")

    # the director returns it: a note is required
    assert 'data-test="review-form"' in _text(director.get(f"{base}?year={year}"))
    response = director.post(f"{base}plan/{plan.pk}/review/", {"decision": "return"})
    assert response.status_code == 400
    assert "Say why the plan goes back to draft." in _text(response)
    assert AccountPlan.objects.get(pk=plan.pk).status == "submitted"
    note = "Add the tender calendar"
    response = director.post(f"{base}plan/{plan.pk}/review/", {"decision": "return", "note": note})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.review_note) == ("draft", note)
    assert note in _text(kam.get(f"{base}?year={year}"))

    assert kam.post(f"{base}plan/{plan.pk}/submit/").status_code == 302
    director.post(f"{base}plan/{plan.pk}/review/", {"decision": "approve", "note": "Good"})
    plan.refresh_from_db()
    assert plan.status == "approved" and plan.approved_by == world["people"]["director"]
    assert list(
        AuditEvent.objects.filter(entity="planning.AccountPlan", field="status")
        .order_by("pk")
        .values_list("new_value", flat=True)
    ) == ["submitted", "draft", "submitted", "approved"]

    # a new version starts from the approved text; the approved one stays the current plan
    assert kam.post(f"{base}plan/new/", {"year": year}).status_code == 302
    v2 = AccountPlan.objects.get(client=world["c1"], version=2)
    assert v2.status == "draft"
    assert {f: getattr(v2, f) for f in PLAN_TEXT} == PLAN_TEXT
    page = _text(kam.get(f"{base}?year={year}"))
    assert re.search(r'data-test="plan-status">Approved<', page)
    assert 'data-test="plan-edit-form"' in page and 'data-version="2"' in page
    # an approved plan is kept as it is
    response = kam.post(f"{base}plan/{plan.pk}/", {**PLAN_TEXT, "summary": "Rewritten"})
    assert response.status_code == 400
    assert AccountPlan.objects.get(pk=plan.pk).summary == PLAN_TEXT["summary"]


def test_a_second_draft_is_refused_and_other_accounts_plans_are_not_reached(
    world: dict[str, Any],
) -> None:
    kam = _as(world, "kam")
    _years, year = plan_years(world["c1"])
    kam.post("/accounts/C1/plan/new/", {"year": year})
    response = kam.post("/accounts/C1/plan/new/", {"year": year}, follow=True)
    assert "A draft of this plan exists already" in _text(response)
    assert AccountPlan.objects.count() == 1
    theirs = AccountPlan.objects.create(client=world["c2"], year=year, summary="Beta's")
    # not visible: 404; a plan of another account through this one: 404
    assert kam.get("/accounts/C2/").status_code == 404
    assert kam.post(f"/accounts/C2/plan/{theirs.pk}/", PLAN_TEXT).status_code == 404
    assert kam.post(f"/accounts/C1/plan/{theirs.pk}/", PLAN_TEXT).status_code == 404
    assert AccountPlan.objects.get(pk=theirs.pk).summary == "Beta's"


def test_an_unknown_year_falls_back_and_a_client_that_is_not_key_gets_no_draft_button(
    world: dict[str, Any],
) -> None:
    Client.objects.filter(pk=world["c1"].pk).update(is_key_account=False)
    page = _text(_as(world, "kam").get("/accounts/C1/?year=banana"))
    assert 'data-test="not-key"' in page and 'data-test="draft-form"' not in page


# --- objectives against the ledger --------------------------------------------------------


@pytest.fixture
def ernsh(world: dict[str, Any], store: Store, data_dir: Path) -> Client:
    """The small Northwind ledger; Ernst Handel a key account of "kam", "team" on its team."""
    assert ledger_import(store=store, paths=[data_dir / "northwind_order_lines.csv.gz"]).ok
    client = Client.objects.get(external_id="ERNSH")
    client.is_key_account, client.tier, client.manager = True, "1", world["people"]["kam"]
    client.save()
    AccountTeamMember.objects.create(client=client, user=world["people"]["team"], function="rnd")
    return client


def _cells(page: str, objective: Objective) -> dict[str, str]:
    row = re.search(rf'<tr data-objective="{objective.pk}".*?</tr>', page, re.S)
    assert row, objective
    found = dict(re.findall(r'data-test="(\w+)"[^>]*>([^<]*)<', row.group(0)))
    status = re.search(r'data-status="(\w+)"', row.group(0))
    found["status"] = status.group(1) if status else ""
    return found


def test_objective_progress_shows_the_actuals_and_forecast_of_the_ledger(
    world: dict[str, Any], ernsh: Client, store: Store
) -> None:
    revenue = Objective.objects.create(
        client=ernsh, year=1998, measure="revenue", target=Decimal(150000)
    )
    beverages = Objective.objects.create(
        client=ernsh, year=1998, measure="revenue", category="Beverages", target=Decimal(1000)
    )
    page = _text(_as(world, "team").get("/accounts/ERNSH/objectives/?year=1998"))
    account_months_ensure(store=store, client=ernsh)
    progress = {p.objective.pk: p for p in objectives_progress(client=ernsh, year=1998)}
    for objective in (revenue, beverages):
        p = progress[objective.pk]
        cells = _cells(page, objective)
        assert cells["actual"] == money(p.actual)
        assert cells["expected"] == money(p.expected)
        assert p.status is not None and cells["status"] == p.status.value
        assert cells["method"] == "seasonal"
    assert progress[beverages.pk].status == "on_track"  # a small target, long passed
    assert progress[revenue.pk].actual == year_actuals(client=ernsh, year=1998).revenue
    assert "Seasonal: the actual to date" in page  # the method is explained
    assert 'data-figure="objectives-figure"' in page and 'id="objectives-figure"' in page
    assert 'class="work-form"' not in page  # the team member only looks


def test_a_new_import_moves_the_actuals(
    world: dict[str, Any], ernsh: Client, store: Store, tmp_path: Path
) -> None:
    objective = Objective.objects.create(
        client=ernsh, year=1998, measure="revenue", target=Decimal(150000)
    )
    http = _as(world, "kam")
    account_months_ensure(store=store, client=ernsh)
    before = year_actuals(client=ernsh, year=1998).revenue
    page = _text(http.get("/accounts/ERNSH/objectives/?year=1998"))
    assert _cells(page, objective)["actual"] == money(before)

    extra = tmp_path / "april.csv"
    extra.write_text(
        "invoice,date,client,product,category,quantity,unit_price\n"
        "99001,1998-04-10,ERNSH,P-1,Beverages,10,123.45\n"
    )
    assert ledger_import(store=store, paths=[extra]).ok
    page = _text(http.get("/accounts/ERNSH/objectives/?year=1998"))
    assert _cells(page, objective)["actual"] == money(before + Decimal("1234.50"))


def test_objectives_are_added_changed_and_deleted_with_share_of_wallet_in_percent(
    world: dict[str, Any], ernsh: Client
) -> None:
    http = _as(world, "kam")
    url = "/accounts/ERNSH/objectives/"
    values = {
        "objective-new-year": "1998",
        "objective-new-measure": "share_of_wallet",
        "objective-new-category": "",
        "objective-new-target": "35",
        "objective-new-note": "From a third to more",
    }
    assert http.post(f"{url}new/", values).status_code == 302
    objective = Objective.objects.get(client=ernsh)
    assert objective.target == Decimal("0.35")

    # a share above 100 %: refused, nothing changed
    events = AuditEvent.objects.count()
    response = http.post(f"{url}new/", {**values, "objective-new-target": "120"})
    assert response.status_code == 400
    assert "A share of wallet is at most 100 %." in _text(response)
    # the same measure and category twice: refused by the service
    response = http.post(f"{url}new/", values)
    assert response.status_code == 400
    assert "already exists." in _text(response) and "__all__" not in _text(response)
    assert (Objective.objects.count(), AuditEvent.objects.count()) == (1, events)

    # the change form shows the share in %, and saves it back to 0-1
    page = _text(http.get(f"{url}?year=1998"))
    assert f'name="objective-{objective.pk}-target" value="35"' in page
    prefix = f"objective-{objective.pk}"
    changed = {f"{prefix}-{k.split('-')[-1]}": v for k, v in values.items()}
    changed[f"{prefix}-target"] = "40"
    assert http.post(f"{url}{objective.pk}/", changed).status_code == 302
    objective.refresh_from_db()
    assert objective.target == Decimal("0.40")

    # the team member may not add, change or delete
    team = _as(world, "team")
    assert team.post(f"{url}new/", values).status_code == 403
    assert team.post(f"{url}{objective.pk}/delete/").status_code == 403
    assert Objective.objects.filter(pk=objective.pk).exists()
    assert http.post(f"{url}{objective.pk}/delete/").status_code == 302
    assert not Objective.objects.exists()
    assert AuditEvent.objects.filter(
        entity="planning.Objective", action=AuditEvent.Action.DELETE
    ).exists()


def test_market_notes_propose_objectives_that_the_manager_adopts(
    world: dict[str, Any], ernsh: Client, store: Store
) -> None:
    account_months_ensure(store=store, client=ernsh)
    market = MarketNote.objects.create(
        segment="", year=1998, title="Austria grows", growth=Decimal("0.10"), noted_on="1998-01-05"
    )
    dairy = MarketNote.objects.create(
        segment="Dairy Products",
        year=1998,
        title="Cheese boom",
        growth=Decimal("0.25"),
        noted_on="1998-01-06",
    )
    MarketNote.objects.create(  # no growth assumed: proposes nothing
        segment="Seafood", year=1998, title="Quiet", noted_on="1998-01-06"
    )
    last = year_actuals(client=ernsh, year=1997)
    whole = (last.revenue * Decimal("1.10")).quantize(Decimal("0.01"))
    cheese = (last.by_category["Dairy Products"] * Decimal("1.25")).quantize(Decimal("0.01"))
    http = _as(world, "kam")
    page = _text(http.get("/accounts/ERNSH/objectives/?year=1998"))
    proposals = re.search(r'data-test="proposals".*?</table>', page, re.S)
    assert proposals
    assert money(whole) in proposals.group(0) and money(cheese) in proposals.group(0)
    assert 'data-proposal="Seafood"' not in page

    response = http.post(
        "/accounts/ERNSH/objectives/adopt/",
        {"year": "1998", "category": "Dairy Products", "note": dairy.pk},
    )
    assert response.status_code == 302
    adopted = Objective.objects.get(client=ernsh)
    assert (adopted.measure, adopted.category, adopted.target) == (
        "revenue",
        "Dairy Products",
        cheese,
    )
    assert adopted.proposed_from == dairy and "Cheese boom" in adopted.note
    # adopted once: the page says so, and a second adoption is refused
    page = _text(http.get("/accounts/ERNSH/objectives/?year=1998"))
    assert "An objective exists" in page
    response = http.post(
        "/accounts/ERNSH/objectives/adopt/",
        {"year": "1998", "category": "Dairy Products", "note": dairy.pk},
        follow=True,
    )
    assert "This account has a revenue objective for it already." in _text(response)
    # a forged proposal (a note of another segment) is refused
    response = http.post(
        "/accounts/ERNSH/objectives/adopt/",
        {"year": "1998", "category": "Beverages", "note": market.pk},
        follow=True,
    )
    assert "This proposal no longer holds" in _text(response)
    assert Objective.objects.count() == 1
    team = _as(world, "team")
    response = team.post(
        "/accounts/ERNSH/objectives/adopt/", {"year": "1998", "category": "", "note": market.pk}
    )
    assert response.status_code == 403 and Objective.objects.count() == 1


# --- share of wallet ---------------------------------------------------------------------


def test_wallet_page_shows_shares_and_trend_and_amounts_only_to_who_sees_margins(
    world: dict[str, Any], ernsh: Client, store: Store
) -> None:
    account_months_ensure(store=store, client=ernsh)
    for year, amount in ((1997, 200000), (1998, 150000)):
        WalletEstimate.objects.create(
            client=ernsh, year=year, amount=Decimal(amount), source="Buyer", confidence="high"
        )
    WalletEstimate.objects.create(
        client=ernsh, year=1998, category="Beverages", amount=Decimal(50000), source="Fair"
    )
    ours = {y: year_actuals(client=ernsh, year=y).revenue for y in (1997, 1998)}
    page = _text(_as(world, "kam").get("/accounts/ERNSH/wallet/"))
    row = re.search(r'<tr data-category="">.*?</tr>', page, re.S)
    assert row
    share97 = float(ours[1997] / Decimal(200000))
    share98 = float(ours[1998] / Decimal(150000))
    assert f"{share97 * 100:.1f} %" in row.group(0) and f"{share98 * 100:.1f} %" in row.group(0)
    assert f"{(share98 - share97) * 100:.1f} points" in row.group(0)
    assert 'data-test="amounts"' in page and money(Decimal(200000)) in page
    assert 'data-category="Beverages"' in page
    assert 'href="/clients/ERNSH/#key-account"' in page

    page = _text(_as(world, "team").get("/accounts/ERNSH/wallet/"))
    assert f"{share97 * 100:.1f} %" in page
    assert 'data-test="amounts"' not in page and money(Decimal(200000)) not in page


# --- market notes ------------------------------------------------------------------------


def test_market_notes_are_kept_by_marketing_and_directors_and_read_by_everyone(
    world: dict[str, Any],
) -> None:
    values = {
        "note-new-year": "1998",
        "note-new-segment": "Dairy Products",
        "note-new-title": "Cheese boom",
        "note-new-body": "Demand up in Austria",
        "note-new-growth": "12.5",
        "note-new-source": "Trade fair",
        "note-new-noted_on": "1998-01-05",
    }
    assert _as(world, "kam").post("/accounts/market/new/", values).status_code == 403
    assert _as(world, "team").post("/accounts/market/new/", values).status_code == 403
    assert not MarketNote.objects.exists()
    response = _as(world, "marketing").post("/accounts/market/new/", values)
    assert response.status_code == 302
    note = MarketNote.objects.get()
    assert (note.segment, note.growth, note.created_by) == (
        "Dairy Products",
        Decimal("0.125"),
        world["people"]["marketing"],
    )
    assert AuditEvent.objects.filter(entity="planning.MarketNote").exists()

    page = _text(_as(world, "team").get("/accounts/market/"))
    assert "Cheese boom" in page and "12.5 %" in page and 'class="work-form"' not in page

    prefix = f"note-{note.pk}"
    changed = {k.replace("note-new", prefix): v for k, v in values.items()}
    changed[f"{prefix}-growth"] = "abc"
    director = _as(world, "director")
    assert director.post(f"/accounts/market/{note.pk}/", changed).status_code == 400
    changed[f"{prefix}-growth"] = "-3"
    assert director.post(f"/accounts/market/{note.pk}/", changed).status_code == 302
    note.refresh_from_db()
    assert note.growth == Decimal("-0.03")
    assert _as(world, "kam").post(f"/accounts/market/{note.pk}/", changed).status_code == 403


def test_growth_of_a_running_year_compares_the_same_days_of_the_year_before(
    world: dict[str, Any], store: Store, tmp_path: Path
) -> None:
    """The ledger stops on 20 January 2024: 2024 is compared with 1-20 January 2023, not
    with the whole of 2023; a finished year is compared with the whole year before."""
    ledger = tmp_path / "sales.csv"
    ledger.write_text(
        "invoice,date,client,product,quantity,unit_price\n"
        "F1,2022-05-05,C1,P1,1,800\n"
        "F2,2023-01-10,C1,P1,1,100\n"
        "F3,2023-01-20,C1,P1,1,20\n"
        "F4,2023-01-21,C1,P1,1,5000\n"  # the day after: not in the same days
        "F5,2023-06-01,C1,P1,1,880\n"
        "F6,2024-01-20,C1,P1,1,180\n"
    )
    assert ledger_import(store=store, paths=[ledger]).ok

    running = facts_of(world["c1"], 2024, with_margin=True)
    assert running.previous == Decimal(6000) and running.previous_to_date == Decimal(120)
    assert running.previous_through == dt.date(2023, 1, 20)
    assert running.growth == pytest.approx(0.5)  # 180 against 120, not against 6,000
    finished = facts_of(world["c1"], 2023, with_margin=True)
    assert finished.to_date is None and finished.previous_to_date is None
    assert finished.growth == pytest.approx(6000 / 800 - 1)

    page = _text(_as(world, "kam").get("/accounts/C1/?year=2024"))
    assert "Net revenue 2023 to 2023-01-20" in page and "Growth, same period" in page
    assert re.search(r'data-test="previous-to-date">[^<]*120', page)
    earlier = _text(_as(world, "kam").get("/accounts/C1/?year=2023"))
    assert "same period" not in earlier and 'data-test="previous-to-date"' not in earlier
    with translation.override("ro"):
        ro = _text(_as(world, "kam").get("/accounts/C1/?year=2024", HTTP_ACCEPT_LANGUAGE="ro"))
    assert "Venituri nete 2023 până la 2023-01-20" in ro
