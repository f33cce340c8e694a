"""Clients through the API: the same access rule and audit as the pages."""

from __future__ import annotations

from typing import Any

import pytest

from kam.audit.models import AuditEvent
from kam.clients.models import Client
from kam.people.models import User

from .conftest import Call

pytestmark = pytest.mark.django_db


def _state() -> list[tuple[Any, ...]]:
    fields = ("external_id", "name", "country", "is_key_account", "manager_id")
    return list(Client.objects.order_by("external_id").values_list(*fields))


def _ids(response: Any) -> list[str]:
    return [c["external_id"] for c in response.json()["items"]]


def test_a_director_lists_every_client(api: Call, clients: dict[str, Client]) -> None:
    response = api("director", "GET", "/clients")
    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert _ids(response) == ["C1", "C2", "C3"]


def test_a_key_account_manager_lists_only_their_clients(api: Call, clients: Any) -> None:
    assert _ids(api("kam", "GET", "/clients")) == ["C1"]
    assert _ids(api("team", "GET", "/clients")) == ["C1"]
    assert _ids(api("service", "GET", "/clients")) == ["C2"]


def test_the_list_filters_and_pages(api: Call, clients: Any) -> None:
    assert _ids(api("admin", "GET", "/clients", data={"country": "ro"})) == ["C1", "C3"]
    assert _ids(api("admin", "GET", "/clients", data={"key_account": "true"})) == ["C2"]
    assert _ids(api("admin", "GET", "/clients", data={"search": "gam"})) == ["C3"]
    page = api("admin", "GET", "/clients", data={"limit": 1, "offset": 1}).json()
    assert (page["count"], [c["external_id"] for c in page["items"]]) == (3, ["C2"])


def test_a_visible_client_is_shown_and_an_invisible_one_is_not_found(
    api: Call, clients: Any
) -> None:
    shown = api("kam", "GET", "/clients/C1")
    assert shown.status_code == 200
    assert shown.json()["manager"] == "kam"
    hidden = api("kam", "GET", "/clients/C2")
    assert hidden.status_code == 404
    assert hidden.json() == api("kam", "GET", "/clients/NOPE").json()
    assert hidden.json()["error"]["code"] == "not_found"


def test_a_director_changes_a_client_and_the_change_is_audited_as_api(
    api: Call, clients: Any, people: dict[str, User]
) -> None:
    response = api("director", "PATCH", "/clients/C1", json={"name": "Alpha SRL", "country": "MD"})
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Alpha SRL"
    client = Client.objects.get(external_id="C1")
    assert (client.name, client.country, client.manager) == ("Alpha SRL", "MD", people["kam"])
    events = AuditEvent.objects.filter(entity="clients.Client", entity_id=str(client.pk))
    assert {e.field for e in events} == {"name", "country"}
    assert {e.interface for e in events} == {"api"}
    assert {e.actor_label for e in events} == {"director"}


@pytest.mark.parametrize(
    "body",
    [{"is_key_account": True}, {"manager": "director"}, {"name": "X", "manager": None}],
)
def test_key_account_status_and_manager_are_refused_with_the_way_to_change_them(
    api: Call, clients: Any, body: dict[str, Any]
) -> None:
    before, events = _state(), AuditEvent.objects.count()
    response = api("director", "PATCH", "/clients/C1", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "use_designation"
    assert "/designation" in error["message"] and "/manager" in error["message"]
    assert _state() == before
    assert AuditEvent.objects.count() == events


def test_a_key_account_manager_corrects_the_country_of_their_client(
    api: Call, clients: Any
) -> None:
    response = api("kam", "PATCH", "/clients/C1", json={"country": "MD"})
    assert response.status_code == 200
    assert Client.objects.get(external_id="C1").country == "MD"


@pytest.mark.parametrize(
    ("role", "path", "body", "status"),
    [
        ("analyst", "/clients/C1", {"name": "X"}, 403),
        ("team", "/clients/C1", {"name": "X"}, 403),
        ("kam", "/clients/C2", {"name": "X"}, 404),
        ("kam", "/clients/C1", {"is_key_account": True}, 400),
        ("kam", "/clients/C1", {"manager": "director"}, 400),
        ("team", "/clients/C1", {"manager": "director"}, 403),
        ("director", "/clients/C1", {"manager": "analyst"}, 400),
        ("director", "/clients/C1", {"manager": "nobody"}, 400),
        ("director", "/clients/C1", {"name": ""}, 422),
        ("", "/clients/C1", {"name": "X"}, 401),
    ],
)
def test_a_refused_change_changes_nothing(
    api: Call, clients: Any, role: str, path: str, body: dict[str, Any], status: int
) -> None:
    before, events = _state(), AuditEvent.objects.count()
    response = api(role, "PATCH", path, json=body)
    assert response.status_code == status
    assert set(response.json()) == {"error"}
    assert _state() == before
    assert AuditEvent.objects.count() == events


def test_a_patch_that_changes_nothing_writes_no_audit_event(api: Call, clients: Any) -> None:
    events = AuditEvent.objects.count()
    same = {"name": "Alpha", "country": "RO"}
    assert api("director", "PATCH", "/clients/C1", json=same).status_code == 200
    assert api("director", "PATCH", "/clients/C1", json={}).status_code == 200
    assert AuditEvent.objects.count() == events
