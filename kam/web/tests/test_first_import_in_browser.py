"""A director's first import, in the browser: a file with errors, the report, the fix,
the import, then the client in the list, its page and its history."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.clients.models import Client
from kam.clients.services import client_update
from kam.ledger.store import Store
from kam.people.models import User
from kam.web.tests.conftest import SignIn

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "Nr. factură;Data;Cod client;Denumire client;Cod articol;Cantitate;Preț unitar\n"
GOOD = "F1;05.03.2024;C77;Acme Construct SRL;P1;10;12,50\nF2;06.03.2024;C78;Beta SRL;P2;1;3,00\n"
BAD = "F3;31.02.2024;C77;Acme Construct SRL;P1;zece;12,50\n"


def _upload(page: Page, url: str, path: Path) -> None:
    page.goto(f"{url}/imports/")
    page.set_input_files("input[type=file]", str(path))
    page.locator("main form button.primary").first.click()
    page.wait_for_url("**/imports/uploads/**")


def test_a_director_fixes_a_file_imports_it_and_finds_the_client(
    page: Page,
    signed_in: SignIn,
    live_server: Any,
    store: Store,
    director: User,
    tmp_path: Path,
) -> None:
    url = live_server.url
    signed_in(page)

    broken = tmp_path / "vanzari.csv"
    broken.write_text(HEADER + GOOD + BAD, encoding="utf-8")
    _upload(page, url, broken)
    expect(page.get_by_text("Acme Construct SRL").first).to_be_visible()  # the preview
    page.locator("button[value=check]").click()
    problems = page.locator("table[data-test=problems]")
    expect(problems).to_be_visible(timeout=30_000)
    expect(problems).to_contain_text("31.02.2024")
    expect(problems).to_contain_text("zece")
    expect(problems).to_contain_text("Cantitate")
    with page.expect_download() as download:
        page.get_by_text("Download problems (CSV)").click()
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert "not a number" in report and "zece" in report
    assert not Client.objects.filter(external_id="C77").exists()

    fixed = tmp_path / "vanzari-corectat.csv"
    fixed.write_text(HEADER + GOOD, encoding="utf-8")
    _upload(page, url, fixed)
    page.locator("button[value=check]").click()
    page.get_by_role("button", name="Import now").click(timeout=30_000)
    expect(page.locator("#job-status")).to_have_attribute(
        "data-status", "succeeded", timeout=30_000
    )
    expect(page.locator("[data-test=clients]")).to_have_text("2")

    client = Client.objects.get(external_id="C77")
    client_update(
        client=client,
        values={"name": "Acme Construct SA"},
        actor=Actor(director, AuditEvent.Interface.API),
    )
    page.goto(f"{url}/clients/")
    page.fill("#id_q", "acme")
    page.keyboard.press("Enter")
    link = page.get_by_role("link", name="Acme Construct SA")
    expect(link).to_be_visible()
    link.click()
    expect(page.locator("h1")).to_contain_text("Acme Construct SA")
    history = page.locator("table.history")
    expect(history).to_contain_text("Acme Construct SRL")
    expect(history).to_contain_text("Acme Construct SA")


def test_the_live_server_shares_a_database_file_when_it_is_sqlite() -> None:
    """Concurrent requests wait for SQLite's lock in a file, as in production; the
    shared in-memory test database would fail them at once (see the root conftest)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL waits for its locks anyway")
    name = str(connection.settings_dict["NAME"])
    assert name.endswith("test.sqlite3") and "memory" not in name
