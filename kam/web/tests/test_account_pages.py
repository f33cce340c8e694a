"""The key-account section of the client page, notifications and the org chart, over HTTP."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client as HttpClient

from kam.accounts.models import Notification, RelationshipStage, WalletEstimate
from kam.audit.models import AuditEvent
from kam.clients.models import AccountTeamMember, Client
from kam.people.models import Function, Role, Team, User
from kam.people.services import user_create

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-9"
BASE = "/organisation/clients/C1/"


def _person(username: str, role: str, **extra: Any) -> User:
    return user_create(username=username, password=PASSWORD, role=role, **extra)


def _signed_in(user: User) -> HttpClient:
    http = HttpClient()
    assert http.login(username=user.username, password=PASSWORD)
    return http


@pytest.fixture
def director() -> User:
    return _person("dana", Role.DIRECTOR, first_name="Dana", last_name="Director")


@pytest.fixture
def kim() -> User:
    return _person("kim", Role.KEY_ACCOUNT_MANAGER, first_name="Kim", last_name="Keller")


@pytest.fixture
def tom() -> User:
    return _person("tom", Role.TEAM_MEMBER)


@pytest.fixture
def alpha(kim: User, tom: User) -> Client:
    client = Client.objects.create(external_id="C1", name="Alpha", manager=kim)
    AccountTeamMember.objects.create(client=client, user=tom, function="sales")
    return client


def _state() -> tuple[Any, ...]:
    return (
        list(Client.objects.values_list("is_key_account", "tier", "manager_id")),
        sorted(AccountTeamMember.objects.values_list("user_id", "function", "role_on_account")),
        RelationshipStage.objects.count(),
        WalletEstimate.objects.count(),
        AuditEvent.objects.count(),
    )


def test_a_director_designates_and_the_page_shows_the_status_and_history(
    director: User, alpha: Client
) -> None:
    http = _signed_in(director)
    page = http.get("/clients/C1/").content.decode()
    assert 'id="key-account"' in page and "Designate as key account" in page
    response = http.post(f"{BASE}designate/", {"tier": "1", "reason": "Largest buyer"})
    assert response.status_code == 302
    assert response["Location"] == "/clients/C1/#key-account"
    page = http.get("/clients/C1/").content.decode()
    assert re.search(r'data-test="ka-tier">Tier 1<', page)
    assert 'data-action="designate"' in page and "Largest buyer" in page
    assert "Alpha is a key account of tier 1." in page
    alpha.refresh_from_db()
    assert (alpha.is_key_account, alpha.tier) == (True, "1")


def test_a_refused_designation_shows_the_reason_and_changes_nothing(
    director: User, alpha: Client
) -> None:
    http = _signed_in(director)
    http.post(f"{BASE}designate/", {"tier": "1", "reason": "Largest buyer"})
    before = _state()
    response = http.post(f"{BASE}designate/", {"tier": "1", "reason": "Again"})
    assert response.status_code == 400
    assert "already a key account of this tier" in response.content.decode()
    response = http.post(f"{BASE}designate/", {"tier": "1", "reason": ""})
    assert response.status_code == 400
    assert _state() == before


def test_a_new_manager_of_a_key_account_needs_a_hand_over_note(
    director: User, alpha: Client
) -> None:
    lee = _person("lee", Role.KEY_ACCOUNT_MANAGER)
    http = _signed_in(director)
    http.post(f"{BASE}designate/", {"tier": "2", "reason": "Growing"})
    before = _state()
    response = http.post(f"{BASE}manager/", {"manager": lee.pk, "handover_note": ""})
    assert response.status_code == 400
    assert "Write a hand-over note" in response.content.decode()
    assert _state() == before
    response = http.post(f"{BASE}manager/", {"manager": lee.pk, "handover_note": "Call Ana"})
    assert response.status_code == 302
    page = http.get("/clients/C1/").content.decode()
    assert 'data-test="assignments"' in page and "Call Ana" in page


def test_a_team_member_is_refused_every_form_and_nothing_changes(tom: User, alpha: Client) -> None:
    http = _signed_in(tom)
    page = http.get("/clients/C1/").content.decode()
    assert (
        'id="key-account"' in page
        and "<form" not in page.split('id="key-account"')[1].split("</section>")[0]
    )
    posts = {
        "designate/": {"tier": "1", "reason": "Mine"},
        "revoke/": {"reason": "Mine"},
        "manager/": {"manager": tom.pk, "handover_note": "x"},
        "team/": {"user": tom.pk, "function": "rnd"},
        f"team/{AccountTeamMember.objects.get().pk}/remove/": {},
        "stage/": {"stage": "basic", "noted_on": "2024-01-02", "evidence": "x"},
        "intent/": {"rating": "3", "noted_on": "2024-01-02"},
        "position/": {"rating": "3", "noted_on": "2024-01-02"},
        "wallet/": {"year": "2024", "amount": "1", "source": "x", "confidence": "low"},
    }
    before = _state()
    for url, data in posts.items():
        assert http.post(BASE + url, data).status_code == 403, url
    assert _state() == before


def test_a_manager_staffs_their_own_account_but_may_not_designate(
    kim: User, tom: User, alpha: Client
) -> None:
    http = _signed_in(kim)
    page = http.get("/clients/C1/").content.decode()
    assert "Add a person to the account team" in page
    assert "Designate as key account" not in page
    before = _state()
    assert http.post(f"{BASE}designate/", {"tier": "1", "reason": "x"}).status_code == 403
    assert _state() == before
    response = http.post(
        f"{BASE}team/", {"user": kim.pk, "function": "finance", "role_on_account": "Credit"}
    )
    assert response.status_code == 302
    member = AccountTeamMember.objects.get(user=tom)
    http.post(f"{BASE}team/", {"user": tom.pk, "function": "rnd", "role_on_account": "Lab"})
    member.refresh_from_db()
    assert (member.function, member.role_on_account) == ("rnd", "Lab")
    assert http.post(f"{BASE}team/{member.pk}/remove/").status_code == 302
    assert list(AccountTeamMember.objects.values_list("user__username", "function")) == [
        ("kim", "finance")
    ]


def test_a_manager_may_not_touch_another_managers_client(kim: User) -> None:
    lee = _person("lee", Role.KEY_ACCOUNT_MANAGER)
    Client.objects.create(external_id="C1", name="Alpha", manager=lee)
    response = _signed_in(kim).post(f"{BASE}stage/", {"stage": "basic"})
    assert response.status_code == 404  # not even visible
    assert not RelationshipStage.objects.exists()


def test_judgements_and_wallet_estimates_are_recorded_from_the_page(
    kim: User, alpha: Client
) -> None:
    http = _signed_in(kim)
    stage = {"stage": "cooperative", "noted_on": "2024-03-01", "evidence": "Joint forecast"}
    assert http.post(f"{BASE}stage/", stage).status_code == 302
    rating = {"rating": "4", "noted_on": "2024-03-01", "note": "Framework deal asked"}
    assert http.post(f"{BASE}intent/", rating).status_code == 302
    assert http.post(f"{BASE}position/", {**rating, "rating": "2"}).status_code == 302
    wallet = {"year": "2024", "category": "", "amount": "5000", "source": "Buyer"}
    assert http.post(f"{BASE}wallet/", {**wallet, "confidence": "high"}).status_code == 302
    page = http.get("/clients/C1/").content.decode()
    assert re.search(r'data-test="ka-stage">Cooperative', page)
    assert "Joint forecast" in page and "4 / 5" in page and "2 / 5" in page
    assert 'data-test="wallets"' in page and "5,000.00" in page
    estimate = WalletEstimate.objects.get()
    assert http.post(f"{BASE}wallet/{estimate.pk}/delete/").status_code == 302
    assert not WalletEstimate.objects.exists()


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        ("intent/", {"rating": "9", "noted_on": "2024-01-02"}, "Select a valid choice"),
        ("stage/", {"stage": "basic", "noted_on": "2999-01-01", "evidence": "x"}, "future"),
        ("stage/", {"stage": "basic", "noted_on": "2024-01-02", "evidence": ""}, "required"),
        ("wallet/", {"year": "2024", "amount": "-1", "source": "x", "confidence": "low"}, "0"),
    ],
)
def test_bad_input_is_named_and_nothing_is_saved(
    director: User, alpha: Client, url: str, data: dict[str, str], message: str
) -> None:
    http = _signed_in(director)
    before = _state()
    response = http.post(BASE + url, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _state() == before


def test_htmx_gets_the_section_alone_with_the_notice(director: User, alpha: Client) -> None:
    http = _signed_in(director)
    response = http.post(
        f"{BASE}stage/",
        {"stage": "basic", "noted_on": "2024-01-02", "evidence": "Orders"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section class="card key-account" id="key-account"')
    assert "The relationship stage was recorded." in body and "<html" not in body
    refused = http.post(f"{BASE}stage/", {"stage": "basic"}, headers={"HX-Request": "true"})
    assert refused.status_code == 200 and "This field is required." in refused.content.decode()


def test_the_tier_shows_in_the_client_list_and_its_export(director: User, alpha: Client) -> None:
    alpha.is_key_account, alpha.tier = True, "2"
    alpha.save()
    http = _signed_in(director)
    assert 'data-test="tier">tier 2<' in http.get("/clients/").content.decode()
    lines = http.get("/clients/export.csv").getvalue().decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[3:5] == ["Key account", "Tier"]
    assert lines[1].split(",")[3:5] == ["yes", "2"]


# --- notifications -----------------------------------------------------------------------


def test_the_assigned_manager_sees_the_notification_and_the_badge(
    director: User, kim: User
) -> None:
    Client.objects.create(external_id="C1", name="Alpha")
    _signed_in(director).post(
        f"{BASE}designate/", {"tier": "1", "reason": "Largest buyer", "manager": kim.pk}
    )
    http = _signed_in(kim)
    page = http.get("/").content.decode()
    assert re.search(r'data-test="unread">1<', page)
    page = http.get("/organisation/notifications/").content.decode()
    assert "Key account assigned to you" in page and 'href="/clients/C1/#key-account"' in page
    assert "dana" in page
    assert 'data-test="unread"' not in _signed_in(director).get("/").content.decode()
    assert http.post("/organisation/notifications/read/").status_code == 302
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert 'data-test="unread"' not in http.get("/").content.decode()


def test_notifications_about_a_client_no_longer_visible_are_hidden(kim: User) -> None:
    client = Client.objects.create(external_id="C1", name="Alpha")
    Notification.objects.create(recipient=kim, kind="assigned", client=client)
    page = _signed_in(kim).get("/organisation/notifications/").content.decode()
    assert "Alpha" not in page and "No notifications." in page


# --- org chart ---------------------------------------------------------------------------


def test_the_org_chart_draws_teams_leads_members_and_key_accounts(
    director: User, kim: User, tom: User
) -> None:
    company = Team.objects.create(name="Company", function=Function.MANAGEMENT, lead=director)
    kam_team = Team.objects.create(name="Key accounts", parent=company, lead=kim)
    Team.objects.create(name="Logistics", function=Function.LOGISTICS, parent=company)
    tom.team = kam_team
    tom.save()
    staffed = Client.objects.create(
        external_id="C1", name="Alpha", is_key_account=True, tier="1", manager=kim
    )
    AccountTeamMember.objects.create(client=staffed, user=tom, function="sales")
    Client.objects.create(external_id="C2", name="Beta", is_key_account=True, tier="2")
    Client.objects.create(external_id="C3", name="Gamma", is_key_account=True, manager=kim)
    page = _signed_in(director).get("/organisation/").content.decode()
    tree = page.split('data-test="org-tree"')[1]
    assert tree.index('data-team="Company"') < tree.index('data-team="Key accounts"')
    assert 'class="org-team kam-function" data-team="Key accounts"' in tree
    assert 'data-person="tom"' in tree and 'data-client="C1"' in tree and "tier 1" in tree
    assert "Managers in no team" not in page  # kim leads a team, so kim is in the tree
    without_manager = page.split('data-test="without-manager"')[1].split("</li>")[0]
    assert "1 without a manager" in without_manager and "Beta" in without_manager
    without_team = page.split('data-test="without-team"')[1].split("</li>")[0]
    assert "2 without an account team" in without_team and "Gamma" in without_team


def test_the_org_chart_lists_only_the_key_accounts_the_viewer_may_see(kim: User, tom: User) -> None:
    lee = _person("lee", Role.KEY_ACCOUNT_MANAGER)
    Team.objects.create(name="Key accounts", lead=kim)
    Client.objects.create(external_id="C1", name="Alpha", is_key_account=True, manager=kim)
    Client.objects.create(external_id="C2", name="Beta", is_key_account=True, manager=lee)
    page = _signed_in(tom).get("/organisation/").content.decode()
    assert 'data-team="Key accounts"' in page
    assert "Alpha" not in page and "Beta" not in page
    assert "0 key accounts" in page
    page = _signed_in(kim).get("/organisation/").content.decode()
    assert "Alpha" in page and "Beta" not in page


def test_the_team_form_sets_the_function(director: User) -> None:
    admin = _person("ada", Role.ADMIN)
    http = _signed_in(admin)
    response = http.post("/people/teams/new/", {"name": "Plant", "function": "production"})
    assert response.status_code == 302
    team = Team.objects.get(name="Plant")
    assert team.function == "production"
    http.post(f"/people/teams/{team.pk}/", {"name": "Plant", "function": "rnd"})
    team.refresh_from_db()
    assert team.function == "rnd"
    assert http.post("/people/teams/new/", {"name": "X", "function": "magic"}).status_code == 200
    assert not Team.objects.filter(name="X").exists()
