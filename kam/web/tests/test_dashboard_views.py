"""The dashboard and sign-in pages, through Django's test client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client as HttpClient

from kam.analytics.charts import BASE_LAYOUT
from kam.ledger.services import ledger_import
from kam.ledger.store import Store
from kam.people.models import User
from kam.people.services import user_create
from kam.web.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def _signed_in(user: User) -> HttpClient:
    client = HttpClient()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_an_anonymous_visitor_is_sent_to_sign_in() -> None:
    response = HttpClient().get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(director: User) -> None:
    wrong = HttpClient().post("/login/", {"username": "dana", "password": "nope-nope-nope"})
    unknown = HttpClient().post("/login/", {"username": "ghost", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 200
    assert b"Wrong user name or password." in wrong.content
    assert b"Wrong user name or password." in unknown.content


def test_the_dashboard_shows_the_latest_year(director: User, northwind: Store) -> None:
    response = _signed_in(director).get("/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Period 1998" in page
    assert 'data-test="clients">81<' in page
    assert "68.2 %" in page  # top-20 % share of 1998
    assert 'data-class="A"' in page and "Ernst Handel" in page
    assert 'id="pareto-figure"' in page and 'id="trend-figure"' in page


def test_a_year_from_the_selector_is_shown_as_a_partial_with_htmx(
    director: User, northwind: Store
) -> None:
    response = _signed_in(director).get("/?year=1997", HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "<html" not in page  # only the body part is sent back
    assert 'data-test="clients">86<' in page and "Period 1997" in page


def test_a_custom_range_goes_to_the_engine(director: User, northwind: Store) -> None:
    page = _signed_in(director).get("/?year=&date_from=1996-01-01&date_to=1999-01-01")
    assert 'data-test="clients">89<' in page.content.decode()


def test_a_range_that_ends_before_it_starts_is_explained(director: User, northwind: Store) -> None:
    page = _signed_in(director).get("/?year=&date_from=1998-01-01&date_to=1997-01-01")
    assert "The range must end after it starts." in page.content.decode()


def test_a_year_and_a_range_together_are_refused_as_the_command_line_does(
    director: User, northwind: Store
) -> None:
    page = _signed_in(director).get("/?year=1997&date_from=1996-01-01&date_to=1999-01-01")
    body = page.content.decode()
    assert "Choose either a year or a date range, not both." in body
    assert 'data-test="clients">89<' not in body  # the range was not silently dropped either


def test_a_date_that_is_no_date_gets_only_its_own_error(director: User, northwind: Store) -> None:
    body = _signed_in(director).get("/?date_from=garbage&date_to=2024-01-01").content.decode()
    assert "From: Enter a valid date." in body
    assert "Give both dates of the range." not in body


def test_an_empty_ledger_tells_what_to_do(director: User, store: Store) -> None:
    page = _signed_in(director).get("/").content.decode()
    assert "No sales yet" in page and "kam import" in page


def test_the_language_choice_is_kept_on_the_user(director: User, northwind: Store) -> None:
    client = _signed_in(director)
    assert client.post("/language/", {"language": "ro", "next": "/"}).status_code == 302
    director.refresh_from_db()
    assert director.language == "ro"
    fresh = _signed_in(director)
    page = fresh.get("/").content.decode()
    assert 'lang="ro"' in page and "Clienți cheie" in page and "68,2 %" in page


def _figure_layout(page: str, name: str) -> dict[str, Any]:
    script = page.split(f'<script id="{name}" type="application/json">')[1].split("</script>")[0]
    layout: dict[str, Any] = json.loads(script)["layout"]
    return layout


def test_the_charts_use_the_number_separators_of_the_interface_language(
    director: User, northwind: Store
) -> None:
    client = _signed_in(director)
    english = client.get("/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ro"
    romanian = client.get("/").content.decode()
    for name in ("pareto-figure", "trend-figure"):
        assert _figure_layout(english, name)["separators"] == ".,"
        assert _figure_layout(romanian, name)["separators"] == ",."  # decimal comma
    assert "separators" not in BASE_LAYOUT  # the shared layout is left as it was


def test_the_language_switch_refuses_a_foreign_redirect(director: User) -> None:
    response = _signed_in(director).post(
        "/language/", {"language": "en", "next": "https://x.example/"}
    )
    assert response["Location"] == "/"


def test_pages_carry_a_strict_content_security_policy(director: User, northwind: Store) -> None:
    response = _signed_in(director).get("/")
    csp = response["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.content.decode()  # no inline script to allow


def test_plotly_and_htmx_are_served_by_the_app() -> None:
    client = HttpClient()
    for url in (
        "/static/plotly/plotly.min.js",
        "/static/django_htmx/htmx-2.min.js",
        "/static/kam/kam.js",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        assert len(body) > 1000 or url.endswith("kam.js")


def test_a_key_account_manager_sees_the_figures_of_their_clients_only(
    northwind: Store,
) -> None:
    from kam.clients.models import Client

    manager = user_create(username="kim", password=PASSWORD, role="kam")
    Client.objects.filter(external_id__in=["ERNSH", "QUICK"]).update(manager=manager)
    page = _signed_in(manager).get("/").content.decode()
    assert 'data-test="clients">2<' in page and "Ernst Handel" in page
    assert "Save-a-lot" not in page and 'data-test="partial"' in page
    assert 'id="trend-figure"' not in page


def test_margins_are_hidden_from_those_without_the_permission(store: Store, tmp_path: Path) -> None:
    import datetime as dt

    from kam.ledger.demo import DemoSpec, write_demo_csv

    path = write_demo_csv(
        tmp_path / "d.csv", DemoSpec(clients=30, lines=800, seed=2, end=dt.date(2025, 1, 1))
    )
    assert ledger_import(store=store, paths=[path]).ok
    director = user_create(username="dir", password=PASSWORD, role="director")
    marketing = user_create(username="mark", password=PASSWORD, role="marketing")
    assert "Gross margin" in _signed_in(director).get("/").content.decode()
    assert "Gross margin" not in _signed_in(marketing).get("/").content.decode()


def test_the_dashboard_follows_a_new_import(
    director: User, northwind: Store, tmp_path: Path
) -> None:
    client = _signed_in(director)
    assert 'data-test="clients">81<' in client.get("/").content.decode()
    extra = tmp_path / "extra.csv"
    extra.write_text(
        "Invoice,InvoiceDate,Customer ID,StockCode,Quantity,Price\nX1,1998-02-01,NEWCO,P1,1,10\n"
    )
    assert ledger_import(store=northwind, paths=[extra]).ok
    assert 'data-test="clients">82<' in client.get("/").content.decode()
