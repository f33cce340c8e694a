"""The work side of the key-account page: buying centre, deals, competitors, actions,
my tasks, the competitor log and white space, for who may change and who may only look."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from kam.audit.models import AuditEvent
from kam.clients.models import AccountTeamMember, Client
from kam.ledger.services import ledger_import
from kam.ledger.store import Store
from kam.people.models import Team, User
from kam.people.services import user_create
from kam.planning.actuals import account_months_ensure, objectives_progress
from kam.planning.models import (
    Competitor,
    CompetitorAction,
    CompetitorPresence,
    NegotiationEntry,
    Objective,
    Opportunity,
    PurchasingStep,
    Stakeholder,
    Task,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"
TABS = ("buying", "deals", "competitors", "actions")
TODAY = timezone.localdate()


def _user(username: str, role: str, **extra: Any) -> User:
    return user_create(username=username, password=PASSWORD, role=role, **extra)


@pytest.fixture
def world() -> dict[str, Any]:
    rnd = Team.objects.create(name="Research", function="rnd")
    people = {
        "kam": _user("kam", "kam", first_name="Maria", last_name="Ionescu"),
        "kam2": _user("kam2", "kam"),
        "team": _user("team", "team"),
        "rd": _user("rd", "team", first_name="Radu", last_name="Dima", team=rnd),
        "director": _user("director", "director"),
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
    rival = Competitor.objects.create(name="Rival SA")
    return {"people": people, "c1": c1, "c2": c2, "rival": rival}


def _as(world: dict[str, Any], who: str) -> HttpClient:
    http = HttpClient()
    http.force_login(world["people"][who])
    return http


def _text(response: Any) -> str:
    return str(response.content.decode())


# --- every tab, for who may change and who may only look ----------------------------------


def test_each_tab_renders_with_forms_for_the_manager(world: dict[str, Any]) -> None:
    http = _as(world, "kam")
    for tab in TABS:
        response = http.get(f"/accounts/C1/{tab}/")
        assert response.status_code == 200, tab
        page = _text(response)
        assert 'class="work-form"' in page, tab
        assert 'aria-current="page"' in page  # the tab is marked
        assert http.get(f"/accounts/C2/{tab}/").status_code == 404  # not theirs, not seen


def _some_records(world: dict[str, Any]) -> dict[str, Any]:
    c1, kam = world["c1"], world["people"]["kam"]
    person = Stakeholder.objects.create(client=c1, name="Ana Pop", role="decider", influence=5)
    step = PurchasingStep.objects.create(client=c1, position=1, name="Tender")
    deal = Opportunity.objects.create(
        client=c1, title="Roofs", value=100, probability=50, expected_close=TODAY
    )
    presence = CompetitorPresence.objects.create(client=c1, competitor=world["rival"])
    task = Task.objects.create(client=c1, title="Call", owner=kam, due_on=TODAY)
    return {
        "stakeholder": person,
        "step": step,
        "deal": deal,
        "presence": presence,
        "task": task,
    }


def _counts() -> tuple[int, ...]:
    models = (
        Stakeholder,
        PurchasingStep,
        Opportunity,
        NegotiationEntry,
        CompetitorPresence,
        CompetitorAction,
        Task,
        AuditEvent,
    )
    return tuple(m.objects.count() for m in models)


def test_a_team_member_reads_every_tab_but_sees_no_form_and_cannot_write(
    world: dict[str, Any],
) -> None:
    records = _some_records(world)
    http = _as(world, "team")
    for tab in TABS:
        response = http.get(f"/accounts/C1/{tab}/")
        assert response.status_code == 200, tab
        page = _text(response)
        assert '<form method="post" action="/accounts/C1' not in page, tab
        assert "work-form" not in page and "work-delete" not in page, tab
    assert "Ana Pop" in _text(http.get("/accounts/C1/buying/"))
    assert "Roofs" in _text(http.get("/accounts/C1/deals/"))

    before = _counts()
    adds = (
        "buying/people/new/",
        "buying/steps/new/",
        "deals/new/",
        "deals/log/new/",
        "competitors/present/new/",
        "competitors/actions/new/",
        "actions/new/",
        "actions/ask/",
    )
    for where in adds:
        assert http.post(f"/accounts/C1/{where}", {"x-new-name": "Sneaky"}).status_code == 403
    for kind, where in (
        ("stakeholder", "buying/people"),
        ("step", "buying/steps"),
        ("deal", "deals"),
        ("presence", "competitors/present"),
        ("task", "actions"),
    ):
        pk = records[kind].pk
        assert http.post(f"/accounts/C1/{where}/{pk}/", {}).status_code == 403
        assert http.post(f"/accounts/C1/{where}/{pk}/delete/").status_code == 403
    assert (
        http.post(f"/accounts/tasks/{records['task'].pk}/status/", {"status": "done"}).status_code
        == 403
    )
    assert _counts() == before
    assert Task.objects.get().status == Task.Status.OPEN


# --- buying centre ------------------------------------------------------------------------


def _post_person(http: HttpClient, **values: Any) -> Any:
    data = {
        "name": "",
        "title": "",
        "role": "influencer",
        "influence": "3",
        "attitude": "0",
        "reports_to": "",
        "owner": "",
        "email": "",
        "phone": "",
        "notes": "",
        **values,
    }
    return http.post(
        "/accounts/C1/buying/people/new/", {f"stakeholder-new-{k}": v for k, v in data.items()}
    )


def test_the_buying_centre_draws_the_reports_to_line_and_flags_uncovered_influence(
    world: dict[str, Any],
) -> None:
    http = _as(world, "kam")
    kam = world["people"]["kam"]
    assert _post_person(http, name="Ion Boss", role="decider", influence="5").status_code == 302
    boss = Stakeholder.objects.get(name="Ion Boss")
    response = _post_person(
        http, name="Eva Buyer", role="buyer", influence="4", reports_to=boss.pk, owner=kam.pk
    )
    assert response.status_code == 302
    eva = Stakeholder.objects.get(name="Eva Buyer")
    assert eva.reports_to == boss and eva.owner == kam
    audited = AuditEvent.objects.filter(client_id=world["c1"].pk, entity="planning.Stakeholder")
    assert set(audited.values_list("entity_id", flat=True)) == {str(boss.pk), str(eva.pk)}

    page = _text(http.get("/accounts/C1/buying/"))
    chart = page.split('data-test="org-chart"')[1].split("</section>")[0]
    # Eva sits under Ion in the nested list
    ion = chart.index(f'data-node="{boss.pk}"')
    assert chart.index(f'data-node="{eva.pk}"') > ion and "<ul>" in chart[ion:]
    assert "1 influential person nobody on our side owns" in page
    assert re.search(rf'id="person-{boss.pk}"[^>]*class="gap"', page)  # influence 5, no owner
    assert not re.search(rf'id="person-{eva.pk}"[^>]*class="gap"', page)  # owned

    # once Ion has an owner, nobody is flagged
    values = {
        f"stakeholder-{boss.pk}-{k}": v
        for k, v in {
            "name": "Ion Boss",
            "role": "decider",
            "influence": "5",
            "attitude": "1",
            "owner": kam.pk,
        }.items()
    }
    assert http.post(f"/accounts/C1/buying/people/{boss.pk}/", values).status_code == 302
    page = _text(http.get("/accounts/C1/buying/"))
    assert "Every influential person (influence 4 or 5) has an owner on our side." in page
    assert 'class="gap"' not in page


def test_a_reports_to_loop_is_drawn_once_without_looping(world: dict[str, Any]) -> None:
    c1 = world["c1"]
    a = Stakeholder.objects.create(client=c1, name="Anca", role="user", influence=2)
    b = Stakeholder.objects.create(client=c1, name="Bogdan", role="user", influence=2, reports_to=a)
    Stakeholder.objects.filter(pk=a.pk).update(reports_to=b)
    page = _text(_as(world, "kam").get("/accounts/C1/buying/"))
    chart = page.split('data-test="org-chart"')[1].split("</section>")[0]
    assert chart.count(f'data-node="{a.pk}"') == 1 and chart.count(f'data-node="{b.pk}"') == 1


def test_a_person_cannot_report_to_someone_of_another_client(world: dict[str, Any]) -> None:
    stranger = Stakeholder.objects.create(client=world["c2"], name="Zed", role="user", influence=1)
    before = _counts()
    response = _post_person(_as(world, "kam"), name="Ana", reports_to=stranger.pk)
    assert response.status_code == 400
    assert "Choose one of the options." in _text(response)
    assert _counts() == before


def test_purchasing_steps_are_added_in_order_and_deleted(world: dict[str, Any]) -> None:
    http = _as(world, "kam")
    person = Stakeholder.objects.create(client=world["c1"], name="Ana", role="buyer", influence=3)
    for position, name in ((2, "Approval"), (1, "Specification")):
        data = {"step-new-position": position, "step-new-name": name, "step-new-stakeholder": ""}
        if position == 2:
            data["step-new-stakeholder"] = person.pk
        assert http.post("/accounts/C1/buying/steps/new/", data).status_code == 302
    page = _text(http.get("/accounts/C1/buying/"))
    assert page.index('data-step="Specification"') < page.index('data-step="Approval"')
    assert PurchasingStep.objects.get(name="Approval").stakeholder == person
    step = PurchasingStep.objects.get(name="Approval")
    assert http.post(f"/accounts/C1/buying/steps/{step.pk}/delete/").status_code == 302
    assert list(PurchasingStep.objects.values_list("name", flat=True)) == ["Specification"]


# --- deals and the pipeline ---------------------------------------------------------------


def _deal(http: HttpClient, **values: Any) -> Any:
    data = {
        "title": "Deal",
        "stage": "proposal",
        "value": "1000",
        "probability": "50",
        "expected_close": f"{TODAY.year}-12-01",
        "categories": "",
        "owner": "",
        **values,
    }
    post = {f"deal-new-{k}": v for k, v in data.items() if k != "competitors"}
    if "competitors" in values:
        post["deal-new-competitors"] = values["competitors"]
    return http.post("/accounts/C1/deals/new/", post)


def test_deals_are_kept_with_the_competitors_met_and_filtered_by_stage(
    world: dict[str, Any],
) -> None:
    http = _as(world, "kam")
    rival = world["rival"]
    other = Competitor.objects.create(name="Other SRL")
    response = _deal(http, title="Roofs", competitors=[rival.pk, other.pk], categories="Tiles")
    assert response.status_code == 302
    roofs = Opportunity.objects.get(title="Roofs")
    assert set(roofs.competitors.all()) == {rival, other} and roofs.categories == "Tiles"
    assert _deal(http, title="Old one", stage="lost").status_code == 302
    assert _deal(http, title="Too likely", probability="120").status_code == 400
    assert not Opportunity.objects.filter(title="Too likely").exists()

    open_page = _text(http.get("/accounts/C1/deals/?stage=open"))
    assert 'data-deal="Roofs"' in open_page and 'data-deal="Old one"' not in open_page
    lost_page = _text(http.get("/accounts/C1/deals/?stage=lost"))
    assert 'data-deal="Old one"' in lost_page and 'data-deal="Roofs"' not in lost_page

    # the competitors met change with the deal
    values = {
        f"deal-{roofs.pk}-{k}": v
        for k, v in {
            "title": "Roofs",
            "stage": "negotiation",
            "value": "1000",
            "probability": "60",
            "expected_close": f"{TODAY.year}-12-01",
        }.items()
    }
    values[f"deal-{roofs.pk}-competitors"] = str(other.pk)
    assert http.post(f"/accounts/C1/deals/{roofs.pk}/", values).status_code == 302
    roofs.refresh_from_db()
    assert list(roofs.competitors.all()) == [other] and roofs.stage == "negotiation"

    log = {
        "negotiation-new-happened_on": TODAY.isoformat(),
        "negotiation-new-opportunity": roofs.pk,
        "negotiation-new-summary": "Asked for 60 days",
        "negotiation-new-outcome": "Offer 45",
    }
    assert http.post("/accounts/C1/deals/log/new/", log).status_code == 302
    entry = NegotiationEntry.objects.get()
    assert entry.opportunity == roofs and entry.entered_by == world["people"]["kam"]
    assert "Asked for 60 days" in _text(http.get("/accounts/C1/deals/"))


@pytest.fixture
def northwind(store: Store, data_dir: Path) -> Store:
    assert ledger_import(store=store, paths=[data_dir / "northwind_order_lines.csv.gz"]).ok
    return store


def _figure(page: str, name: str) -> str:
    found = re.search(rf'data-test="{name}">([^<]*)<', page)
    assert found, name
    return found.group(1).strip()


def test_the_pipeline_is_measured_against_the_revenue_objective_gap(
    world: dict[str, Any], northwind: Store
) -> None:
    kam = world["people"]["kam"]
    client = Client.objects.get(external_id="ERNSH")
    client.is_key_account, client.manager = True, kam
    client.save()
    Objective.objects.create(client=client, year=1998, measure="revenue", target=Decimal(150000))
    for title, stage, value, probability in (
        ("A", "proposal", 20000, 50),
        ("B", "negotiation", 10000, 80),
        ("C", "won", 5000, 100),
        ("D", "lost", 7000, 10),
    ):
        Opportunity.objects.create(
            client=client,
            title=title,
            stage=stage,
            value=value,
            probability=probability,
            expected_close=dt.date(1998, 9, 1),
        )
    Opportunity.objects.create(  # another year: not in the 1998 pipeline
        client=client, title="E", value=99999, probability=90, expected_close=dt.date(1999, 1, 5)
    )
    page = _text(_as(world, "kam").get("/accounts/ERNSH/deals/?year=1998"))

    account_months_ensure(store=northwind, client=client)
    progress = objectives_progress(client=client, year=1998)[0]
    assert progress.expected is not None
    gap = Decimal(150000) - progress.expected
    assert gap > 0
    weighted = Decimal(20000 * 50 + 10000 * 80) / 100  # 18,000
    assert _figure(page, "open") == "30,000.00"
    assert _figure(page, "weighted") == "18,000.00"
    assert _figure(page, "won") == "5,000.00"
    assert _figure(page, "gap") == f"{gap:,.2f}"
    assert _figure(page, "coverage") == f"{float(weighted / gap) * 100:.0f} %"


def test_without_a_revenue_objective_the_gap_is_not_measured(world: dict[str, Any]) -> None:
    page = _text(_as(world, "kam").get("/accounts/C1/deals/"))
    assert _figure(page, "gap") == "—" and _figure(page, "coverage") == "—"
    assert "No revenue objective for" in page


# --- competitors --------------------------------------------------------------------------


def test_competitor_presence_and_actions_at_an_account(world: dict[str, Any]) -> None:
    http = _as(world, "kam")
    rival = world["rival"]
    presence = {
        "presence-new-competitor": rival.pk,
        "presence-new-estimated_share": "25",
        "presence-new-price_position": "lower",
        "presence-new-notes": "Aggressive",
    }
    assert http.post("/accounts/C1/competitors/present/new/", presence).status_code == 302
    found = CompetitorPresence.objects.get()
    assert found.estimated_share == Decimal("0.25") and found.price_position == "lower"
    # the same competitor twice at one account is refused, nothing changed
    before = _counts()
    response = http.post("/accounts/C1/competitors/present/new/", presence)
    assert response.status_code == 400 and _counts() == before
    assert (
        http.post(
            "/accounts/C1/competitors/present/new/",
            {**presence, "presence-new-estimated_share": "140"},
        ).status_code
        == 400
    )

    action = {
        "competitor_action-new-competitor": rival.pk,
        "competitor_action-new-happened_on": "2026-03-02",
        "competitor_action-new-kind": "price",
        "competitor_action-new-description": "Cut prices 5 %",
        "competitor_action-new-source": "Buyer, by phone",
    }
    assert http.post("/accounts/C1/competitors/actions/new/", action).status_code == 302
    logged = CompetitorAction.objects.get()
    assert logged.client == world["c1"] and logged.entered_by == world["people"]["kam"]
    page = _text(_as(world, "team").get("/accounts/C1/competitors/"))
    assert "25 %" in page and "Cut prices 5 %" in page and "Cheaper than us" in page


def test_the_competitor_log_shows_what_each_person_may_see(world: dict[str, Any]) -> None:
    rival, c1, c2 = world["rival"], world["c1"], world["c2"]
    other = Competitor.objects.create(name="Other SRL")
    for client, competitor, kind, day, text in (
        (c1, rival, "price", 5, "Alpha price cut"),
        (c2, rival, "launch", 6, "Beta launch"),
        (None, other, "people", 7, "Market hire"),
    ):
        CompetitorAction.objects.create(
            client=client,
            competitor=competitor,
            kind=kind,
            happened_on=dt.date(2026, 1, day),
            description=text,
            source="fair",
        )
    seen = {
        "kam": {"Alpha price cut", "Market hire"},
        "team": {"Alpha price cut", "Market hire"},
        "rd": {"Market hire"},
        "kam2": {"Beta launch", "Market hire"},
        "analyst": {"Alpha price cut", "Beta launch", "Market hire"},
    }
    texts = {"Alpha price cut", "Beta launch", "Market hire"}
    for who, expected in seen.items():
        page = _text(_as(world, who).get("/accounts/competitors/"))
        assert {t for t in texts if t in page} == expected, who
    http = _as(world, "analyst")
    by_competitor = _text(http.get(f"/accounts/competitors/?competitor={other.pk}"))
    assert {t for t in texts if t in by_competitor} == {"Market hire"}
    by_kind = _text(http.get("/accounts/competitors/?kind=launch"))
    assert {t for t in texts if t in by_kind} == {"Beta launch"}
    by_dates = _text(http.get("/accounts/competitors/?date_from=2026-01-05&date_to=2026-01-06"))
    assert {t for t in texts if t in by_dates} == {"Alpha price cut", "Beta launch"}


def test_market_actions_and_the_register(world: dict[str, Any]) -> None:
    rival = world["rival"]
    action = {
        "market-competitor": rival.pk,
        "market-happened_on": "2026-02-01",
        "market-kind": "launch",
        "market-description": "New insulation range",
        "market-source": "Trade press",
    }
    before = _counts()
    assert _as(world, "team").post("/accounts/competitors/market/new/", action).status_code == 403
    assert _counts() == before
    assert _as(world, "kam").post("/accounts/competitors/market/new/", action).status_code == 302
    logged = CompetitorAction.objects.get()
    assert logged.client is None and logged.description == "New insulation range"
    assert "New insulation range" in _text(_as(world, "rd").get("/accounts/competitors/"))

    # a manager adds to the register; only directors and marketing change it
    new = {"competitor-new-name": "Newco", "competitor-new-website": "", "competitor-new-notes": ""}
    assert _as(world, "kam").post("/accounts/competitors/register/new/", new).status_code == 302
    assert _as(world, "team").post("/accounts/competitors/register/new/", new).status_code == 403
    newco = Competitor.objects.get(name="Newco")
    edit = {f"competitor-{newco.pk}-name": "Newco Group", f"competitor-{newco.pk}-notes": "x"}
    url = f"/accounts/competitors/register/{newco.pk}/"
    assert _as(world, "kam").post(url, edit).status_code == 403
    assert _as(world, "marketing").post(url, edit).status_code == 302
    newco.refresh_from_db()
    assert newco.name == "Newco Group"
    again = {**new, "competitor-new-name": "Newco Group"}
    response = _as(world, "director").post("/accounts/competitors/register/new/", again)
    assert response.status_code == 400 and "A competitor with this name exists." in _text(response)


# --- actions, asks and my tasks ---------------------------------------------------------


def test_an_ask_lands_in_the_queue_of_a_person_off_the_account_who_closes_it(
    world: dict[str, Any],
) -> None:
    kam, rd = world["people"]["kam"], world["people"]["rd"]
    http = _as(world, "kam")
    page = _text(http.get("/accounts/C1/actions/"))
    assert '<optgroup label="R&amp;D">' in page  # owners offered by function
    ask = {
        "ask-new-title": "Data sheets for the insulation range",
        "ask-new-function": "rnd",
        "ask-new-owner": rd.pk,
        "ask-new-due_on": (TODAY - dt.timedelta(days=2)).isoformat(),
        "ask-new-status": "open",
        "ask-new-objective": "",
        "ask-new-detail": "",
    }
    assert http.post("/accounts/C1/actions/ask/", ask).status_code == 302
    task = Task.objects.get()
    assert task.function == "rnd" and task.owner == rd and task.requested_by == kam

    actions = _text(http.get("/accounts/C1/actions/"))
    assert 'data-test="overdue-count"' in actions and "1 overdue" in actions

    desk = _as(world, "rd")
    assert desk.get("/accounts/C1/actions/").status_code == 404  # not on the account
    queue = _text(desk.get("/accounts/queue/"))
    assert "Data sheets for the insulation range" in queue
    assert 'data-test="overdue"' in queue
    assert 'data-test="overdue-tasks">1<' in queue  # the nav count
    assert 'href="/accounts/C1/actions/"' not in queue  # no link to an account they cannot see

    response = desk.post(
        f"/accounts/tasks/{task.pk}/status/",
        {"status": "done", "where": "queue"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith("<tr")
    task.refresh_from_db()
    assert task.status == Task.Status.DONE and task.done_at is not None
    queue = _text(desk.get("/accounts/queue/"))
    assert "Data sheets" not in queue and 'data-test="overdue-tasks"' not in queue
    # their status change is audited on the account
    assert AuditEvent.objects.filter(client_id=world["c1"].pk, actor=rd).exists()


def test_tasks_are_tied_to_objectives_and_overdue_ones_flagged(world: dict[str, Any]) -> None:
    c1, kam = world["c1"], world["people"]["kam"]
    objective = Objective.objects.create(client=c1, year=2026, measure="revenue", target=1000)
    http = _as(world, "kam")
    data = {
        "task-new-title": "Meet the CFO",
        "task-new-objective": objective.pk,
        "task-new-function": "",
        "task-new-owner": kam.pk,
        "task-new-due_on": (TODAY + dt.timedelta(days=3)).isoformat(),
        "task-new-status": "open",
        "task-new-detail": "",
    }
    assert http.post("/accounts/C1/actions/new/", data).status_code == 302
    late = Task.objects.create(
        client=c1, title="Send the offer", owner=kam, due_on=TODAY - dt.timedelta(days=1)
    )
    Task.objects.create(
        client=c1,
        title="Old and done",
        owner=kam,
        due_on=TODAY - dt.timedelta(days=9),
        status="done",
    )
    page = _text(http.get("/accounts/C1/actions/"))
    assert "2 open tasks" in page and "1 overdue" in page
    row = page.split('data-task="Send the offer"')[1].split("</tr>")[0]
    assert 'data-test="overdue"' in row
    done_row = page.split('data-task="Old and done"')[1].split("</tr>")[0]
    assert 'data-test="overdue"' not in done_row
    assert Task.objects.get(title="Meet the CFO").objective == objective

    # the status changes in place
    response = http.post(
        f"/accounts/tasks/{late.pk}/status/",
        {"status": "in_progress", "where": "account"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and 'data-task="Send the offer"' in _text(response)
    late.refresh_from_db()
    assert late.status == "in_progress"
    # without htmx: back where the form said
    response = http.post(
        f"/accounts/tasks/{late.pk}/status/", {"status": "done", "next": "/accounts/C1/actions/"}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/C1/actions/"
    assert http.post(f"/accounts/tasks/{late.pk}/status/", {"status": "bogus"}).status_code == 400
    elsewhere = http.post(
        f"/accounts/tasks/{late.pk}/status/", {"status": "open", "next": "https://evil.example/"}
    )
    assert elsewhere["Location"] == "/accounts/queue/"


# --- white space --------------------------------------------------------------------------


def test_white_space_shows_visible_key_accounts_with_explained_recommendations(
    world: dict[str, Any], northwind: Store
) -> None:
    kam, kam2 = world["people"]["kam"], world["people"]["kam2"]
    Client.objects.filter(external_id__in=["ANATR", "OCEAN"]).update(
        is_key_account=True, manager=kam
    )
    Client.objects.filter(external_id="THEBI").update(is_key_account=True, manager=kam2)
    page = _text(_as(world, "kam").get("/accounts/white-space/?year=1997"))
    matrix = page.split('data-test="ws-matrix"')[1].split("</table>")[0]
    rows = re.findall(r'<tr data-client="([^"]+)"', matrix)
    assert sorted(rows) == ["ANATR", "C1", "OCEAN"]  # C1 is theirs, bought nothing in 1997
    assert "THEBI" not in page
    hidden = Client.objects.get(external_id="THEBI").name
    assert hidden not in page  # a similar account they may not see is not named
    recs = page.split('data-test="ws-recs"')[1]
    assert "strength" in recs and "because similar accounts buy it" in recs
    bought = set(
        re.findall(
            r'data-bought="([^"]+)"', matrix.split('data-client="ANATR"')[1].split("</tr>")[0]
        )
    )
    anatr_recs = recs.split('data-client="ANATR"')[1].split("</article>")[0]
    offered = re.findall(r'data-category="([^"]+)"', anatr_recs)
    assert offered and bought and not set(offered) & bought  # never what it already buys
    assert all(f'data-recommended="{c}"' in matrix for c in offered)  # starred in the matrix
    assert "34 (44 %)" in page  # the measured quality is stated

    director = _text(_as(world, "director").get("/accounts/white-space/?year=1997"))
    assert 'data-client="THEBI"' in director
    assert _as(world, "rd").get("/accounts/white-space/").status_code == 200
