"""The portfolio matrix in Chromium: bubbles drawn, a click opens the client, arrows toggle."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from kam.accounts.services import position_rating_record
from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.clients.models import Client
from kam.ledger.store import Store
from kam.people.models import User
from kam.web.tests.conftest import SignIn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RATINGS = {"SAVEA": 5, "ERNSH": 4, "QUICK": 2, "HUNGO": 1, "RATTC": 3}
RATED_BEFORE = {"ERNSH": 1, "QUICK": 5}  # the two with an arrow; ERNSH is a key account


def _rate(director: User) -> None:
    actor = Actor(user=director, interface=AuditEvent.Interface.WEB)
    for ratings, day in ((RATED_BEFORE, dt.date(1996, 11, 1)), (RATINGS, dt.date(1997, 6, 1))):
        for external_id, rating in ratings.items():
            client = Client.objects.get(external_id=external_id)
            position_rating_record(actor=actor, client=client, rating=rating, noted_on=day)
    Client.objects.filter(external_id="ERNSH").update(is_key_account=True, tier="1")


def test_a_director_reads_the_matrix_toggles_movement_and_opens_a_client(
    page: Page, live_server: LiveServer, signed_in: SignIn, northwind: Store, director: User
) -> None:
    _rate(director)
    signed_in(page)
    page.get_by_role("link", name="Matrix", exact=True).click()
    page.locator("#matrix-filters #id_year").select_option("1997")
    page.get_by_role("button", name="Show").click()
    chart = page.locator('[data-test="matrix-chart"]')
    expect(chart).to_have_attribute("data-drawn", "true")
    points = chart.locator(".scatterlayer .point")
    expect(points).to_have_count(len(RATINGS))
    expect(page.locator('[data-test="matrix-table"] tbody tr')).to_have_count(len(RATINGS))
    expect(chart.locator(".infolayer .annotation-text-g", has_text="Strategic")).to_have_count(1)

    # movement: the key account's arrow by default, both with "all", none with "none"
    arrows = chart.locator(".annotation-arrow-g")
    expect(arrows).to_have_count(1)
    toggle = page.locator('[data-test="movement-toggle"]')
    toggle.select_option("all")
    expect(arrows).to_have_count(2)
    expect(chart).to_have_attribute("data-movement", "all")
    toggle.select_option("none")
    expect(arrows).to_have_count(0)
    toggle.select_option("key")
    expect(arrows).to_have_count(1)

    # hover a bubble: the tooltip names the client; a click opens that client's page
    names = dict(Client.objects.filter(external_id__in=RATINGS).values_list("name", "external_id"))
    box = points.first.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tooltip = chart.locator(".hoverlayer .hovertext")
    expect(tooltip).to_have_count(1)
    text = tooltip.text_content() or ""
    hovered = [external_id for name, external_id in names.items() if name in text]
    assert len(hovered) == 1, text
    assert "Score" in text and "Strength" in text and "Net revenue" in text
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url(f"{live_server.url}/clients/**")
    assert urlsplit(page.url).path == f"/clients/{hovered[0]}/"
