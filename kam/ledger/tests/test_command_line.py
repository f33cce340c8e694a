"""`kam import` and `kam analyze` end to end: exit codes, JSON keys, safe CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kam.cli import main
from kam.ledger.models import ImportJob, SavedMapping
from kam.ledger.store import Store
from kam.ledger.tests.ledger_helpers import clients_table, csv_text, ledger_rows, write_text

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "invoice,date,client,client_name,product,quantity,unit_price,cost"
ROWS = [
    ("F1", "2024-02-01", "C1", "Alpha SRL", "P1", "6", "10", "40"),
    ("F2", "2024-03-01", "C2", '=HYPERLINK("http://evil";"x")', "P1", "3", "10", "24"),
    ("F3", "2024-04-01", "C3", "+Gamma", "P1", "1", "10", "5"),
    ("F4", "2024-05-01", "C4", "@Delta", "P1", "-1", "5", ""),
    ("F5", "2024-06-01", "", "", "P1", "1", "7", ""),
    ("F6", "2023-06-01", "C1", "Alpha SRL", "P1", "1", "1", ""),
]


@pytest.fixture
def home(tmp_path: Path, settings: Any, store: Store) -> Path:
    settings.KAM_HOME = tmp_path
    settings.KAM_CURRENCY = "MDL"
    return tmp_path


def _sales(home: Path, rows: Sequence[Sequence[str]] = ROWS, header: str = HEADER) -> Path:
    return write_text(home / "sales.csv", csv_text(rows, header))


def test_an_import_exits_0_and_reports_as_json(
    home: Path, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(_sales(home)), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True and out["dry_run"] is False
    assert (out["lines"], out["invoices"], out["clients"]) == (6, 6, 4)
    assert out["files"][0]["name"] == "sales.csv" and len(out["files"][0]["sha256"]) == 64
    assert out["problem_count"] == 0 and out["problems"] == []
    assert len(ledger_rows(store)) == 6
    job = ImportJob.objects.get(pk=out["job"])
    assert job.status == ImportJob.Status.SUCCEEDED and job.operator != ""


def test_an_import_with_problems_exits_1_and_lists_them(
    home: Path, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [*ROWS, ("F7", "2024-13-01", "C1", "Alpha SRL", "P1", "1", "1", "")]
    assert main(["import", str(_sales(home, rows)), "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["problem_count"] == 1
    assert out["problems"] == [
        {
            "file": "sales.csv",
            "row": 8,
            "column": "date",
            "value": "2024-13-01",
            "reason": "not a date (expected YYYY-MM-DD)",
        }
    ]
    assert ledger_rows(store) == [] and clients_table() == []


def test_an_import_with_problems_names_the_row_on_the_terminal(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [*ROWS, ("F7", "2024-01-01", "C1", "Alpha SRL", "P1", "two", "1", "")]
    assert main(["import", str(_sales(home, rows))]) == 1
    err = capsys.readouterr().err
    assert "1 problem(s); nothing was imported" in err
    assert "quantity" in err and "two" in err and "not a number" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--map", "client=Cod client"], "the file has no column 'Cod client'"),
        (["--map", "client"], "--map takes FIELD=HEADER, not 'client'"),
        (["--map", "customer=client"], "unknown ledger field(s) customer"),
        (["--mapping", "nosuch"], "no saved mapping named 'nosuch'"),
    ],
)
def test_a_refused_import_exits_2_with_the_reason_on_stderr(
    home: Path, store: Store, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    assert main(["import", str(_sales(home)), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kam import: ") and message in err
    assert ledger_rows(store) == []


def test_a_file_missing_a_required_column_exits_2(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_text(home / "s.csv", "invoice,client,product,net_amount\nF1,C1,P1,1\n")
    assert main(["import", str(path)]) == 2
    assert "missing required column(s): date" in capsys.readouterr().err


def test_a_dry_run_exits_0_and_changes_nothing(
    home: Path, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(_sales(home)), "--dry-run"]) == 0
    assert "would import 6 lines, 6 invoices, 4 clients" in capsys.readouterr().out
    assert ledger_rows(store) == [] and clients_table() == []
    assert ImportJob.objects.get().status == ImportJob.Status.CHECKED


def test_save_mapping_then_mapping_round_trip_on_the_command_line(home: Path, store: Store) -> None:
    header = "Doc,Zi,Cod,Nume,Art,Buc,PU,Cost total"
    maps = ["invoice=Doc", "date=Zi", "client=Cod", "client_name=Nume", "product=Art"]
    maps += ["quantity=Buc", "unit_price=PU"]
    path = _sales(home, ROWS[:3], header)
    args = ["import", str(path), "--save-mapping", "saga"]
    assert main([*args, *(a for m in maps for a in ("--map", m))]) == 0
    assert SavedMapping.objects.get(name="saga").fields["client"] == "Cod"
    later = write_text(home / "later.csv", csv_text(ROWS[3:], header))
    assert main(["import", str(later), "--mapping", "saga"]) == 0
    assert len(ledger_rows(store)) == 6


def test_analyze_as_json_has_exactly_the_documented_keys_and_figures(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(_sales(home))]) == 0
    capsys.readouterr()
    assert main(["analyze", "--year", "2024", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {
        "period",
        "currency",
        "clients",
        "non_positive",
        "revenue",
        "top20_share",
        "abc",
        "gini",
        "hhi",
        "unattributed",
        "margin",
        "top",
    }
    assert out["period"] == {"start": "2024-01-01", "end": "2025-01-01"}
    assert out["currency"] == "MDL"
    assert (out["clients"], out["non_positive"]) == (3, 1)
    assert Decimal(out["revenue"]) == Decimal("100")
    assert out["top20_share"] == pytest.approx(0.6)
    assert out["abc"] == {"A": 2, "B": 1, "C": 0}
    assert out["hhi"] == pytest.approx(4600)
    assert 0 < out["gini"] < 1
    assert out["unattributed"]["lines"] == 1
    assert Decimal(out["unattributed"]["amount"]) == Decimal("7")
    assert set(out["margin"]) >= {"amount", "percent"}
    assert Decimal(out["margin"]["amount"]) == Decimal("31")  # 100 - (40 + 24 + 5)
    assert [t["client"] for t in out["top"]] == ["C1", "C2", "C3"]
    for row in out["top"]:
        assert set(row) == {"client", "name", "revenue", "share", "cumulative_share", "class"}
    assert out["top"][0]["name"] == "Alpha SRL" and out["top"][0]["class"] == "A"
    assert Decimal(out["top"][0]["revenue"]) == Decimal("60")
    assert out["top"][1]["cumulative_share"] == pytest.approx(0.9)


def test_analyze_as_csv_cannot_inject_a_formula_into_a_spreadsheet(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(_sales(home))]) == 0
    capsys.readouterr()
    assert main(["analyze", "--year", "2024", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["client", "name", "revenue", "share", "cumulative_share", "class"]
    names = {r[0]: r[1] for r in rows[1:]}
    assert names == {
        "C1": "Alpha SRL",
        "C2": '\'=HYPERLINK("http://evil";"x")',
        "C3": "'+Gamma",
    }
    for row in rows[1:]:
        assert not row[1].startswith(("=", "+", "-", "@"))


def test_analyze_of_an_empty_ledger_does_not_fail(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyze", "--year", "2024", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["clients"], out["top"]) == (0, [])


def test_analyze_refuses_a_year_together_with_dates(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyze", "--year", "2024", "--from", "2024-01-01", "--to", "2024-02-01"]) == 2
    assert "give either --year or --from/--to" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (["--year", "0"], "a year is between 1900 and 2999 (not 0)"),
        (["--year", "99999"], "a year is between 1900 and 2999 (not 99999)"),
        (["--year", "-5"], "a year is between 1900 and 2999 (not -5)"),
        (["--year", "1900", "--from", "2024-01-01", "--to", "2024-02-01"], "give either --year"),
        (["--top", "0"], "--top is at least 1"),
        (["--top", "-1"], "--top is at least 1"),
    ],
)
def test_analyze_refuses_a_year_or_a_top_out_of_range(
    home: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], reason: str
) -> None:
    assert main(["analyze", *arguments]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"kam analyze: {reason}") and "Traceback" not in err


def test_an_unreachable_postgresql_ledger_exits_2_and_fails_the_job(
    home: Path, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.KAM_LEDGER_URL = "postgresql://kam@127.0.0.1:1/x"
    assert main(["import", str(_sales(home))]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kam import: cannot connect to the PostgreSQL ledger at 127.0.0.1: ")
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED and "cannot connect" in job.message
    assert clients_table() == []


def test_a_database_without_tables_is_told_to_migrate(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from django.db import OperationalError

    from kam import cli

    def missing(_: object) -> int:
        raise OperationalError("no such table: ledger_importjob")

    monkeypatch.setitem(cli.COMMANDS, "analyze", missing)
    assert main(["analyze"]) == 2
    assert capsys.readouterr().err == (
        "kam analyze: the operational database is unavailable: no such table: "
        "ledger_importjob (a new database: run `kam migrate` first, or `kam setup`)\n"
    )


def test_the_table_rounds_money_half_up_as_the_pages_do(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [("F1", "2024-02-01", "C1", "Alpha SRL", "P1", "1", "9296.685", "")]
    assert main(["import", str(_sales(home, rows))]) == 0
    capsys.readouterr()
    assert main(["analyze", "--year", "2024"]) == 0
    out = capsys.readouterr().out
    assert "9,296.69" in out and "9,296.68" not in out


def test_the_report_says_how_dates_and_numbers_were_read(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "invoice;date;client;product;quantity;unit_price\nF1;03/01/2024;C1;P1;1;10,5\n"
    path = write_text(home / "day-first.csv", text)
    assert main(["import", "--dry-run", str(path)]) == 0
    out = capsys.readouterr().out
    assert "day-first.csv: dates read as DD/MM/YYYY, decimal comma in unit_price" in out
