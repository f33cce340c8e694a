"""A key-account manager's day in a real Chromium: objective, stakeholder, competitor, ask, PDF."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from kam.clients.models import Client
from kam.ledger.store import Store
from kam.people.models import Function, Role, Team, User
from kam.people.services import user_create
from kam.planning.models import Competitor, CompetitorAction, Objective, Stakeholder, Task
from kam.web.tests.conftest import PASSWORD, SignIn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def account(northwind: Store) -> Client:
    kim = user_create(
        username="kim", password=PASSWORD, role=Role.KEY_ACCOUNT_MANAGER, first_name="Kim"
    )
    rnd = Team.objects.create(name="Laboratory", function=Function.RND)
    user_create(
        username="rita", password=PASSWORD, role=Role.TEAM_MEMBER, first_name="Rita", team=rnd
    )
    client = Client.objects.get(external_id="ERNSH")
    client.is_key_account, client.tier, client.manager = True, "1", kim
    client.save()
    Objective.objects.create(client=client, year=1998, measure="revenue", target=Decimal(50000))
    Competitor.objects.create(name="Alfa Distribution")
    return client


def _add(page: Page, summary: str) -> Locator:
    details = page.locator("details.add", has=page.locator("summary", has_text=summary))
    details.locator("summary").click()
    form = details.locator("form")
    expect(form).to_be_visible()
    return form


def test_a_manager_works_the_account_and_exports_the_plan(
    page: Page, live_server: LiveServer, signed_in: SignIn, account: Client
) -> None:
    signed_in(page, "kim")
    page.goto(f"{live_server.url}/clients/ERNSH/")
    page.locator('[data-test="account-page"]').click()
    expect(page.locator("nav.tabs")).to_be_visible()

    # update the revenue objective of 1998; actual and forecast come from the ledger
    page.locator("nav.tabs").get_by_role("link", name="Objectives").click()
    page.goto(page.url.split("?")[0] + "?year=1998")
    row = page.locator('tr[data-measure="revenue"]')
    row.locator("summary", has_text="Change").click()
    row.get_by_role("textbox", name="Target").fill("60000")
    row.get_by_role("button", name="Save").click()
    row = page.locator('tr[data-measure="revenue"]')
    expect(row.locator('[data-test="target"]')).to_contain_text("60")
    expect(row.locator('[data-test="actual"]')).not_to_have_text("—")
    assert Objective.objects.get(client=account, measure="revenue").target == Decimal(60000)

    # a new person of the buying centre: influential and nobody owns them yet, a gap
    page.locator("nav.tabs").get_by_role("link", name="Buying centre").click()
    form = _add(page, "Add a person")
    form.get_by_label("Name", exact=True).fill("Roland Mendel")
    form.get_by_label("Role in the decision").select_option("decider")
    form.get_by_label("Influence (1-5)").select_option("5")
    form.get_by_role("button", name="Add the person").click()
    expect(page.locator("main")).to_contain_text("Roland Mendel")
    assert Stakeholder.objects.get(client=account, name="Roland Mendel").is_gap

    # a competitor's price move, with where we heard it
    page.locator("nav.tabs").get_by_role("link", name="Competitors").click()
    form = _add(page, "Log a competitor action")
    form.get_by_label("Competitor").select_option(label="Alfa Distribution")
    form.get_by_label("Kind").select_option("price")
    form.get_by_label("What happened").fill("Cut the price of dairy products by 7 %")
    form.get_by_label("Source").fill("The client's buyer")
    form.get_by_role("button", name="Add to the log").click()
    expect(page.locator("main")).to_contain_text("Cut the price of dairy products by 7 %")
    assert CompetitorAction.objects.filter(client=account, kind="price").exists()

    # an ask to R&D lands in Rita's queue
    page.locator("nav.tabs").get_by_role("link", name="Actions").click()
    form = _add(page, "Ask an internal function")
    form.get_by_label("Task", exact=True).fill("Samples of the new cheese range")
    form.get_by_label("Function asked").select_option("rnd")
    form.get_by_label("Owner").select_option(label="Rita")
    due = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    form.get_by_label("Due").fill(due)
    form.get_by_role("button", name="Send the ask").click()
    expect(page.locator("main")).to_contain_text("Samples of the new cheese range")
    ask = Task.objects.get(client=account, title="Samples of the new cheese range")
    assert ask.function == "rnd" and ask.owner.username == "rita"

    # the plan as a PDF
    page.locator("nav.tabs").get_by_role("link", name="Plan").click()
    with page.expect_download() as download:
        page.locator('[data-test="export-pdf"]').click()
    path = download.value.path()
    assert path.read_bytes()[:5] == b"%PDF-"

    # Rita sees the ask in her tasks
    page.get_by_role("button", name="Sign out").click()
    signed_in(page, "rita")
    page.goto(f"{live_server.url}/accounts/queue/")
    expect(page.locator("main")).to_contain_text("Samples of the new cheese range")
    assert User.objects.get(username="rita").tasks.count() == 1
