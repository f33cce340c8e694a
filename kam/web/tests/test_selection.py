"""The ranked candidates, their export, scoring models and the score panel (Northwind)."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from django.template.loader import render_to_string
from django.test import Client as HttpClient

from kam.accounts.models import ScoringModel
from kam.accounts.selectors import scores_of
from kam.accounts.services import scoring_model_default
from kam.audit.models import AuditEvent
from kam.clients.models import Client
from kam.ledger.store import Store
from kam.people.models import Role, User
from kam.people.services import user_create
from kam.web.selection import score_panel_context

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct-horse-battery-9"
YEAR = 1997


def _signed_in(user: User) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


def _person(username: str, role: str) -> User:
    return user_create(username=username, password=PASSWORD, role=role)


def _ids(page: str) -> list[str]:
    return [part.split('"')[0] for part in page.split('data-client="')[1:]]


def _get(user: User, path: str = "/selection/", **params: Any) -> str:
    response = _signed_in(user).get(path, {"year": YEAR, **params})
    assert response.status_code == 200
    return response.content.decode()


def _csv(user: User, **params: Any) -> list[list[str]]:
    response = _signed_in(user).get("/selection/export/", {"year": YEAR, **params})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    return list(csv.reader(io.StringIO(text)))


def _ranked(**kw: Any) -> list[str]:
    scores = scores_of(year=YEAR, **kw)
    names = dict(Client.objects.values_list("pk", "external_id"))
    return [names[c] for c in scores.order]


def test_the_list_ranks_every_visible_client_with_its_criteria(
    northwind: Store, director: User
) -> None:
    page = _get(director)
    ranked = _ranked()
    assert len(ranked) == 86
    assert _ids(page) == ranked[:50]  # a page of 50, best first
    assert "86 clients" in page
    assert 'data-test="rank">1<' in page
    first = Client.objects.get(external_id=ranked[0])
    assert f'href="/clients/{first.external_id}/"' in page
    # the bar and its words; Northwind has no costs: profitability is missing, never 0
    assert 'class="score-bar" role="img" aria-label="Score ' in page
    assert 'data-criterion="profitability"><span class="missing">missing</span>' in page
    assert 'data-criterion="profitability">0<' not in page
    assert "How the score is made" in page
    second = _get(director, page=2)
    assert _ids(second) == ranked[50:]


def test_filters_narrow_and_sorts_reorder(northwind: Store, director: User) -> None:
    Client.objects.filter(external_id__in=["ALFKI", "QUICK"]).update(is_key_account=True, tier="2")
    assert _ids(_get(director, q="alfk")) == ["ALFKI"]
    assert sorted(_ids(_get(director, status="key"))) == ["ALFKI", "QUICK"]
    assert "ALFKI" not in _ids(_get(director, status="candidate"))
    germans = set(Client.objects.filter(country="Germany").values_list("external_id", flat=True))
    shown = _ids(_get(director, country="Germany"))
    assert shown and set(shown) <= germans
    scores = scores_of(year=YEAR)
    names = dict(Client.objects.values_list("pk", "external_id"))
    class_a = {names[c] for c, f in scores.by_client.items() if f.abc_class == "A"}
    assert set(_ids(_get(director, abc="A"))) == class_a
    no_growth = {names[c] for c, f in scores.by_client.items() if f.growth is None}
    assert set(_ids(_get(director, missing="growth"))) == no_growth
    assert _ids(_get(director, quadrant="strategic")) == []  # no strength known yet
    kim = _person("kim", Role.KEY_ACCOUNT_MANAGER)
    Client.objects.filter(external_id="BONAP").update(manager=kim)
    assert _ids(_get(director, manager=kim.pk)) == ["BONAP"]
    by_name = _ids(_get(director, sort="name"))
    clients = {c.external_id: c.name.casefold() for c in Client.objects.all()}
    assert [clients[e] for e in by_name] == sorted(clients[e] for e in by_name)
    by_revenue = _ids(_get(director, sort="revenue"))
    revenue = {names[c]: f.revenue for c, f in scores.by_client.items()}
    assert [revenue[e] for e in by_revenue] == sorted(revenue.values(), reverse=True)[:50]


def test_htmx_gets_only_the_table(northwind: Store, director: User) -> None:
    response = _signed_in(director).get(
        "/selection/", {"year": YEAR}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'data-client="' in body
    assert 'id="sort-field" hx-swap-oob="true"' in body


def test_exports_hold_every_filtered_row_and_neutralise_formulas(
    northwind: Store, director: User
) -> None:
    Client.objects.filter(external_id="ALFKI").update(name="=cmd()")
    rows = _csv(director)
    header, body = rows[0], rows[1:]
    assert len(body) == 86
    assert [r[1] for r in body] == _ranked()
    by_id = {r[1]: r for r in body}
    assert by_id["ALFKI"][2] == "'=cmd()"
    assert header[:5] == ["Rank", "Client id", "Name", "Score", "Coverage"]
    profitability = header.index("Profitability")
    assert all(r[profitability] == "" for r in body)  # missing: empty, never 0
    assert all("Profitability" in r[-1] for r in body)
    assert [r[1] for r in _csv(director, q="alfk")] == ["Client id", "ALFKI"]

    response = _signed_in(director).get("/selection/export/", {"year": str(YEAR), "format": "xlsx"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    sheet = book.active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 87
    names = {row[1]: row[2] for row in values[1:]}
    assert names["ALFKI"] == "'=cmd()"
    assert _signed_in(director).get("/selection/export/", {"format": "pdf"}).status_code == 404


def test_a_key_account_manager_sees_only_their_clients_with_the_same_scores(
    northwind: Store, director: User
) -> None:
    kim = _person("kim", Role.KEY_ACCOUNT_MANAGER)
    Client.objects.filter(external_id__in=["BONAP", "SAVEA"]).update(manager=kim)
    page = _get(kim)
    assert sorted(_ids(page)) == ["BONAP", "SAVEA"]
    assert [r[1] for r in _csv(kim)[1:]] == [e for e in _ranked() if e in ("BONAP", "SAVEA")]
    mine = {r[1]: r[:5] for r in _csv(kim)[1:]}
    everyone = {r[1]: r[:5] for r in _csv(director)[1:]}
    assert mine == {k: everyone[k] for k in mine}  # the rank among everyone, the same score
    service = _person("sam", Role.SERVICE)
    assert _ids(_get(service)) == []


def test_margins_and_wallets_are_hidden_without_the_margin_permission(
    northwind: Store, director: User
) -> None:
    marketing = _person("mary", Role.MARKETING)
    shown = _get(director)
    hidden = _get(marketing)
    assert 'data-test="margin-col"' in shown and 'data-test="potential-col"' in shown
    assert 'data-test="margin-col"' not in hidden and 'data-test="potential-col"' not in hidden
    assert 'data-test="margin"' not in hidden
    assert len(_ids(hidden)) == 50  # marketing sees every client, without margins
    assert "Margin %" in _csv(director)[0] and "Potential amount" in _csv(director)[0]
    header = _csv(marketing)[0]
    assert "Margin %" not in header and "Potential amount" not in header
    assert "Potential" in header  # the 0-100 criterion is no amount


def test_a_director_creates_a_model_and_the_ranking_follows_it(
    northwind: Store, director: User
) -> None:
    browser = _signed_in(director)
    weights = {f"weight_{c}": "0" for c in ("volume", "profitability", "growth")}
    weights |= {f"weight_{c}": "0" for c in ("price_sensitivity", "partnership", "potential")}
    response = browser.post(
        "/selection/models/new/",
        {
            "name": "Growth only",
            "description": "Who grows",
            **weights,
            "weight_growth": "3",
            "attractiveness_threshold": "60",
            "strength_threshold": "40",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/selection/models/"
    model = ScoringModel.objects.get(name="Growth only")
    assert model.weights["growth"] == 1 and model.weights["volume"] == 0
    assert (model.attractiveness_threshold, model.strength_threshold) == (60, 40)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREATE).exists()
    by_growth = _ids(_get(director, model=model.pk))
    scores = scores_of(year=YEAR, model=model)
    names = dict(Client.objects.values_list("pk", "external_id"))
    growth = {names[c]: f.growth for c, f in scores.by_client.items()}
    shown = [g for e in by_growth if (g := growth[e]) is not None]
    assert shown == sorted(shown, reverse=True)
    assert by_growth != _ids(_get(director))  # the default model ranks otherwise
    assert "Growth only" in _get(director, "/selection/models/")

    # changing the default model re-ranks the default list
    default = scoring_model_default()
    edit = {
        "name": default.name,
        **weights,
        "weight_volume": "1",
        "attractiveness_threshold": "50",
        "strength_threshold": "50",
    }
    assert browser.post(f"/selection/models/{default.pk}/", edit).status_code == 302
    by_volume = _ids(_get(director))
    revenue = {names[c]: f.revenue for c, f in scores_of(year=YEAR).by_client.items()}
    assert [revenue[e] for e in by_volume] == sorted(revenue.values(), reverse=True)[:50]
    # the form shows the stored weights as percentages
    form = browser.get(f"/selection/models/{default.pk}/").content.decode()
    assert 'name="weight_volume" value="100' in form

    assert browser.post(f"/selection/models/{model.pk}/delete/").status_code == 302
    assert not ScoringModel.objects.filter(pk=model.pk).exists()


def test_invalid_models_are_refused_with_the_reason(northwind: Store, director: User) -> None:
    browser = _signed_in(director)
    zero = {
        f"weight_{c}": "0"
        for c in (
            "volume",
            "profitability",
            "growth",
            "price_sensitivity",
            "partnership",
            "potential",
        )
    }
    before = ScoringModel.objects.count()
    bad = browser.post(
        "/selection/models/new/",
        {"name": "Nothing", **zero, "attractiveness_threshold": "50", "strength_threshold": "50"},
    )
    assert bad.status_code == 400 and "at least one weight is above zero" in bad.content.decode()
    negative = browser.post(
        "/selection/models/new/",
        {
            "name": "Minus",
            **zero,
            "weight_volume": "-1",
            "attractiveness_threshold": "50",
            "strength_threshold": "150",
        },
    )
    assert negative.status_code == 400
    assert ScoringModel.objects.count() == before
    default = scoring_model_default()
    response = browser.post(f"/selection/models/{default.pk}/delete/", follow=True)
    assert "cannot be deleted" in response.content.decode()
    assert ScoringModel.objects.filter(pk=default.pk).exists()


@pytest.mark.parametrize("role", [Role.KEY_ACCOUNT_MANAGER, Role.ANALYST, Role.MARKETING])
def test_only_a_director_changes_models(northwind: Store, role: str) -> None:
    person = _person("pat", role)
    browser = _signed_in(person)
    default = scoring_model_default()
    other = ScoringModel.objects.create(name="Other", weights={"volume": 1.0})
    listing = browser.get("/selection/models/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "Other" in page and "/selection/models/new/" not in page and "Delete" not in page
    data = {
        "name": "Sneaky",
        "weight_volume": "1",
        "attractiveness_threshold": "50",
        "strength_threshold": "50",
    }
    events = AuditEvent.objects.count()
    assert browser.get("/selection/models/new/").status_code == 403
    assert browser.post("/selection/models/new/", data).status_code == 403
    assert browser.post(f"/selection/models/{default.pk}/", data).status_code == 403
    assert browser.post(f"/selection/models/{other.pk}/delete/").status_code == 403
    assert set(ScoringModel.objects.values_list("name", flat=True)) == {default.name, "Other"}
    assert ScoringModel.objects.get(pk=default.pk).weights == default.weights
    assert AuditEvent.objects.count() == events


def test_the_score_panel_explains_one_clients_score(northwind: Store, director: User) -> None:
    client = Client.objects.get(external_id="ALFKI")
    context = score_panel_context(user=director, client=client, year=YEAR)
    panel = context["score_panel"]
    f = scores_of(year=YEAR).by_client[client.pk]
    assert panel["rank"] == f.rank and panel["count"] == 86
    assert panel["total"] == f.score.total
    rows = {c["criterion"]: c for c in panel["criteria"]}
    assert rows["volume"]["raw"] == {"kind": "money", "value": f.revenue}
    assert rows["profitability"]["value"] is None and rows["profitability"]["missing"]
    assert sum(c["contribution"] or 0 for c in panel["criteria"]) == pytest.approx(f.score.total)
    assert sum(c["weight"] for c in panel["criteria"]) == pytest.approx(1)
    html = render_to_string("web/selection/_score_panel.html", context)
    assert "missing" in html and f"{f.rank} of 86" in html
    assert "Profitability" in html and "Missing inputs" in html
    # the latest year by default; none for a year it did not buy, nor for one who may not see it
    latest = score_panel_context(user=director, client=client)
    assert latest["score_panel_year"] == 1998
    assert score_panel_context(user=director, client=client, year=1990)["score_panel"] is None
    service = _person("sam", Role.SERVICE)
    assert score_panel_context(user=service, client=client, year=YEAR)["score_panel"] is None
    marketing = _person("mary", Role.MARKETING)
    hidden = score_panel_context(user=marketing, client=client, year=YEAR)["score_panel"]
    rows = {c["criterion"]: c for c in hidden["criteria"]}
    assert rows["potential"]["raw"]["kind"] == "hidden"
    assert rows["profitability"]["raw"]["kind"] == "hidden"


def test_the_page_says_when_there_are_no_figures(director: User) -> None:
    response = _signed_in(director).get("/selection/")
    assert response.status_code == 200
    assert 'data-test="no-figures"' in response.content.decode()
    export = _signed_in(director).get("/selection/export/")
    assert export.status_code == 200


def test_the_navigation_links_to_the_selection(director: User) -> None:
    page = _signed_in(director).get("/clients/").content.decode()
    assert 'href="/selection/"' in page
