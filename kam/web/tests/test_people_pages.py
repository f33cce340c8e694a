"""The people pages (administrators only) and each person's own account page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient

from kam.audit.models import AuditEvent
from kam.people.models import Role, Team, User
from kam.people.services import user_create

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-9"
NEW_PASSWORD = "a-brand-new-phrase-42"


@pytest.fixture
def admin() -> User:
    return user_create(username="ada", password=PASSWORD, role=Role.ADMIN)


@pytest.fixture
def director() -> User:
    return user_create(username="dana", password=PASSWORD, role=Role.DIRECTOR)


@pytest.fixture
def team() -> Team:
    return Team.objects.create(name="North")


def _signed_in(user: User) -> HttpClient:
    client = HttpClient()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _person(**changes: Any) -> dict[str, Any]:
    data = {"first_name": "", "last_name": "", "email": "", "role": "kam", "team": ""}
    return {**data, "is_active": "on", **changes}


def _trail() -> set[tuple[str, str, str, str, str]]:
    rows = AuditEvent.objects.all()
    return {(e.actor_label, e.interface, e.field, e.old_value, e.new_value) for e in rows}


def test_an_administrator_sees_everyone_with_role_team_and_state(admin: User, team: Team) -> None:
    user_create(username="kim", password=PASSWORD, role="kam", team=team)
    page = _signed_in(admin).get("/people/").content.decode()
    assert 'data-person="ada"' in page and 'data-person="kim"' in page
    assert "Key-account manager" in page and "North" in page
    assert 'href="/people/"' in page  # the People link in the navigation


def test_no_other_role_may_open_any_people_page(admin: User, team: Team) -> None:
    kim = user_create(username="kim", password=PASSWORD, role="kam")
    for role in [r for r in Role.values if r != Role.ADMIN]:
        user = user_create(username=f"u-{role}", password=PASSWORD, role=role)
        client = _signed_in(user)
        for url in ("/people/", "/people/new/", f"/people/{kim.pk}/", f"/people/teams/{team.pk}/"):
            assert client.get(url).status_code == 403, (role, url)
        assert 'href="/people/"' not in client.get("/me/").content.decode()


def test_a_denied_request_changes_nothing(director: User, team: Team) -> None:
    kim = user_create(username="kim", password=PASSWORD, role="kam")
    before = AuditEvent.objects.count()
    client = _signed_in(director)
    posts = {
        "/people/new/": {**_person(), "username": "eve", "password": NEW_PASSWORD,
                         "password_again": NEW_PASSWORD},
        f"/people/{kim.pk}/": _person(role="admin"),
        f"/people/{kim.pk}/password/": {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
        "/people/teams/new/": {"name": "South"},
        f"/people/teams/{team.pk}/": {"name": "Renamed"},
    }  # fmt: skip
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    kim.refresh_from_db()
    assert kim.role == "kam" and kim.check_password(PASSWORD)
    assert not User.objects.filter(username="eve").exists()
    assert list(Team.objects.values_list("name", flat=True)) == ["North"]
    assert AuditEvent.objects.count() == before


def test_an_anonymous_visitor_is_sent_to_sign_in() -> None:
    for url in ("/people/", "/me/"):
        response = HttpClient().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_administrator_adds_a_person_and_the_trail_says_who(admin: User, team: Team) -> None:
    data = {
        **_person(first_name="Kim", role="kam", team=str(team.pk)),
        "username": "kim", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD,
    }  # fmt: skip
    response = _signed_in(admin).post("/people/new/", data)
    assert response.status_code == 302 and response["Location"] == "/people/"
    kim = User.objects.get(username="kim")
    assert (kim.role, kim.team, kim.first_name) == ("kam", team, "Kim")
    assert kim.check_password(NEW_PASSWORD)
    trail = _trail()
    assert ("ada", "web", "role", "", "kam") in trail
    assert ("ada", "web", "team", "", str(team.pk)) in trail


def test_a_weak_password_is_refused_with_the_policy_message(admin: User) -> None:
    data = {**_person(), "username": "kim", "password": "kim", "password_again": "kim"}
    response = _signed_in(admin).post("/people/new/", data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "This password is too short. It must contain at least 12 characters." in page
    assert not User.objects.filter(username="kim").exists()


def test_two_different_passwords_are_refused(admin: User) -> None:
    data = {**_person(), "username": "kim", "password": NEW_PASSWORD, "password_again": "x" * 14}
    assert (
        "The two passwords differ." in _signed_in(admin).post("/people/new/", data).content.decode()
    )
    assert not User.objects.filter(username="kim").exists()


def test_an_edit_records_each_changed_field_and_nothing_else(admin: User, team: Team) -> None:
    kim = user_create(username="kim", password=PASSWORD, role="kam")
    before = AuditEvent.objects.count()
    data = _person(first_name="Kim", role="director", team=str(team.pk), email="kim@example.com")
    response = _signed_in(admin).post(f"/people/{kim.pk}/", data)
    assert response.status_code == 302
    new = AuditEvent.objects.order_by("id")[before:]
    assert {(e.field, e.old_value, e.new_value) for e in new} == {
        ("first_name", "", "Kim"),
        ("role", "kam", "director"),
        ("team", "", str(team.pk)),
        ("email", "", "kim@example.com"),
    }
    assert all((e.actor_id, e.interface) == (admin.pk, "web") for e in new)
    _signed_in(admin).post(f"/people/{kim.pk}/", data)  # the same values again
    assert AuditEvent.objects.count() == before + 4


def test_a_deactivated_person_can_no_longer_sign_in(admin: User) -> None:
    kim = user_create(username="kim", password=PASSWORD, role="kam")
    kim_client = _signed_in(kim)
    _signed_in(admin).post(f"/people/{kim.pk}/", {**_person(), "is_active": ""})
    kim.refresh_from_db()
    assert not kim.is_active and User.objects.filter(pk=kim.pk).exists()
    assert kim_client.get("/me/").status_code == 302  # the open session is gone too
    assert not HttpClient().login(username="kim", password=PASSWORD)


def test_the_last_administrator_cannot_demote_themselves(admin: User) -> None:
    response = _signed_in(admin).post(f"/people/{admin.pk}/", _person(role="director"))
    assert "at least one active administrator" in response.content.decode()
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN


def test_an_administrator_sets_a_password_and_the_old_sessions_end(admin: User) -> None:
    kim = user_create(username="kim", password=PASSWORD, role="kam")
    kim_client = _signed_in(kim)
    data = {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    response = _signed_in(admin).post(f"/people/{kim.pk}/password/", data)
    assert response.status_code == 302
    kim.refresh_from_db()
    assert kim.check_password(NEW_PASSWORD)
    assert kim_client.get("/me/").status_code == 302
    assert ("ada", "web", "", "", "password set") in _trail()


def test_a_weak_reset_password_is_refused(admin: User) -> None:
    kim = user_create(username="kim", password=PASSWORD, role="kam")
    data = {"password": "123456789012", "password_again": "123456789012"}
    response = _signed_in(admin).post(f"/people/{kim.pk}/password/", data)
    assert response.status_code == 400 and "entirely numeric" in response.content.decode()
    kim.refresh_from_db()
    assert kim.check_password(PASSWORD)


def test_an_administrator_creates_and_renames_teams(admin: User, team: Team) -> None:
    client = _signed_in(admin)
    response = client.post("/people/teams/new/", {"name": "South", "lead": str(admin.pk)})
    assert response.status_code == 302
    south = Team.objects.get(name="South")
    assert south.lead == admin
    data = {"name": "South-East", "lead": str(admin.pk), "parent": str(team.pk)}
    client.post(f"/people/teams/{south.pk}/", data)
    south.refresh_from_db()
    assert (south.name, south.parent) == ("South-East", team)
    assert ("ada", "web", "name", "South", "South-East") in _trail()


def test_my_account_shows_my_role_and_saves_my_language(director: User) -> None:
    client = _signed_in(director)
    page = client.get("/me/").content.decode()
    assert 'data-test="role">KAM director<' in page
    assert client.post("/me/", {"language": "ro"}).status_code == 302
    director.refresh_from_db()
    assert director.language == "ro"
    assert ("dana", "web", "language", "", "ro") in _trail()
    client.post("/me/", {"language": ""})  # back to what the browser asks for
    director.refresh_from_db()
    assert director.language == ""


def test_i_change_my_own_password_and_stay_signed_in(director: User) -> None:
    client = _signed_in(director)
    data = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert client.post("/me/password/", data).status_code == 302
    director.refresh_from_db()
    assert director.check_password(NEW_PASSWORD)
    assert client.get("/me/").status_code == 200


def test_my_password_is_not_changed_without_the_current_one(director: User) -> None:
    client = _signed_in(director)
    data = {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert client.post("/me/password/", data).status_code == 400
    weak = {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"}
    assert "too short" in client.post("/me/password/", weak).content.decode()
    director.refresh_from_db()
    assert director.check_password(PASSWORD)
