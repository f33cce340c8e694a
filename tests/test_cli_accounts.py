"""`kam wallet import/export`, `kam designate` and `kam revoke`: data work, audited as cli."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from kam.accounts.models import Designation, WalletEstimate
from kam.audit.models import AuditEvent
from kam.cli import main
from kam.clients.models import Client
from kam.people.services import user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def clients() -> dict[str, Client]:
    return {
        cid: Client.objects.create(external_id=cid, name=name)
        for cid, name in (("C1", "Alpha"), ("C2", "Beta"))
    }


def _wallets() -> list[tuple[Any, ...]]:
    return list(
        WalletEstimate.objects.order_by("client__external_id", "year", "category").values_list(
            "client__external_id", "year", "category", "amount", "source", "confidence"
        )
    )


def test_a_romanian_csv_is_imported_with_its_decimal_commas(
    tmp_path: Path, clients: Any, capsys: Any
) -> None:
    path = tmp_path / "portofel.csv"
    path.write_text(
        "Cod client;An;Categorie;Sumă;Sursă;Încredere\n"
        "C1;2024;;1.250.000,50;Raport anual;ridicată\n"
        "C1;2024;Scule;300000;Târg;medie\n"
        "\n"
        "C2;2023;;80000;Estimare proprie;\n",
        encoding="utf-8",
    )
    assert main(["wallet", "import", str(path)]) == 0
    assert "3 new" in capsys.readouterr().out
    rows = _wallets()
    assert [(r[0], r[1], r[2], str(r[3]), r[5]) for r in rows] == [
        ("C1", 2024, "", "1250000.50", "high"),
        ("C1", 2024, "Scule", "300000.00", "medium"),
        ("C2", 2023, "", "80000.00", "medium"),
    ]
    events = AuditEvent.objects.filter(entity="accounts.WalletEstimate")
    assert events.exists() and {(e.interface, e.actor) for e in events} == {("cli", None)}


def test_a_file_with_problems_changes_nothing_and_names_each_one(
    tmp_path: Path, clients: Any, capsys: Any
) -> None:
    WalletEstimate.objects.create(client=clients["C1"], year=2024, amount=5, source="Old")
    before, events = _wallets(), AuditEvent.objects.count()
    path = tmp_path / "wallet.csv"
    path.write_text(
        "client,year,category,amount,source,confidence\n"
        "C1,2024,,999,New,low\n"
        "NOPE,2024,,10,Fair,low\n"
        "C2,20x4,,10,Fair,low\n"
        "C2,2024,,-3,,sure\n",
        encoding="utf-8",
    )
    assert main(["wallet", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "wallet.csv, row 3, client 'NOPE'" in err
    assert "wallet.csv, row 4, year '20x4'" in err
    for column in ("amount '-3'", "source ''", "confidence 'sure'"):
        assert f"wallet.csv, row 5, {column}" in err
    assert (_wallets(), AuditEvent.objects.count()) == (before, events)


def test_a_dry_run_checks_everything_and_changes_nothing(
    tmp_path: Path, clients: Any, capsys: Any
) -> None:
    path = tmp_path / "wallet.csv"
    path.write_text("client,year,amount,source\nC1,2024,10,Fair\n", encoding="utf-8")
    events = AuditEvent.objects.count()
    assert main(["wallet", "import", str(path), "--dry-run"]) == 0
    assert "would save 1" in capsys.readouterr().out
    assert (_wallets(), AuditEvent.objects.count()) == ([], events)


def test_an_xlsx_is_imported_and_a_missing_column_refuses_the_file(
    tmp_path: Path, clients: Any, capsys: Any
) -> None:
    path = tmp_path / "wallet.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for r, row in enumerate(
        [["Client", "Year", "Category", "Amount", "Source"], ["C2", 2024, "Tools", 1234.5, "Fair"]]
    ):
        sheet.write_row(r, 0, row)
    book.close()
    assert main(["wallet", "import", str(path)]) == 0
    assert [(r[0], r[1], r[2], str(r[3])) for r in _wallets()] == [("C2", 2024, "Tools", "1234.50")]
    bad = tmp_path / "bad.csv"
    bad.write_text("client,year,amount\nC1,2024,5\n", encoding="utf-8")
    assert main(["wallet", "import", str(bad)]) == 2
    assert "missing column(s) source" in capsys.readouterr().err


def test_the_export_reads_back_as_an_import(tmp_path: Path, clients: Any, capsys: Any) -> None:
    WalletEstimate.objects.create(
        client=clients["C1"], year=2024, category="=cmd", amount=10, source="Fair"
    )
    WalletEstimate.objects.create(client=clients["C2"], year=2023, amount=20, source="Own")
    assert main(["wallet", "export", "--year", "2024", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {
            "client": "C1",
            "year": 2024,
            "category": "=cmd",
            "amount": "10.00",
            "source": "Fair",
            "confidence": "medium",
        }
    ]
    assert main(["wallet", "export"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == "client,year,category,amount,source,confidence"
    assert "'=cmd" in text  # a spreadsheet will not run it
    assert main(["wallet", "export", "--year", "2023"]) == 0
    exported = tmp_path / "out.csv"
    exported.write_text(capsys.readouterr().out, encoding="utf-8")
    assert main(["wallet", "import", str(exported)]) == 0
    assert "0 new, 0 changed" in capsys.readouterr().out  # read back as it was


def test_designate_and_revoke_keep_the_history_and_are_audited(clients: Any, capsys: Any) -> None:
    kim = user_create(username="kim", password="correct-horse-battery-9", role="kam")
    assert (
        main(["designate", "C1", "--tier", "2", "--reason", "Largest buyer", "--manager", "kim"])
        == 0
    )
    assert "tier 2, managed by kim" in capsys.readouterr().out
    c1 = Client.objects.get(external_id="C1")
    assert (c1.is_key_account, c1.tier, c1.manager) == (True, "2", kim)
    assert main(["revoke", "C1", "--reason", "Moved away"]) == 0
    history = list(Designation.objects.filter(client=c1).values_list("action", "reason"))
    assert history == [("revoke", "Moved away"), ("designate", "Largest buyer")]
    events = AuditEvent.objects.filter(client_id=c1.pk)
    assert {e.interface for e in events} == {"cli"}
    assert main(["revoke", "C1", "--reason", "Again"]) == 2
    assert "not a key account" in capsys.readouterr().err
    assert main(["designate", "NOPE", "--tier", "1", "--reason", "x"]) == 2
    assert main(["designate", "C2", "--tier", "1", "--reason", "x", "--manager", "ghost"]) == 2
    assert not Client.objects.get(external_id="C2").is_key_account


@pytest.mark.django_db(transaction=True)
def test_kam_demo_adds_the_key_account_organisation_once(store: Any, capsys: Any) -> None:
    assert main(["demo", "--clients", "40", "--lines", "2000"]) == 0
    out = capsys.readouterr().out
    assert "demo people sign in with kam-demo-people: ioana.marin" in out
    assert Client.objects.filter(is_key_account=True).count() == 10
    designations = Designation.objects.count()
    assert main(["demo", "--clients", "40", "--lines", "2000"]) == 0  # the same ledger again
    assert "demo people sign in" not in capsys.readouterr().out
    assert Designation.objects.count() == designations


@pytest.mark.parametrize("interface", ["web", "api"])
def test_only_the_command_line_and_the_system_act_without_a_person(
    clients: Any, interface: str
) -> None:
    from kam.accounts.services import NotAllowedError, WalletRow, key_account_designate
    from kam.accounts.services import wallet_estimates_save as save
    from kam.audit.services import Actor

    nobody = Actor(user=None, interface=interface)
    with pytest.raises(NotAllowedError):
        key_account_designate(actor=nobody, client=clients["C1"], tier="1", reason="x")
    with pytest.raises(Exception, match="not one you may change"):
        save(actor=nobody, rows=[WalletRow("C1", 2024, "", "10", "Fair")])
    system = Actor(user=None, interface="system", label="demo")
    key_account_designate(actor=system, client=clients["C1"], tier="1", reason="x")
    assert Client.objects.get(external_id="C1").is_key_account
