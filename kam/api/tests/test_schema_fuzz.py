"""Schemathesis against /api/v1/openapi.json: no 5xx, every response as the schema says.

Each operation gets up to 20 generated requests with an administrator's token,
sent through Django's WSGI application in the test's own transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client as HttpClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kam.ledger.store import Store

pytestmark = [pytest.mark.slow, pytest.mark.django_db]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """Django's WSGI app, kept from closing the test's connection after each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _schema() -> Any:
    """The document /api/v1/openapi.json serves (Django is set up before collection)."""
    response = HttpClient().get("/api/v1/openapi.json")
    return schemathesis.openapi.from_dict(json.loads(response.content))


schema = _schema()


@schema.parametrize()  # type: ignore[untyped-decorator]  # schemathesis types it loosely
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_answers_as_its_schema_says(
    case: Any,
    wsgi_app: WSGIHandler,
    tokens: dict[str, str],
    clients: Any,
    store: Store,
) -> None:
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    case.call_and_validate(app=wsgi_app, headers=headers, checks=CHECKS)
