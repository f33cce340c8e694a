"""The API root and unknown API addresses answer in the API's JSON error shape."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/nowhere", "/api/v1/no/such/operation"])
def test_an_address_no_operation_answers_is_a_json_404(path: str) -> None:
    response = HttpClient().get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"
