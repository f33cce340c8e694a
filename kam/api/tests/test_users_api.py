"""People through the API: administrators only, every change audited."""

from __future__ import annotations

from typing import Any

import pytest

from kam.audit.models import AuditEvent
from kam.people.models import Team, User

from .conftest import PASSWORD, Call

pytestmark = pytest.mark.django_db


def _people() -> list[tuple[Any, ...]]:
    return list(User.objects.order_by("username").values_list("username", "role", "is_active"))


def test_an_administrator_lists_people(api: Call) -> None:
    response = api("admin", "GET", "/users")
    assert response.status_code == 200
    assert {u["username"] for u in response.json()} >= {"admin", "kam", "team"}


def test_an_administrator_adds_a_person_and_it_is_audited(api: Call) -> None:
    Team.objects.create(name="North")
    body = {"username": "ioana", "password": PASSWORD, "role": "kam", "team": "North"}
    response = api("admin", "POST", "/users", json=body)
    assert response.status_code == 201, response.content
    assert response.json()["team"] == "North"
    ioana = User.objects.get(username="ioana")
    assert ioana.check_password(PASSWORD)
    created = AuditEvent.objects.filter(entity="people.User", entity_id=str(ioana.pk))
    assert {e.interface for e in created} == {"api"}
    assert PASSWORD not in repr(list(created.values_list("new_value", flat=True)))


def test_an_administrator_changes_a_role_team_and_active_flag(api: Call) -> None:
    Team.objects.create(name="North")
    body = {"role": "director", "is_active": False, "team": "North"}
    response = api("admin", "PATCH", "/users/kam", json=body)
    assert response.status_code == 200, response.content
    kam = User.objects.get(username="kam")
    assert (kam.role, kam.is_active, str(kam.team)) == ("director", False, "North")
    fields = AuditEvent.objects.filter(entity_id=str(kam.pk), action="update")
    assert set(fields.values_list("field", flat=True)) == {"role", "is_active", "team"}


def test_a_patch_that_changes_nothing_writes_no_audit_event(api: Call) -> None:
    before = AuditEvent.objects.count()
    assert api("admin", "PATCH", "/users/kam", json={"role": "kam"}).status_code == 200
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("role", ["director", "kam", "analyst", ""])
def test_only_an_administrator_manages_people_and_a_refusal_changes_nothing(
    api: Call, role: str
) -> None:
    before, events = _people(), AuditEvent.objects.count()
    body = {"username": "x1", "password": PASSWORD, "role": "admin"}
    assert api(role, "GET", "/users").status_code in (401, 403)
    assert api(role, "POST", "/users", json=body).status_code in (401, 403)
    patch = api(role, "PATCH", "/users/kam", json={"role": "admin"})
    assert patch.status_code in (401, 403)
    assert patch.json()["error"]["code"] in ("unauthorized", "forbidden")
    assert (_people(), AuditEvent.objects.count()) == (before, events)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", "/users", {"username": "kam", "password": PASSWORD, "role": "kam"}, 400, None),
        ("POST", "/users", {"username": "new", "password": "short", "role": "kam"}, 400, None),
        ("POST", "/users", {"username": "new", "password": PASSWORD, "role": "boss"}, 400, None),
        ("PATCH", "/users/kam", {"team": "Nowhere"}, 400, "people_error"),
        ("PATCH", "/users/admin", {"is_active": False}, 400, "people_error"),
        ("PATCH", "/users/nobody", {"role": "kam"}, 404, "not_found"),
    ],
)
def test_a_refused_people_change_changes_nothing(
    api: Call, method: str, path: str, body: dict[str, Any], status: int, code: str | None
) -> None:
    before, events = _people(), AuditEvent.objects.count()
    response = api("admin", method, path, json=body)
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == (code or "people_error")
    assert (_people(), AuditEvent.objects.count()) == (before, events)
