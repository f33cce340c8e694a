"""Fixtures for the API tests: people of each role with a token, a few clients, a client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client as HttpClient

from kam.api.services import token_create
from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.clients.models import AccountTeamMember, Client
from kam.people.models import User
from kam.people.services import user_create

PASSWORD = "correct-horse-battery-9"
ROLES = ("admin", "director", "kam", "team", "marketing", "service", "analyst")

Call = Callable[..., Any]


@pytest.fixture(autouse=True)
def _fast(settings: Any, tmp_path: Any) -> None:
    """Imports run inline, in tmp_path."""
    settings.KAM_IMPORT_INLINE = True
    settings.KAM_HOME = tmp_path


@pytest.fixture
def people(db: None) -> dict[str, User]:
    """One active person per role, named after the role."""
    return {role: user_create(username=role, password=PASSWORD, role=role) for role in ROLES}


@pytest.fixture
def tokens(people: dict[str, User]) -> dict[str, str]:
    """A plain API token per role."""
    actor = Actor(user=None, interface=AuditEvent.Interface.SYSTEM)
    return {role: token_create(user=u, name="test", actor=actor)[1] for role, u in people.items()}


@pytest.fixture
def clients(people: dict[str, User]) -> dict[str, Client]:
    """C1 managed by the kam (the team member is on its account team), C2 and C3 not."""
    c1 = Client.objects.create(external_id="C1", name="Alpha", country="RO", manager=people["kam"])
    c2 = Client.objects.create(external_id="C2", name="Beta", country="MD", is_key_account=True)
    c3 = Client.objects.create(external_id="C3", name="Gamma", country="RO")
    AccountTeamMember.objects.create(client=c1, user=people["team"], function="sales")
    return {"C1": c1, "C2": c2, "C3": c3}


@pytest.fixture
def api(client: HttpClient, tokens: dict[str, str]) -> Call:
    """api(role, method, path, **kwargs): a request with that role's token ('' for none)."""

    def call(role: str, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
        send: Callable[..., Any] = getattr(client, method.lower())
        if method.upper() in ("PATCH", "POST") and "json" in kwargs:
            kwargs["data"], kwargs["content_type"] = kwargs.pop("json"), "application/json"
        return send(f"/api/v1{path}", headers=headers, **kwargs)

    return call
