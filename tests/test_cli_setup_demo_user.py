"""`kam setup` gives a demo sign-in beside demo data only, never beside a real ledger."""

from __future__ import annotations

from pathlib import Path

import pytest

from kam.cli import main
from kam.ledger.store import Store
from kam.people.models import User
from kam.people.services import DEMO_USERNAME

pytestmark = pytest.mark.django_db(transaction=True)


def _import_own_ledger_then_setup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Import a file of the company's own, run `kam setup`; what setup printed."""
    sales = tmp_path / "sales.csv"
    sales.write_text("invoice,date,client,product,quantity,unit_price\nF1,2024-03-01,C1,P1,2,5\n")
    assert main(["import", str(sales)]) == 0
    capsys.readouterr()
    assert main(["setup"]) == 0
    return capsys.readouterr().out


def test_setup_beside_an_imported_ledger_adds_no_demo_director(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _import_own_ledger_then_setup(tmp_path, capsys)
    assert "no demo data added" in out
    assert "no demo sign-in beside your own ledger" in out and "demo sign-in:" not in out
    assert not User.objects.filter(username=DEMO_USERNAME).exists()


def test_setup_beside_the_demo_ledger_gives_the_demo_sign_in(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--clients", "20", "--lines", "400"]) == 0
    capsys.readouterr()
    assert main(["setup"]) == 0
    assert f"demo sign-in: {DEMO_USERNAME} / " in capsys.readouterr().out
    assert User.objects.get(username=DEMO_USERNAME).role == "director"


def test_setup_warns_of_a_demo_director_left_beside_an_imported_ledger(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--clients", "20", "--lines", "400"]) == 0
    assert main(["setup"]) == 0
    out = _import_own_ledger_then_setup(tmp_path, capsys)
    assert "warning: the demo director still signs in with the published demo password" in out
    assert "demo sign-in:" not in out
