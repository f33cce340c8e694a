"""The designation flow in a real Chromium: from the list to a designated, staffed key account."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from kam.clients.models import AccountTeamMember, Client
from kam.ledger.store import Store
from kam.people.models import Role, User
from kam.people.services import user_create
from kam.web.tests.conftest import PASSWORD, SignIn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people() -> dict[str, User]:
    names = {
        "kim": ("Kim", "Keller", Role.KEY_ACCOUNT_MANAGER),
        "lou": ("Lou", "Lorry", Role.TEAM_MEMBER),
        "fay": ("Fay", "Finch", Role.TEAM_MEMBER),
    }
    return {
        username: user_create(
            username=username, password=PASSWORD, role=role, first_name=first, last_name=last
        )
        for username, (first, last, role) in names.items()
    }


def _form(page: Page, key: str, summary: str) -> Locator:
    """Open the section's <details> by its summary and return the form inside."""
    section = page.locator("#key-account")
    section.locator("summary", has_text=summary).click()
    form = section.locator(f'form[data-form="{key}"]')
    expect(form).to_be_visible()
    return form


def _add_to_team(page: Page, person: str, function: str, role: str) -> None:
    form = _form(page, "team", "Add a person to the account team")
    form.get_by_label("Person").select_option(label=person)
    form.get_by_label("Function").select_option(label=function)
    form.get_by_label("Role on the account").fill(role)
    form.get_by_role("button", name="Add to the team").click()
    expect(page.locator("#key-account .messages")).to_contain_text(
        f"{person} is on the account team."
    )


def test_a_director_designates_assigns_and_staffs_a_top_client_and_the_manager_is_told(
    page: Page,
    live_server: LiveServer,
    signed_in: SignIn,
    northwind: Store,
    director: User,
    people: dict[str, User],
) -> None:
    signed_in(page)
    # from the ranked candidates: the best score first, explained on the client's page
    page.get_by_role("link", name="Selection", exact=True).click()
    top = page.locator("tr[data-client]").first
    expect(top.locator('[data-test="rank"]')).to_have_text("1")
    external_id = top.get_attribute("data-client")
    assert external_id
    top.locator("a").first.click()
    expect(page.locator('[data-test="panel-rank"]')).to_contain_text("1")
    expect(page.locator('[data-test="ka-status"]')).to_have_text("not a key account")

    form = _form(page, "designate", "Designate as key account")
    form.get_by_label("Tier").select_option("1")
    form.get_by_label("Reason").fill("Our largest buyer; asks for a framework agreement")
    form.get_by_label("Key-account manager").select_option(label="Kim Keller")
    page.evaluate("window.kamTestMark = 'still here'")
    form.get_by_role("button", name="Designate").click()
    expect(page.locator('[data-test="ka-tier"]')).to_have_text("Tier 1")
    expect(page.locator('[data-test="ka-manager"]')).to_have_text("Kim Keller")
    assert page.evaluate("window.kamTestMark") == "still here"  # htmx swapped the section only

    _add_to_team(page, "Lou Lorry", "Logistics", "Delivery windows")
    _add_to_team(page, "Fay Finch", "Finance", "Credit limit")
    team = page.locator('[data-test="account-team"] tbody tr')
    expect(team).to_have_count(2)

    form = _form(page, "stage", "Record the relationship stage")
    form.get_by_label("Relationship stage").select_option(label="Cooperative")
    form.get_by_label("Evidence").fill("Joint forecast every quarter")
    form.get_by_role("button", name="Record").click()
    expect(page.locator('[data-test="ka-stage"]')).to_contain_text("Cooperative")

    history = page.locator('[data-test="designations"] tbody tr')
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("framework agreement")
    expect(page.locator('[data-test="assignments"]')).to_contain_text("Kim Keller")
    expect(page.locator('[data-test="stages"]')).to_contain_text("Joint forecast every quarter")

    client = Client.objects.get(external_id=external_id)
    assert (client.is_key_account, client.tier, client.manager) == (True, "1", people["kim"])
    functions = set(AccountTeamMember.objects.filter(client=client).values_list("function"))
    assert functions == {("logistics",), ("finance",)}

    page.get_by_role("button", name="Sign out").click()
    signed_in(page, username="kim")
    expect(page.locator('[data-test="unread"]')).to_have_text("1")
    page.locator('[data-test="notifications-link"]').click()
    notice = page.locator('[data-test="notifications"] li').first
    expect(notice).to_contain_text("Key account assigned to you")
    expect(notice).to_contain_text("dana")
    notice.get_by_role("link").click()
    assert urlsplit(page.url).path == f"/clients/{external_id}/"
    expect(page.locator('[data-test="ka-tier"]')).to_have_text("Tier 1")
    expect(page.locator('[data-test="account-team"] tbody tr')).to_have_count(2)
    # the manager may staff the team but does not decide the designation
    expect(page.locator("#key-account summary", has_text="Designate")).to_have_count(0)
    expect(page.locator("#key-account summary", has_text="Add a person")).to_have_count(1)
