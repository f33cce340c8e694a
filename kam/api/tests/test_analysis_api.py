"""The analysis and the client figures through the API, on the Northwind ledger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kam.analytics.selectors import concentration_analysis
from kam.clients.access import visible_clients
from kam.clients.models import AccountTeamMember, Client
from kam.common.periods import Period
from kam.ledger.services import ledger_import
from kam.ledger.store import Store
from kam.people.models import User

from .conftest import Call

pytestmark = pytest.mark.django_db


@pytest.fixture
def northwind(store: Store, data_dir: Path, people: dict[str, User]) -> Store:
    """Northwind imported; the team member is on QUICK's account team."""
    assert ledger_import(store=store, paths=[data_dir / "northwind_order_lines.csv.gz"]).ok
    quick = Client.objects.get(external_id="QUICK")
    AccountTeamMember.objects.create(client=quick, user=people["team"], function="sales")
    return store


def test_the_analysis_is_the_json_of_kam_analyze(api: Call, northwind: Store) -> None:
    response = api("admin", "GET", "/analysis", data={"year": 1997, "top": 5})
    assert response.status_code == 200
    expected = concentration_analysis(store=northwind, period=Period.year(1997)).as_json(top=5)
    assert response.json() == json.loads(json.dumps(expected))
    assert response.json()["top"][0]["class"] == "A"


def test_a_date_range_and_the_default_period_are_analysed(api: Call, northwind: Store) -> None:
    ranged = api("director", "GET", "/analysis", data={"from": "1997-03-01", "to": "1997-06-01"})
    assert ranged.json()["period"] == {"start": "1997-03-01", "end": "1997-06-01"}
    period = Period.parse("1997-03-01", "1997-06-01")
    assert ranged.json() == json.loads(
        json.dumps(concentration_analysis(store=northwind, period=period).as_json())
    )
    assert api("director", "GET", "/analysis").json()["period"]["start"] == "1998-01-01"


def test_a_team_member_analyses_only_the_clients_they_see_without_margins(
    api: Call, northwind: Store, people: dict[str, User]
) -> None:
    body = api("team", "GET", "/analysis", data={"year": 1997}).json()
    expected = concentration_analysis(
        store=northwind,
        period=Period.year(1997),
        within=visible_clients(people["team"]),
        with_margin=False,
    ).as_json()
    assert body == json.loads(json.dumps(expected))
    assert [row["client"] for row in body["top"]] == ["QUICK"]
    assert body["margin"] is None


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({"year": 1997, "from": "1997-01-01", "to": "1997-02-01"}, 400, "invalid_period"),
        ({"from": "1997-01-01"}, 400, "invalid_period"),
        ({"from": "1997-02-01", "to": "1997-01-01"}, 400, "invalid_period"),
        ({"year": "soon"}, 422, "validation_error"),
    ],
)
def test_a_wrong_period_is_a_json_error(
    api: Call, northwind: Store, query: dict[str, Any], status: int, code: str
) -> None:
    response = api("admin", "GET", "/analysis", data=query)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_the_analysis_needs_a_token(api: Call, northwind: Store) -> None:
    assert api("", "GET", "/analysis").status_code == 401


def test_client_figures_by_year_show_margins_only_to_margin_roles(
    api: Call, northwind: Store
) -> None:
    seen = api("kam", "GET", "/clients/QUICK/metrics")
    assert seen.status_code == 404  # the kam manages no Northwind client
    analyst = api("analyst", "GET", "/clients/QUICK/metrics").json()
    team = api("team", "GET", "/clients/QUICK/metrics").json()
    assert [y["year"] for y in analyst["years"]] == [1998, 1997, 1996]
    assert {"cost", "margin", "margin_coverage"} <= set(analyst["years"][0])
    assert not {"cost", "margin", "margin_percent", "margin_coverage"} & set(team["years"][0])
    assert [y["revenue"] for y in team["years"]] == [y["revenue"] for y in analyst["years"]]
    total = sum(float(y["revenue"]) for y in team["years"])
    assert total == pytest.approx(110277.305)
