"""API tokens: hashed at rest, shown once, revocable by their owner only."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.test import Client as HttpClient

from kam.api.models import ApiToken
from kam.api.services import token_authenticate, token_create, token_revoke
from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.people.models import User

from .conftest import PASSWORD, Call

pytestmark = pytest.mark.django_db


def _everything_stored() -> str:
    tokens = list(ApiToken.objects.values_list("name", "prefix", "digest"))
    audit = list(AuditEvent.objects.values_list("old_value", "new_value", "entity_id"))
    return repr(tokens) + repr(audit)


def test_the_database_keeps_a_digest_and_never_the_secret(people: dict[str, User]) -> None:
    actor = Actor(user=people["analyst"], interface=AuditEvent.Interface.WEB)
    token, plain = token_create(user=people["analyst"], name="nightly", actor=actor)
    secret = plain.removeprefix("kam_")
    assert plain.startswith("kam_") and len(secret) >= 40
    assert token.digest == hashlib.sha256(plain.encode()).hexdigest()
    assert secret not in _everything_stored()
    assert token.prefix == secret[:8]
    created = AuditEvent.objects.filter(entity="api.ApiToken", action="create")
    assert set(created.values_list("field", flat=True)) == {"user", "name", "prefix"}


def test_a_valid_token_authenticates_and_is_marked_used(api: Call, tokens: dict[str, str]) -> None:
    response = api("analyst", "GET", "/clients")
    assert response.status_code == 200
    assert ApiToken.objects.get(user__username="analyst").last_used_at is not None


@pytest.mark.parametrize(
    "header",
    ["", "Bearer kam_not-a-token", "Bearer ", "Basic YTpi", "Bearer kam_" + "x" * 300],
)
def test_a_missing_or_unknown_token_is_401_json(client: HttpClient, db: None, header: str) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/clients", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_stops_working(
    api: Call, people: dict[str, User], tokens: dict[str, str]
) -> None:
    token = ApiToken.objects.get(user=people["analyst"])
    token_revoke(token=token, actor=Actor(user=people["analyst"], interface="web"))
    assert api("analyst", "GET", "/clients").status_code == 401
    assert token_authenticate(plain=tokens["analyst"]) is None
    revoked = AuditEvent.objects.filter(entity="api.ApiToken", field="revoked_at")
    assert revoked.count() == 1


def test_an_inactive_persons_token_stops_working(api: Call, people: dict[str, User]) -> None:
    User.objects.filter(pk=people["analyst"].pk).update(is_active=False)
    assert api("analyst", "GET", "/clients").status_code == 401


def _signed_in(client: HttpClient, username: str) -> HttpClient:
    assert client.login(username=username, password=PASSWORD)
    return client


def test_the_tokens_page_shows_a_new_secret_once(client: HttpClient, people: Any) -> None:
    _signed_in(client, "kam")
    created = client.post("/me/tokens/", {"name": "ERP export"})
    assert created.status_code == 200
    plain = created.context["plain"]
    assert plain.startswith("kam_") and plain in created.content.decode()
    assert "no-store" in created["Cache-Control"]
    listed = client.get("/me/tokens/")
    assert "ERP export" in listed.content.decode()
    assert plain not in listed.content.decode()
    assert token_authenticate(plain=plain) == people["kam"]


def test_a_person_revokes_their_own_token_on_the_page(client: HttpClient, people: Any) -> None:
    actor = Actor(user=people["kam"], interface="web")
    token, plain = token_create(user=people["kam"], name="mine", actor=actor)
    _signed_in(client, "kam")
    response = client.post(f"/me/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert token_authenticate(plain=plain) is None


def test_nobody_revokes_someone_elses_token(client: HttpClient, people: Any) -> None:
    actor = Actor(user=people["kam"], interface="web")
    token, plain = token_create(user=people["kam"], name="mine", actor=actor)
    _signed_in(client, "admin")
    before = AuditEvent.objects.count()
    response = client.post(f"/me/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    assert token_authenticate(plain=plain) == people["kam"]
    assert AuditEvent.objects.count() == before


def test_the_tokens_page_needs_a_sign_in(client: HttpClient, db: None) -> None:
    response = client.post("/me/tokens/", {"name": "x"})
    assert response.status_code == 302
    assert ApiToken.objects.count() == 0
