"""`kam select`: the ranked candidates of a year on the command line (Northwind)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kam.accounts.models import ScoringModel
from kam.accounts.selectors import scores_of
from kam.analytics.core.scoring import CRITERIA
from kam.cli import main
from kam.clients.models import Client
from kam.ledger.services import ledger_import
from kam.ledger.store import Store

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def northwind(store: Store, data_dir: Path) -> Store:
    assert ledger_import(store=store, paths=[data_dir / "northwind_order_lines.csv.gz"]).ok
    return store


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["select", "--format", "json", *args]) == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document


def test_json_ranks_every_client_of_the_latest_year(
    northwind: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    document = _json(capsys)
    assert document["year"] == 1998
    assert document["clients"] == 81 == len(document["candidates"])
    model = document["model"]
    assert model["name"] == "Equal weights"
    assert model["weights"] == {c: pytest.approx(1 / 6, abs=1e-6) for c in CRITERIA}
    assert model["thresholds"] == {"attractiveness": 50.0, "strength": 50.0}
    rows = document["candidates"]
    assert [r["rank"] for r in rows] == list(range(1, 82))
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    expected = scores_of(year=1998)
    names = dict(Client.objects.values_list("pk", "external_id"))
    assert [r["client"] for r in rows] == [names[c] for c in expected.order]
    first = rows[0]
    f = expected.by_client[expected.order[0]]
    assert set(first) == {
        "rank",
        "client",
        "name",
        "score",
        "coverage",
        "criteria",
        "contributions",
        "missing",
        "inputs",
        "abc",
        "quadrant",
        "key_account",
        "tier",
    }
    assert Decimal(first["inputs"]["revenue"]) == f.revenue  # money as exact decimal text
    assert isinstance(first["inputs"]["revenue"], str)
    assert set(first["inputs"]) == {
        "revenue",
        "growth",
        "margin_percent",
        "discount",
        "partnership",
        "position",
        "wallet",
        "potential",
        "share_of_wallet",
    }
    assert first["criteria"]["profitability"] is None  # missing, not 0
    assert "profitability" in first["missing"]
    assert sum(first["contributions"].values()) == pytest.approx(first["score"], abs=0.05)
    assert first["abc"] in ("A", "B", "C")


def test_year_model_top_and_status(northwind: Store, capsys: pytest.CaptureFixture[str]) -> None:
    ScoringModel.objects.create(name="Volume", weights={"volume": 1.0})
    Client.objects.filter(external_id__in=["ALFKI", "QUICK"]).update(is_key_account=True, tier="1")
    document = _json(capsys, "--year", "1997", "--model", "Volume", "--top", "5")
    assert document["year"] == 1997 and document["model"]["name"] == "Volume"
    assert document["clients"] == 86 and len(document["candidates"]) == 5
    revenues = [Decimal(r["inputs"]["revenue"]) for r in document["candidates"]]
    assert revenues == sorted(revenues, reverse=True)
    assert document["candidates"][0]["score"] == 100
    keys = _json(capsys, "--year", "1997", "--key-accounts")["candidates"]
    assert sorted(r["client"] for r in keys) == ["ALFKI", "QUICK"]
    assert all(r["key_account"] and r["tier"] == "1" for r in keys)
    others = _json(capsys, "--year", "1997", "--candidates")["candidates"]
    assert len(others) == 84 and not any(r["key_account"] for r in others)


def test_csv_and_table(northwind: Store, capsys: pytest.CaptureFixture[str]) -> None:
    Client.objects.filter(external_id="ALFKI").update(name="=HYPERLINK(1) [bold]")
    assert main(["select", "--year", "1997", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:5] == ["rank", "client", "name", "score", "coverage"]
    assert len(rows) == 87
    by_id = {r[1]: r for r in rows[1:]}
    assert by_id["ALFKI"][2] == "'=HYPERLINK(1) [bold]"
    assert by_id["ALFKI"][rows[0].index("profitability")] == ""
    assert main(["select", "--year", "1997", "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "Key-account candidates, 1997" in out and "86 buying clients" in out


def test_mistakes_are_refused_clearly(northwind: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["select", "--model", "Nope"]) == 2
    assert "no scoring model named 'Nope'" in capsys.readouterr().err
    assert main(["select", "--year", "1990"]) == 2
    assert "no figures for 1990" in capsys.readouterr().err
    assert main(["select", "--top", "0"]) == 2
    assert "--top" in capsys.readouterr().err
