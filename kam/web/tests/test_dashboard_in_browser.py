"""The sign-in page and the dashboard in a real Chromium (Northwind ledger, 1996-1998)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request, expect
from pytest_django.live_server_helper import LiveServer

from kam.ledger.store import Store
from kam.people.models import User
from kam.web.tests.conftest import SignIn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _figure(page: Page, name: str) -> str:
    return page.locator(f'[data-test="{name}"]').inner_text()


def _abc_counts(page: Page) -> list[str]:
    return [
        page.locator(f'table.abc tr[data-class="{cls}"] td').first.inner_text()
        for cls in ("A", "B", "C")
    ]


def _expect_charts_drawn(page: Page) -> None:
    """kam.js marks a chart once plotly.js has drawn it; plotly draws into svg.main-svg."""
    for chart in page.locator(".chart[data-figure]").all():
        expect(chart).to_have_attribute("data-drawn", "true")
        expect(chart.locator("svg.main-svg").first).to_be_visible()


def _mark_document(page: Page) -> None:
    """Leave a mark on window that a full page load would wipe out."""
    page.evaluate("window.kamTestMark = 'still here'")


def _document_is_the_same(page: Page) -> bool:
    return bool(page.evaluate("window.kamTestMark === 'still here'"))


def test_signing_in_with_a_wrong_password_shows_an_error_and_stays_on_the_sign_in_page(
    page: Page, live_server: LiveServer, director: User
) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", director.username)
    page.fill("#id_password", "not-the-right-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("main .error[role=alert]")).to_have_text("Wrong user name or password.")
    assert urlsplit(page.url).path == "/login/"
    expect(page.locator("#id_username")).to_have_value(director.username)


def test_an_anonymous_visit_to_the_dashboard_is_sent_to_sign_in(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(f"{live_server.url}/")
    assert urlsplit(page.url).path == "/login/"
    assert "next=/" in page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("link", name="Key clients")).to_have_count(0)


def test_after_signing_in_the_dashboard_shows_the_latest_year(
    page: Page, signed_in: SignIn, northwind: Store
) -> None:
    signed_in(page)
    expect(page).to_have_title("Key clients · KAM")
    expect(page.locator(".period-label")).to_contain_text("Period 1998")
    assert _figure(page, "clients") == "81"
    assert _figure(page, "top20") == "68.2 %"
    assert _figure(page, "revenue").endswith(" EUR")
    _expect_charts_drawn(page)
    expect(page.locator('.chart[data-figure="pareto-figure"] svg.main-svg').first).to_be_visible()
    expect(page.locator('.chart[data-figure="trend-figure"]')).to_have_attribute(
        "data-drawn", "true"
    )
    assert _abc_counts(page) == ["27", "25", "29"]
    first = page.locator("table.top tbody tr").first
    expect(first.locator("td").nth(1)).to_contain_text("Ernst Handel")
    expect(first.locator(".badge")).to_have_text("A")
    expect(page.locator("table.top tbody tr")).to_have_count(20)
    expect(page.locator("table.top")).to_have_css("display", "table")  # not styled as the header


def test_the_period_selector_names_the_year_on_display(
    page: Page, signed_in: SignIn, northwind: Store
) -> None:
    signed_in(page)
    expect(page.locator(".period-label")).to_contain_text("Period 1998")
    expect(page.locator("#id_year")).to_have_value("1998", timeout=1_000)


def test_choosing_another_year_updates_the_figures_without_reloading_the_page(
    page: Page, signed_in: SignIn, northwind: Store
) -> None:
    signed_in(page)
    _expect_charts_drawn(page)
    _mark_document(page)
    page.select_option("#id_year", "1997")
    page.get_by_role("button", name="Show").click()
    expect(page.locator('[data-test="clients"]')).to_have_text("86")
    expect(page.locator(".period-label")).to_contain_text("Period 1997")
    assert _abc_counts(page)[0] == "33"
    assert _document_is_the_same(page), "the year was shown by a full page load, not by htmx"
    assert re.search(r"[?&]year=1997(&|$)", page.url), page.url
    _expect_charts_drawn(page)  # the swapped-in charts are drawn again


def test_a_custom_date_range_shows_the_figures_of_that_range(
    page: Page, signed_in: SignIn, northwind: Store
) -> None:
    signed_in(page)
    page.select_option("#id_year", "")
    page.fill("#id_date_from", "1996-01-01")
    page.fill("#id_date_to", "1999-01-01")
    page.get_by_role("button", name="Show").click()
    expect(page.locator('[data-test="clients"]')).to_have_text("89")
    expect(page.locator(".period-label")).to_contain_text("1996-01-01")
    assert "date_from=1996-01-01" in page.url
    _expect_charts_drawn(page)


def test_typing_a_range_leaves_the_year_and_choosing_a_year_clears_the_range(
    page: Page, signed_in: SignIn, northwind: Store
) -> None:
    signed_in(page)
    expect(page.locator("#id_year")).to_have_value("1998")
    page.fill("#id_date_from", "1996-01-01")
    page.fill("#id_date_to", "1999-01-01")
    expect(page.locator("#id_year")).to_have_value("")  # a year and a range are refused
    page.get_by_role("button", name="Show").click()
    expect(page.locator('[data-test="clients"]')).to_have_text("89")
    page.select_option("#id_year", "1997")
    expect(page.locator("#id_date_from")).to_have_value("")
    expect(page.locator("#id_date_to")).to_have_value("")


def test_a_range_that_ends_before_it_starts_shows_an_error(
    page: Page, signed_in: SignIn, northwind: Store
) -> None:
    signed_in(page)
    page.select_option("#id_year", "")
    page.fill("#id_date_from", "1998-01-01")
    page.fill("#id_date_to", "1997-01-01")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#dashboard .error")).to_contain_text("The range must end after it starts.")


def test_switching_to_romanian_is_kept_on_the_user_after_signing_out_and_in_again(
    page: Page, signed_in: SignIn, northwind: Store, director: User
) -> None:
    signed_in(page)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="RO", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "ro")
    expect(page.get_by_role("heading", level=1)).to_have_text("Clienți cheie")
    expect(page.locator('[data-test="top20"]')).to_have_text("68,2 %")
    expect(page.get_by_role("button", name="RO", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    director.refresh_from_db()
    assert director.language == "ro"

    page.locator("header form[action='/logout/'] button").click()
    expect(page.locator("#id_username")).to_be_visible()
    page.context.clear_cookies()  # forget the language cookie: the user alone must carry it
    signed_in(page)
    expect(page.locator("html")).to_have_attribute("lang", "ro")
    expect(page.get_by_role("heading", level=1)).to_have_text("Clienți cheie")
    expect(page.locator('[data-test="top20"]')).to_have_text("68,2 %")
    _expect_charts_drawn(page)


def test_the_page_loads_nothing_from_elsewhere_and_logs_no_console_errors(
    page: Page, signed_in: SignIn, northwind: Store
) -> None:
    requests: list[str] = []
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":  # CSP violations are reported here too
            errors.append(message.text)

    def on_request(request: Request) -> None:
        requests.append(request.url)

    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    signed_in(page)
    _expect_charts_drawn(page)
    page.select_option("#id_year", "1997")
    page.get_by_role("button", name="Show").click()
    expect(page.locator('[data-test="clients"]')).to_have_text("86")
    _expect_charts_drawn(page)
    page.locator(".chart[data-figure] svg.main-svg").first.hover()  # plotly's hover layer

    elsewhere = [
        url
        for url in requests
        if urlsplit(url).scheme not in {"data", "blob"}
        and urlsplit(url).hostname not in LOCAL_HOSTS
    ]
    assert elsewhere == []
    assert any(url.endswith("/static/plotly/plotly.min.js") for url in requests)
    assert errors == []


def test_the_page_is_usable_with_the_keyboard(
    page: Page, signed_in: SignIn, northwind: Store
) -> None:
    signed_in(page)
    page.locator("body").focus()
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, "the skip link stays hidden"
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()

    _tab_until(page, "#id_year")
    page.keyboard.type("1997")  # type-ahead picks the option
    expect(page.locator("#id_year")).to_have_value("1997")
    _tab_until(page, ".period button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator('[data-test="clients"]')).to_have_text("86")


def _tab_until(page: Page, selector: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"Tab never reached {selector}")
