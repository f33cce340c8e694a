"""Fixtures for the browser tests: Debian's Chromium driven by Playwright, a live server.

Playwright cannot download its own browsers here, so the tests drive /usr/bin/chromium.
Without it they skip, except under CI=true where a missing browser is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from kam.ledger.services import ledger_import
from kam.ledger.store import Store
from kam.people.models import User
from kam.people.services import user_create

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page
    from pytest_django.live_server_helper import LiveServer

# Playwright's sync API runs an event loop in this thread; Django would refuse its ORM there.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "correct-horse-battery-9"
TIMEOUT_MS = 15_000

SignIn = Callable[..., "Page"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole run."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        message = f"{CHROMIUM} is missing: `apt-get install chromium` to run the browser tests"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page in its own context (no cookies shared between tests), 1280×900, English."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def director() -> User:
    return user_create(username="dana", password=PASSWORD, role="director")


@pytest.fixture
def northwind(store: Store, data_dir: Path) -> Store:
    """The small Northwind ledger (1996-07 to 1998-05) in the test's own DuckDB."""
    assert ledger_import(store=store, paths=[data_dir / "northwind_order_lines.csv.gz"]).ok
    return store


@pytest.fixture
def signed_in(live_server: LiveServer, director: User) -> SignIn:
    """signed_in(page, username=..., password=...) signs in through the form and waits
    for the dashboard; it returns the page."""

    def sign_in(tab: Page, username: str = "dana", password: str = PASSWORD) -> Page:
        tab.goto(f"{live_server.url}/login/")
        tab.fill("#id_username", username)
        tab.fill("#id_password", password)
        tab.locator("main form button[type=submit]").click()  # any interface language
        tab.wait_for_url(f"{live_server.url}/")
        return tab

    return sign_in
