"""The portfolio matrix page: placement, thresholds, unknown strength, access, movement."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.test import Client as HttpClient

from kam.accounts.selectors import scores_of
from kam.accounts.services import (
    WalletRow,
    position_rating_record,
    scoring_model_save,
    wallet_estimates_save,
)
from kam.analytics.core.portfolio import Quadrant, quadrant_of
from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.clients.models import Client
from kam.ledger.store import Store
from kam.people.models import Role, User
from kam.people.services import user_create

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct-horse-battery-9"
YEAR = 1997
QUADRANT_NAMES = {
    "Strategic": Quadrant.STRATEGIC,
    "Star": Quadrant.STAR,
    "Status": Quadrant.STATUS,
    "Streamline": Quadrant.STREAMLINE,
}
# 1997 position ratings; ERNSH and QUICK were rated in 1996 too (movement)
RATINGS = {"SAVEA": 5, "ERNSH": 4, "QUICK": 2, "HUNGO": 1, "RATTC": 3, "BONAP": 5}
RATED_BEFORE = {"ERNSH": 1, "QUICK": 5}


def _actor(user: User) -> Actor:
    return Actor(user=user, interface=AuditEvent.Interface.WEB)


def _rate(director: User) -> None:
    for external_id, rating in RATED_BEFORE.items():
        position_rating_record(
            actor=_actor(director),
            client=Client.objects.get(external_id=external_id),
            rating=rating,
            noted_on=dt.date(1996, 11, 1),
        )
    for external_id, rating in RATINGS.items():
        position_rating_record(
            actor=_actor(director),
            client=Client.objects.get(external_id=external_id),
            rating=rating,
            noted_on=dt.date(1997, 6, 1),
        )


def _page(user: User, **params: Any) -> str:
    client = HttpClient()
    client.force_login(user)
    response = client.get("/selection/matrix/", {"year": YEAR, **params})
    assert response.status_code == 200
    return response.content.decode()


def _figure(page: str) -> dict[str, Any]:
    found = re.search(
        r'<script id="matrix-figure" type="application/json">(.*?)</script>', page, re.S
    )
    assert found, "the page carries the figure"
    return dict(json.loads(found.group(1)))


def _points(figure: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """external id -> x, y, size, trace name, customdata."""
    points: dict[str, dict[str, Any]] = {}
    for trace in figure["data"]:
        for i, custom in enumerate(trace["customdata"]):
            external_id = custom[0].strip("/").split("/")[-1]
            points[external_id] = {
                "x": trace["x"][i],
                "y": trace["y"][i],
                "size": trace["marker"]["size"][i],
                "trace": trace["name"],
                "custom": custom,
            }
    return points


def _arrows(figure: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        a
        for a in figure["layout"].get("annotations", [])
        if a.get("name") in ("move-key", "move-other")
    ]


def _table(page: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-client="([^"]+)" data-quadrant="([^"]*)"', page))


def _unplaced(page: str) -> list[str]:
    section = page.split('data-test="unplaced"')[1].split("</section>")[0]
    return re.findall(r'<li data-client="([^"]+)">', section)


def _person(username: str, role: str) -> User:
    return user_create(username=username, password=PASSWORD, role=role)


def test_a_director_sees_each_rated_client_where_the_portfolio_places_it(
    northwind: Store, director: User
) -> None:
    _rate(director)
    page = _page(director)
    figure = _figure(page)
    points = _points(figure)
    assert set(points) == set(RATINGS)
    scores = scores_of(year=YEAR)
    ids = dict(Client.objects.values_list("external_id", "pk"))
    table = _table(page)
    for external_id, point in points.items():
        f = scores.by_client[ids[external_id]]
        assert f.strength == (RATINGS[external_id] - 1) * 25.0
        assert point["x"] == pytest.approx(f.strength)
        assert point["y"] == pytest.approx(f.score.total)
        assert point["size"] == pytest.approx(float(f.revenue))
        expected = quadrant_of(f.score.total or 0, f.strength, scores.thresholds)
        assert QUADRANT_NAMES[point["trace"]] is expected is f.quadrant
        assert table[external_id] == expected.value
    # bubble area proportional to revenue: sizeref makes the largest 48 px across
    trace = figure["data"][0]
    largest = max(float(f.revenue) for c, f in scores.by_client.items() if f.quadrant)
    assert trace["marker"]["sizemode"] == "area"
    assert trace["marker"]["sizeref"] == pytest.approx(2 * largest / 48**2)
    # the thresholds are drawn, and every quadrant is named
    shapes = figure["layout"]["shapes"]
    assert {s["x0"] for s in shapes} >= {50.0} and {s["y0"] for s in shapes} >= {50.0}
    texts = " ".join(a.get("text", "") for a in figure["layout"]["annotations"])
    assert all(name in texts for name in QUADRANT_NAMES)
    assert 'data-test="thresholds"' in page and "50 or more counts as attractive" in page
    assert 'aria-current="page">Matrix<' in page


def test_the_models_thresholds_move_clients_between_quadrants(
    northwind: Store, director: User
) -> None:
    _rate(director)
    default = _table(_page(director))
    strict = scoring_model_save(
        actor=_actor(director),
        name="Strict",
        weights={"volume": 1, "growth": 1, "price_sensitivity": 1},
        attractiveness_threshold=95,
        strength_threshold=10,
    )
    page = _page(director, model=strict.pk)
    moved = _table(page)
    scores = scores_of(year=YEAR, model=strict)
    ids = dict(Client.objects.values_list("external_id", "pk"))
    for external_id, quadrant in moved.items():
        f = scores.by_client[ids[external_id]]
        assert f.score.total is not None and f.strength is not None
        assert quadrant == quadrant_of(f.score.total, f.strength, scores.thresholds).value
    # below 95 nobody is attractive; only the client rated 1 (strength 0) is weak
    assert set(moved.values()) <= {"status", "streamline"}
    assert moved["HUNGO"] == "streamline" and moved["SAVEA"] == "status"
    assert moved != default
    figure = _figure(page)
    assert {s["x0"] for s in figure["layout"]["shapes"]} >= {10.0}
    assert {s["y0"] for s in figure["layout"]["shapes"]} >= {95.0}
    assert "95 or more counts as attractive" in page
    assert f'href="/selection/models/{strict.pk}/"' in page  # a director may change them


def test_clients_of_unknown_strength_are_listed_apart_with_where_to_enter_it(
    northwind: Store, director: User
) -> None:
    _rate(director)
    wallet_estimates_save(
        actor=_actor(director),
        rows=[WalletRow("ALFKI", YEAR, "", "10000", "Buyer interview")],
    )
    page = _page(director, limit=500)
    placed = set(_points(_figure(page)))
    assert placed == {*RATINGS, "ALFKI"}  # a wallet estimate alone places a client
    unplaced = _unplaced(page)
    everyone = len(scores_of(year=YEAR).by_client)
    assert len(unplaced) == everyone - len(placed) == 79
    assert not placed & set(unplaced)
    assert f"{everyone - len(placed)} clients not placed" in page
    assert 'href="/clients/ANTON/#key-account"' in page
    # how the strength was made: share of wallet (shown with its share to a director)
    alfki = page.split('<tr data-client="ALFKI"')[1].split("</tr>")[0]
    assert "share of wallet" in alfki and "%" in alfki
    assert "position 5/5" in page.split('<tr data-client="SAVEA"')[1].split("</tr>")[0]
    # the limit applies to both: the listed unplaced clients are those with the best score
    few = _page(director, limit=3)
    assert len(_points(_figure(few))) == 3
    assert len(_unplaced(few)) == 3
    assert "79 clients not placed" in few


def test_a_key_account_manager_sees_only_their_clients(northwind: Store, director: User) -> None:
    _rate(director)
    kim = _person("kim", Role.KEY_ACCOUNT_MANAGER)
    Client.objects.filter(external_id__in=["SAVEA", "QUICK", "ANTON"]).update(manager=kim)
    page = _page(kim)
    assert set(_points(_figure(page))) == {"SAVEA", "QUICK"}
    assert set(_table(page)) == {"SAVEA", "QUICK"}
    assert _unplaced(page) == ["ANTON"]
    for other in ("ERNSH", "HUNGO", "BONAP", "ALFKI"):
        assert other not in page
    # a team member on no account team sees an empty matrix, not an error
    lou = _person("lou", Role.TEAM_MEMBER)
    empty = _page(lou)
    assert 'data-test="matrix-empty"' in empty and "SAVEA" not in empty


def test_each_bubble_opens_its_client_page(northwind: Store, director: User) -> None:
    _rate(director)
    Client.objects.filter(external_id="BONAP").update(name="<b>Bon</b> app'")
    points = _points(_figure(_page(director)))
    client = HttpClient()
    client.force_login(director)
    for external_id, point in points.items():
        url = point["custom"][0]
        assert url == f"/clients/{external_id}/"
        response = client.get(url)
        assert response.status_code == 200
    # hover texts: name, score, strength, revenue, quadrant; a name is escaped for plotly
    bonap = points["BONAP"]["custom"]
    assert bonap[1].startswith("&lt;b&gt;Bon&lt;/b&gt; app&#x27;")
    assert bonap[3] == "100" and bonap[5] in QUADRANT_NAMES


def test_movement_since_the_year_before_when_both_years_have_a_position(
    northwind: Store, director: User
) -> None:
    _rate(director)
    Client.objects.filter(external_id="ERNSH").update(is_key_account=True, tier="1")
    page = _page(director)
    figure = _figure(page)
    points = _points(figure)
    before = scores_of(year=YEAR - 1)
    ids = dict(Client.objects.values_list("external_id", "pk"))
    arrows = {(a["x"], a["y"]): a for a in _arrows(figure)}
    assert len(arrows) == 2  # ERNSH and QUICK were rated in 1996; the others only in 1997
    for external_id, name in (("ERNSH", "move-key"), ("QUICK", "move-other")):
        f = before.by_client[ids[external_id]]
        point = points[external_id]
        arrow = arrows[(point["x"], point["y"])]
        assert (arrow["ax"], arrow["ay"]) == (
            pytest.approx(f.strength),
            pytest.approx(f.score.total),
        )
        assert arrow["axref"] == "x" and arrow["ayref"] == "y" and arrow["name"] == name
    # by default only the key accounts' arrows show
    assert arrows[(points["ERNSH"]["x"], points["ERNSH"]["y"])]["visible"] is True
    assert arrows[(points["QUICK"]["x"], points["QUICK"]["y"])]["visible"] is False
    # the table says where each was: ERNSH rose from position 1 (strength 0) to 4 (75)
    ernsh = page.split('<tr data-client="ERNSH"')[1].split("</tr>")[0]
    previous = before.by_client[ids["ERNSH"]].quadrant
    assert previous is not None and previous.value in ernsh.split(">")[0]
    assert "strength +75.0" in ernsh
    assert "no position in 1996" in page.split('<tr data-client="SAVEA"')[1].split("</tr>")[0]
    everyone = _arrows(_figure(_page(director, movement="all")))
    assert [a["visible"] for a in everyone] == [True, True]
    nobody = _arrows(_figure(_page(director, movement="none")))
    assert [a["visible"] for a in nobody] == [False, False]


def test_key_accounts_only_and_colour_by_status(northwind: Store, director: User) -> None:
    _rate(director)
    Client.objects.filter(external_id__in=["SAVEA", "HUNGO", "ALFKI"]).update(
        is_key_account=True, tier="2"
    )
    page = _page(director, status="key", colour="status")
    figure = _figure(page)
    assert set(_points(figure)) == {"SAVEA", "HUNGO"}
    assert _unplaced(page) == ["ALFKI"]
    assert [t["name"] for t in figure["data"]] == ["Key account"]
    # invalid values fall back to the defaults rather than failing
    fallback = _page(director, limit="lots", colour="rainbow", movement="sideways")
    assert set(_points(_figure(fallback))) == set(RATINGS)


def test_the_page_without_figures_says_so(db: None, director: User) -> None:
    page = _page(director)
    assert 'data-test="no-figures"' in page
