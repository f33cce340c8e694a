"""Every API error is one JSON shape; the schema and the docs page need nothing external."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client as HttpClient

from .conftest import Call

pytestmark = pytest.mark.django_db


def test_an_unknown_address_is_a_json_404(api: Call) -> None:
    response = api("admin", "GET", "/nothing/here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_wrong_method_is_a_json_405(api: Call) -> None:
    response = api("admin", "DELETE", "/clients")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_an_invalid_parameter_is_a_json_422(api: Call) -> None:
    response = api("admin", "GET", "/clients", data={"limit": "many"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error" and "limit" in error["message"]


def test_an_unexpected_failure_is_a_json_500(api: Call, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("kam.api.clients.api_clients", broken)
    response = api("admin", "GET", "/clients")
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": "An unexpected error; it was logged."}
    }


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _value in pairs]
    assert len(keys) == len(set(keys)), keys  # Swagger UI refuses a document with duplicates
    return dict(pairs)


def test_the_openapi_schema_lists_every_operation(client: HttpClient) -> None:
    text = client.get("/api/v1/openapi.json").content.decode()
    schema = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert operations == {
        "clients_list",
        "client_get",
        "client_patch",
        "client_metrics",
        "analysis",
        "import_create",
        "import_commit",
        "import_status",
        "import_problems",
        "users_list",
        "user_add",
        "user_patch",
        # key accounts: choosing and organising them
        "selection_list",
        "selection_matrix",
        "scoring_models_list",
        "scoring_model_create",
        "scoring_model_get",
        "scoring_model_update",
        "scoring_model_delete",
        "designation_create",
        "revocation_create",
        "designations_list",
        "manager_set",
        "manager_history",
        "account_team_list",
        "account_team_add",
        "account_team_remove",
        "relationship_stages_list",
        "relationship_stage_add",
        "partnership_intents_list",
        "partnership_intent_add",
        "position_ratings_list",
        "position_rating_add",
        "wallet_estimates_list",
        "wallet_estimates_save",
        "wallet_estimate_delete",
        "notifications_list",
        "notifications_read",
        "organisation",
        # the work on key accounts: plans, objectives, the account's records, across accounts
        "plans_list",
        "plan_add",
        "plan_get",
        "plan_patch",
        "plan_submit",
        "plan_review",
        "objectives_progress",
        "share_of_wallet",
        *(
            f"{one}_{op}"
            for one in (
                "objective",
                "stakeholder",
                "purchasing_step",
                "competitor_presence",
                "opportunity",
                "negotiation",
                "task",
            )
            for op in ("add", "patch", "delete")
        ),
        "objectives_list",
        "stakeholders_list",
        "purchasing_steps_list",
        "competitor_presences_list",
        "opportunities_list",
        "negotiations_list",
        "tasks_list",
        "my_tasks",
        "competitors_list",
        "competitor_add",
        "competitor_actions_list",
        "competitor_action_add",
        "market_notes_list",
        "market_note_add",
        "white_space",
    }
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_the_docs_page_loads_nothing_from_outside(client: HttpClient) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<script>" not in html  # CSP: no inline script
    assert "script-src 'self'" in response["Content-Security-Policy"]
    bundle = client.get(re.search(r'src="([^"]+swagger-ui-bundle\.js)"', html)[1])  # type: ignore[index]
    assert bundle.status_code == 200
