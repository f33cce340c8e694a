"""The clients list, its exports and the client page, through Django's test client."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from kam.accounts.selectors import scores_cache_clear
from kam.accounts.services import scoring_model_default
from kam.analytics.client_charts import client_years_figure
from kam.analytics.models import (
    ClientRecentInvoices,
    ClientYearCategories,
    ClientYearMetric,
    ClientYearRank,
    RecentInvoice,
    YearSummary,
    categories_to_json,
    recent_invoices_to_json,
)
from kam.audit.models import AuditEvent
from kam.audit.services import Actor, audit_changes
from kam.clients.models import Client
from kam.people.models import User
from kam.people.services import user_create

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-9"
YEARS = (2023, 2024)
# 7 to 9 for the page, 1 for the navigation's count of overdue tasks, and up to 3 when the
# session middleware saves the session
MAX_QUERIES = 13
# the client page adds its key-account section (8 history reads, the people offered, the
# access) and its score panel (access, model, inputs version; the scores are memoised)
MAX_CLIENT_PAGE_QUERIES = MAX_QUERIES + 16
M = 1_000_000
LABELS = {"revenue": "Net revenue", "margin": "Gross margin"}


def _snapshot(n: int, *, manager: User | None = None, evil: bool = False) -> list[Client]:
    """n clients with two years of snapshot rows; client i has revenue (n - i) × 1000 in 2024."""
    clients = Client.objects.bulk_create(
        Client(
            external_id=f"C{i:04d}",
            name="=cmd|' /C calc'!A0" if evil and i == 0 else f"Client {i:04d}",
            country=("RO", "MD", "DE")[i % 3],
            is_key_account=i % 4 == 0,
            manager=manager if i % 2 == 0 else None,
        )
        for i in range(n)
    )
    for year in YEARS:
        YearSummary.objects.create(year=year, unattributed_lines=0, unattributed_micros=0)
        metrics, ranks = [], []
        for i, c in enumerate(clients):
            revenue = (n - i) * 1000 * M if year == 2024 else (i + 1) * 500 * M
            metrics.append(
                ClientYearMetric(
                    client=c,
                    year=year,
                    revenue_micros=revenue,
                    costed_revenue_micros=revenue,
                    cost_micros=revenue * 3 // 4,
                    lines=10,
                    invoices=3,
                    categories=2,
                    last_invoiced_on=dt.date(year, 12, 1),
                )
            )
            rank = i + 1 if year == 2024 else n - i
            ranks.append(
                ClientYearRank(
                    client=c,
                    year=year,
                    pareto_rank=rank,
                    abc_class="A" if rank <= n // 5 else ("B" if rank <= n // 2 else "C"),
                    recency_days=30,
                    frequency=3,
                    monetary_micros=revenue,
                    r_score=5,
                    f_score=4,
                    m_score=3,
                )
            )
        ClientYearMetric.objects.bulk_create(metrics)
        ClientYearRank.objects.bulk_create(ranks)
        ClientYearCategories.objects.bulk_create(
            ClientYearCategories(
                client=c, year=year, totals=categories_to_json({"Tools": (M, 2), "Paint": (M, 2)})
            )
            for c in clients
        )
    ClientRecentInvoices.objects.bulk_create(
        ClientRecentInvoices(
            client=c,
            oldest_on=dt.date(2024, 12, 1),
            newest_on=dt.date(2024, 12, 3),
            invoices=recent_invoices_to_json(
                RecentInvoice(f"INV-{c.pk}-{k}", dt.date(2024, 12, k + 1), k + 1, (k + 1) * 10 * M)
                for k in range(3)
            ),
        )
        for c in clients
    )
    return clients


def _signed_in(user: User) -> HttpClient:
    client = HttpClient()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def director() -> User:
    return user_create(username="dana", password=PASSWORD, role="director")


@pytest.fixture
def kam_user() -> User:
    return user_create(username="kim", password=PASSWORD, role="kam")


def _ids(page: str) -> list[str]:
    return [part.split('"')[0] for part in page.split('data-client="')[1:]]


def test_an_anonymous_visitor_is_sent_to_sign_in() -> None:
    _snapshot(3)
    for url in ("/clients/", "/clients/C0001/", "/clients/export.csv"):
        response = HttpClient().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_list_shows_the_latest_year_largest_first_fifty_a_page(director: User) -> None:
    _snapshot(60)
    page = _signed_in(director).get("/clients/").content.decode()
    assert _ids(page) == [f"C{i:04d}" for i in range(50)]
    assert "60 clients" in page and "figures of 2024" in page and "Page 1 of 2" in page
    second = _signed_in(director).get("/clients/?page=2").content.decode()
    assert _ids(second) == [f"C{i:04d}" for i in range(50, 60)]


def test_search_matches_the_id_or_the_name_whatever_the_case(director: User) -> None:
    _snapshot(30)
    http = _signed_in(director)
    assert _ids(http.get("/clients/?q=client 0012").content.decode()) == ["C0012"]
    assert _ids(http.get("/clients/?q=c0007").content.decode()) == ["C0007"]
    assert "No client matches." in http.get("/clients/?q=nobody").content.decode()


def test_filters_narrow_the_list_by_class_country_status_and_manager(
    director: User, kam_user: User
) -> None:
    _snapshot(20, manager=kam_user)
    http = _signed_in(director)
    assert _ids(http.get("/clients/?abc=A").content.decode()) == [
        "C0000",
        "C0001",
        "C0002",
        "C0003",
    ]
    assert _ids(http.get("/clients/?abc=A&year=2023").content.decode()) == [
        "C0019",
        "C0018",
        "C0017",
        "C0016",
    ]
    assert set(_ids(http.get("/clients/?country=MD").content.decode())) == {
        f"C{i:04d}" for i in range(20) if i % 3 == 1
    }
    assert set(_ids(http.get("/clients/?key=yes").content.decode())) == {
        f"C{i:04d}" for i in range(0, 20, 4)
    }
    assert set(_ids(http.get(f"/clients/?manager={kam_user.pk}").content.decode())) == {
        f"C{i:04d}" for i in range(0, 20, 2)
    }


def test_sorting_is_stable_and_reverses_on_request(director: User) -> None:
    _snapshot(12)
    Client.objects.filter(external_id__in=["C0003", "C0001"]).update(name="Same")
    http = _signed_in(director)
    by_name = _ids(http.get("/clients/?sort=name").content.decode())
    assert by_name[:2] == ["C0000", "C0002"] and by_name[-2:] == ["C0001", "C0003"]
    assert _ids(http.get("/clients/?sort=revenue").content.decode())[:2] == ["C0011", "C0010"]
    assert _ids(http.get("/clients/?sort=class").content.decode())[:2] == ["C0000", "C0001"]
    by_country = _ids(http.get("/clients/?sort=-country").content.decode())
    assert by_country[:4] == ["C0000", "C0003", "C0006", "C0009"]  # RO, then by id


def test_htmx_gets_only_the_table_and_the_current_sort(director: User) -> None:
    _snapshot(5)
    response = _signed_in(director).get("/clients/?sort=name", HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "<html" not in page and 'id="id_sort" value="name" hx-swap-oob="true"' in page
    assert 'hx-push-url="true"' in page


def test_a_key_account_manager_lists_and_exports_only_their_clients(
    kam_user: User, director: User
) -> None:
    _snapshot(10, manager=kam_user)
    http = _signed_in(kam_user)
    mine = {f"C{i:04d}" for i in range(0, 10, 2)}
    assert set(_ids(http.get("/clients/").content.decode())) == mine
    exported = list(csv.reader(io.StringIO(http.get("/clients/export.csv").getvalue().decode())))
    assert {row[0] for row in exported[1:]} == mine


def test_a_client_the_user_may_not_see_is_not_found(kam_user: User) -> None:
    _snapshot(4, manager=kam_user)
    http = _signed_in(kam_user)
    assert http.get("/clients/C0000/").status_code == 200
    assert http.get("/clients/C0001/").status_code == 404  # another's client
    assert http.get("/clients/NOPE/").status_code == 404  # the same answer as an unknown id
    assert http.post("/clients/C0000/").status_code == 405  # a read-only page changes nothing


def test_the_client_page_shows_years_classes_categories_invoices_and_history(
    director: User,
) -> None:
    client = _snapshot(6)[1]
    actor = Actor(director, AuditEvent.Interface.WEB)
    audit_changes(
        actor=actor, instance=client, changes={"name": ("Old", "New")}, client_id=client.pk
    )
    page = _signed_in(director).get("/clients/C0001/").content.decode()
    assert 'data-test="id">C0001<' in page and "Client 0001" in page
    assert 'data-year="2024"' in page and 'data-year="2023"' in page
    assert "5,000.00" in page  # (6 - 1) x 1000 in 2024
    assert "543" in page and "Tools" in page and "Paint" in page
    assert f"INV-{client.pk}-2" in page and 'data-test="event"' in page and ">Old<" in page
    assert 'id="client-figure"' in page and "<script>" not in page
    assert page.index(f"INV-{client.pk}-2") < page.index(f"INV-{client.pk}-0")  # newest first


def test_margins_are_hidden_from_marketing(director: User) -> None:
    client = _snapshot(3)[0]
    marketing = user_create(username="mark", password=PASSWORD, role="marketing")
    actor = Actor(director, AuditEvent.Interface.WEB)
    audit_changes(
        actor=actor, instance=client, changes={"unit_cost": ("10", "12")}, client_id=client.pk
    )
    for user, shown in ((director, True), (marketing, False)):
        http = _signed_in(user)
        assert ("Margin %" in http.get("/clients/").content.decode()) is shown
        detail = http.get("/clients/C0000/").content.decode()
        assert ("Gross margin" in detail) is shown and (">12<" in detail) is shown
        header = http.get("/clients/export.csv").getvalue().decode().splitlines()[0]
        assert ("Gross margin" in header) is shown


def test_exports_hold_every_filtered_row_and_neutralise_formulas(director: User) -> None:
    _snapshot(70, evil=True)
    http = _signed_in(director)
    rows = list(
        csv.reader(
            io.StringIO(http.get("/clients/export.csv?country=RO").getvalue().decode("utf-8-sig"))
        )
    )
    assert rows[0][:2] == ["Client id", "Name"] and len(rows) == 1 + 24
    assert rows[1][1] == "'=cmd|' /C calc'!A0" and rows[1][6] == "70000.00"
    response = http.get("/clients/export.xlsx?country=RO")
    assert response["Content-Disposition"].startswith("attachment")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    sheet = book.active
    assert sheet is not None and sheet.max_row == 1 + 24
    assert sheet["B2"].value == "'=cmd|' /C calc'!A0" and sheet["B2"].data_type == "s"
    assert sheet["G2"].value == 70000
    assert http.get("/clients/export.pdf").status_code == 404


def test_exports_write_the_margin_as_the_percentage_the_page_shows(director: User) -> None:
    client = _snapshot(3)[0]
    ClientYearMetric.objects.filter(client=client, year=2024).update(
        costed_revenue_micros=3 * M, cost_micros=2 * M
    )  # a third: 33.3 %
    http = _signed_in(director)
    assert "33.3 %" in http.get("/clients/C0000/").content.decode()
    text = http.get("/clients/export.csv").getvalue().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    percent = rows[0].index("Margin %")
    assert rows[1][0] == "C0000" and rows[1][percent] == "33.3"
    assert {r[percent] for r in rows[2:]} == {"25.0"}
    response = http.get("/clients/export.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    sheet = book.active
    assert sheet is not None
    cell = sheet.cell(row=2, column=percent + 1)
    assert cell.value == pytest.approx(1 / 3) and cell.number_format == "0.0%"


def test_the_client_chart_reads_numbers_in_the_interface_language(director: User) -> None:
    _snapshot(2)
    http = _signed_in(director)
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "ro"
    page = http.get("/clients/C0000/").content.decode()
    script = page.split('<script id="client-figure" type="application/json">')[1]
    layout = json.loads(script.split("</script>")[0])["layout"]
    assert layout["separators"] == ",." and layout["height"] == 320
    assert (
        "separators" not in client_years_figure([2024], [Decimal(1)], None, labels=LABELS)["layout"]
    )  # the figure's shared layout is not changed for everyone


def test_top_clients_on_the_dashboard_link_to_their_page(director: User) -> None:
    _snapshot(3)
    page = _signed_in(director).get("/").content.decode()
    assert 'href="/clients/C0000/"' in page and 'href="/clients/"' in page


Counter = Callable[..., Any]
PAGES = ("/clients/", "/clients/?q=client&abc=A&sort=name&page=2", "/clients/C0002/")


def _query_counts(users: tuple[User, ...]) -> list[int]:
    counts = []
    scoring_model_default()  # created once per installation, not per page view
    scores_cache_clear()  # the score panel's first computation is part of what is counted
    for user in users:
        http = _signed_in(user)
        for url in PAGES:
            with CaptureQueriesContext(connection) as queries:
                assert http.get(url).status_code == 200
            counts.append(len(queries))
    return counts


def test_pages_run_the_same_number_of_queries_for_5_or_500_clients(
    director: User, kam_user: User, django_assert_max_num_queries: Counter
) -> None:
    _snapshot(5, manager=kam_user)
    few = _query_counts((director, kam_user))
    Client.objects.all().delete()
    YearSummary.objects.all().delete()
    _snapshot(500, manager=kam_user)
    assert _query_counts((director, kam_user)) == few
    for user in (director, kam_user):
        http = _signed_in(user)
        for url in PAGES:
            budget = MAX_QUERIES if url.startswith("/clients/?") or url == "/clients/" else None
            with django_assert_max_num_queries(budget or MAX_CLIENT_PAGE_QUERIES):
                http.get(url)


def test_a_long_list_walks_the_index_then_lists_clients_without_figures(
    director: User, monkeypatch: pytest.MonkeyPatch, django_assert_max_num_queries: Counter
) -> None:
    from kam.analytics import client_selectors

    monkeypatch.setattr(client_selectors, "SMALL_LIST", 10)
    _snapshot(60)
    Client.objects.bulk_create(Client(external_id=f"N{i}", name=f"New {i}") for i in range(5))
    ClientYearMetric.objects.filter(year=2024, client__external_id="C0001").delete()
    http = _signed_in(director)
    first = _ids(http.get("/clients/").content.decode())
    assert first[:3] == ["C0000", "C0002", "C0003"]
    with django_assert_max_num_queries(MAX_QUERIES) as queries:
        second = _ids(http.get("/clients/?page=2").content.decode())
    walks = [q["sql"] for q in queries.captured_queries if "OFFSET" in q["sql"]]
    # someone who sees every client: the page is chosen in the figures' index alone
    assert walks and all("clients_client" not in sql for sql in walks), walks
    # 59 clients bought in 2024; the page crossing into those without figures goes on by id
    assert second[:9] == [f"C{i:04d}" for i in range(51, 60)]
    assert second[9:] == ["C0001", "N0", "N1", "N2", "N3", "N4"]
    in_class_c = _ids(http.get("/clients/?abc=C").content.decode())
    assert in_class_c == [f"C{i:04d}" for i in range(30, 60)]  # ranks 31..60, largest first
    by_class = _ids(http.get("/clients/?sort=-class&page=2").content.decode())
    # every C client keeps its 2024 rank; the smallest ranks come last, then the unranked
    assert by_class == [f"C{i:04d}" for i in range(9, -1, -1)] + [f"N{i}" for i in range(5)]


@pytest.mark.parametrize(
    "query", ["sort=-revenue", "sort=revenue", "sort=-class", "sort=class", "abc=C", "country=RO"]
)
def test_a_long_list_pages_through_the_same_order_as_a_short_one_and_the_export(
    director: User, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    """Equal revenues, clients without figures: every path of the list gives one order."""
    from kam.analytics import client_selectors
    from kam.web import clients as client_views

    _snapshot(12)
    for external_id in ("C0003", "C0004", "C0005"):  # three equal revenues, ranked 4..6
        ClientYearMetric.objects.filter(year=2024, client__external_id=external_id).update(
            revenue_micros=9_000 * M
        )
    for old, new in (("C0003", "T"), ("C0005", "C0003"), ("T", "C0005")):  # ids against keys
        Client.objects.filter(external_id=old).update(external_id=new)
    Client.objects.bulk_create(Client(external_id=f"N{i}", name=f"New {i}") for i in (2, 1))
    ClientYearMetric.objects.filter(year=2024, client__external_id="C0007").delete()
    ClientYearRank.objects.filter(year=2024, client__external_id="C0007").delete()
    http = _signed_in(director)
    short = _ids(http.get(f"/clients/?{query}").content.decode())  # one page, sorted whole
    monkeypatch.setattr(client_selectors, "SMALL_LIST", 2)
    monkeypatch.setattr(client_views, "PER_PAGE", 4)
    pages = range(1, (len(short) + 3) // 4 + 1)
    paged = [_ids(http.get(f"/clients/?{query}&page={page}").content.decode()) for page in pages]
    response = http.get(f"/clients/export.csv?{query}")
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    in_export = [row[0] for row in list(csv.reader(io.StringIO(text)))[1:]]
    assert [c for page in paged for c in page] == short == in_export
    without_figures = [c for c in short if c in ("C0007", "N1", "N2")]
    assert without_figures == sorted(without_figures)  # last, by id
    if query == "sort=-revenue":
        assert short[3:6] == ["C0005", "C0004", "C0003"]  # equal revenues: by client key
