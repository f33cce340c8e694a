"""The account plan as PDF and XLSX: valid files, the person's language, what they may see,
formula-safe cells, and a PDF renderer that fetches nothing."""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.test import Client as HttpClient
from django.utils import translation

from kam.accounts.models import WalletEstimate
from kam.clients.models import AccountTeamMember, Client
from kam.ledger.services import ledger_import
from kam.ledger.store import Store
from kam.people.models import User
from kam.people.services import user_create
from kam.planning.models import (
    AccountPlan,
    Competitor,
    CompetitorPresence,
    Objective,
    Opportunity,
    Stakeholder,
    Task,
)
from kam.web.plan_exports import _fetcher

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def in_english() -> Iterator[None]:
    """English messages, whatever language an earlier request left active in this thread."""
    with translation.override("en"):
        yield


SHEETS = [
    "Plan",
    "Objectives",
    "Share of wallet",
    "Buying centre",
    "Deals",
    "Competitors",
    "Actions",
]
FORMULA = '=HYPERLINK("http://evil.example","click")'


def _user(username: str, role: str, **extra: Any) -> User:
    return user_create(username=username, password=PASSWORD, role=role, **extra)


@pytest.fixture
def world(store: Store, data_dir: Path) -> dict[str, Any]:
    """Ernst Handel (Northwind) as a key account of "kam" with a full plan; "team" on it."""
    assert ledger_import(store=store, paths=[data_dir / "northwind_order_lines.csv.gz"]).ok
    people = {
        "kam": _user("kam", "kam", first_name="Maria", last_name="Ionescu"),
        "kam2": _user("kam2", "kam"),
        "team": _user("team", "team"),
    }
    client = Client.objects.get(external_id="ERNSH")
    client.is_key_account, client.tier, client.manager = True, "1", people["kam"]
    client.save()
    AccountTeamMember.objects.create(client=client, user=people["team"], function="sales")
    AccountPlan.objects.create(
        client=client,
        year=1998,
        status="approved",
        summary=FORMULA,
        strategy="Open three shops in Graz",
        strengths="Fresh <img src='http://evil.example/x.png'> products",
        threats="-Rival SA",
    )
    Objective.objects.create(client=client, year=1998, measure="revenue", target=Decimal(150000))
    Objective.objects.create(client=client, year=1998, measure="margin", target=Decimal(40000))
    boss = Stakeholder.objects.create(
        client=client, name="Roland Mendel", role="decider", influence=5
    )
    Stakeholder.objects.create(
        client=client, name="@SUM(1)", role="buyer", influence=3, reports_to=boss
    )
    rival = Competitor.objects.create(name="+Rival SA")
    CompetitorPresence.objects.create(
        client=client, competitor=rival, estimated_share=Decimal("0.2"), price_position="lower"
    )
    Opportunity.objects.create(
        client=client,
        title="Cheese range",
        value=20000,
        probability=50,
        expected_close="1998-09-01",
    )
    Task.objects.create(client=client, title="Visit Graz", owner=people["kam"], due_on="1998-06-01")
    WalletEstimate.objects.create(client=client, year=1998, amount=Decimal(400000), source="Buyer")
    return {"people": people, "client": client}


def _as(world: dict[str, Any], who: str, language: str = "") -> HttpClient:
    person = world["people"][who]
    if language:
        User.objects.filter(pk=person.pk).update(language=language)
        person.refresh_from_db()
    http = HttpClient()
    http.force_login(person)
    return http


def _pdf_parts(pdf: bytes) -> bytes:
    """The file with every compressed stream inflated (objects sit in object streams)."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


def _titles(raw: bytes) -> list[str]:
    """The document's title and its outline (the headings), decoded."""
    titles = []
    for literal, hexa in re.findall(rb"/Title (?:\(([^)]*)\)|<([0-9a-fA-F]+)>)", raw):
        if hexa:
            data = bytes.fromhex(hexa.decode())
            titles.append(data[2:].decode("utf-16-be") if data[:2] == b"\xfe\xff" else "")
        else:
            titles.append(literal.decode("latin-1"))
    return titles


def _pages(raw: bytes) -> int:
    counts = re.findall(rb"/Type /Pages/Kids \[[^\]]*\]/Count (\d+)", raw)
    return max(int(c) for c in counts) if counts else 0


def test_the_pdf_is_a_pdf_with_the_account_and_its_headings(world: dict[str, Any]) -> None:
    response = _as(world, "kam").get("/accounts/ERNSH/plan.pdf?year=1998")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "account-plan-ernsh-1998.pdf" in response["Content-Disposition"]
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    raw = _pdf_parts(pdf)
    assert _pages(raw) >= 1
    titles = _titles(raw)
    assert "Account plan 1998: Ernst Handel" in titles  # the document's title
    assert "Ernst Handel ERNSH" in titles  # the page's heading
    assert {"Objectives", "Share of wallet", "Buying centre", "Open actions"} <= set(titles)
    assert b"/Lang (en)" in raw


def test_the_pdf_is_in_the_persons_language(world: dict[str, Any]) -> None:
    pdf = _as(world, "kam", language="ro").get("/accounts/ERNSH/plan.pdf?year=1998").content
    raw = _pdf_parts(pdf)
    assert pdf.startswith(b"%PDF-") and b"/Lang (ro)" in raw
    with translation.override("ro"):
        heading = translation.gettext("Share of wallet")
    assert heading in _titles(raw)


def test_exports_follow_the_access_rule(world: dict[str, Any]) -> None:
    other = _as(world, "kam2")
    for export in ("plan.pdf", "plan.xlsx"):
        assert other.get(f"/accounts/ERNSH/{export}").status_code == 404
        response = HttpClient().get(f"/accounts/ERNSH/{export}")
        assert response.status_code == 302 and "/login/" in response["Location"]


def _book(response: Any) -> Any:
    content = b"".join(response.streaming_content)
    return openpyxl.load_workbook(io.BytesIO(content))


def _strings(book: Any) -> list[str]:
    return [
        cell.value
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]


def test_the_workbook_has_its_sheets_and_formula_safe_cells(world: dict[str, Any]) -> None:
    response = _as(world, "kam").get("/accounts/ERNSH/plan.xlsx?year=1998")
    assert response.status_code == 200
    assert "account-plan-ernsh-1998.xlsx" in response["Content-Disposition"]
    book = _book(response)
    assert book.sheetnames == SHEETS
    strings = _strings(book)
    for dangerous in (FORMULA, "@SUM(1)", "+Rival SA", "-Rival SA"):
        assert "'" + dangerous in strings, dangerous
        assert dangerous not in strings
    assert not any(s.startswith(("=", "+", "@")) for s in strings)
    assert not any(
        cell.data_type == "f" for ws in book.worksheets for r in ws.iter_rows() for cell in r
    )

    plan = {r[0]: r[1] for r in book["Plan"].iter_rows(min_row=3, values_only=True) if r[0]}
    assert plan["The client's strategy"] == "Open three shops in Graz"
    assert "Gross margin" in plan  # the manager sees margins
    objectives = list(book["Objectives"].iter_rows(values_only=True))
    assert objectives[0][:3] == ("Measure", "Category", "Target")
    revenue = next(r for r in objectives if r[0] == "Net revenue")
    assert revenue[2] == 150000 and isinstance(revenue[3], float) and revenue[3] > 0
    people = [r[0] for r in book["Buying centre"].iter_rows(min_row=2, values_only=True)]
    assert people == ["Roland Mendel", "'@SUM(1)"]
    assert book["Buying centre"]["A3"].alignment.indent == 1  # reports to Roland
    wallet = list(book["Share of wallet"].iter_rows(values_only=True))
    assert "Estimated wallet" in wallet[0] and 400000 in wallet[1]


def test_the_workbook_hides_margins_and_wallets_from_a_team_member(world: dict[str, Any]) -> None:
    book = _book(_as(world, "team").get("/accounts/ERNSH/plan.xlsx?year=1998"))
    plan = [r[0] for r in book["Plan"].iter_rows(values_only=True)]
    assert "Gross margin" not in plan and "Net revenue 1998" in plan
    wallet = list(book["Share of wallet"].iter_rows(values_only=True))
    assert "Estimated wallet" not in wallet[0] and 400000 not in wallet[1]
    margin = next(
        r for r in book["Objectives"].iter_rows(values_only=True) if r[0] == "Gross margin"
    )
    assert margin[2:5] == ("—", "—", "—")


def test_the_workbook_is_in_the_persons_language(world: dict[str, Any]) -> None:
    book = _book(_as(world, "kam", language="ro").get("/accounts/ERNSH/plan.xlsx?year=1998"))
    header = next(book.worksheets[1].iter_rows(values_only=True))
    assert "Stare" in header and "Categorie" in header  # Status, Category
    with translation.override("ro"):
        assert book.sheetnames[2] == translation.gettext("Share of wallet")[:31]
    labels = [r[0] for r in book.worksheets[0].iter_rows(values_only=True)]
    assert "Client cheie" in labels  # Key account


def test_the_pdf_renderer_fetches_only_data_uris() -> None:
    fetcher = _fetcher()
    for url in ("http://evil.example/x.png", "https://evil.example/", "file:///etc/passwd"):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)
    response = fetcher.fetch("data:text/plain,hello")
    assert response is not None
