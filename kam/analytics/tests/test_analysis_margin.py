"""The analysis's gross margin (SPEC): net revenue minus cost over the lines whose cost
is known, for the Pareto population, from the snapshot and from the ledger engine."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from kam.analytics.selectors import concentration_analysis
from kam.common.periods import Period
from kam.ledger.services import ledger_import
from kam.ledger.store import Store

pytestmark = pytest.mark.django_db(transaction=True)

# A: 100 with cost 60. B: 50 without cost, and a free line (net 0) that cost 10.
# C: no cost at all. D: a net credit (not in the population) whose line cost 5.
LEDGER = """Invoice,InvoiceDate,Customer ID,StockCode,Quantity,Price,Cost
1,2024-05-02,A,P1,1,100,60
2,2024-05-03,B,P1,1,50,
3,2024-05-04,B,P2,1,0,10
4,2024-05-05,C,P1,2,20,
5,2024-05-06,D,P1,-1,30,5
"""


@pytest.mark.parametrize(
    "period",
    [Period.year(2024), Period.parse("2024-05-01", "2024-06-01")],
    ids=["snapshot", "engine"],
)
def test_margin_counts_every_costed_line_of_the_population(
    store: Store, tmp_path: Path, period: Period
) -> None:
    path = tmp_path / "ledger.csv"
    path.write_text(LEDGER)
    assert ledger_import(store=store, paths=[path]).ok
    analysis = concentration_analysis(store=store, period=period)
    margin = analysis.margin
    assert margin is not None
    # costed lines of A, B and C: revenue 100 + 0, cost 60 + 10 (D is not in the population)
    assert margin.amount == Decimal(30)
    assert margin.percent == Decimal("0.3")
    assert margin.coverage == Decimal(100) / Decimal(190)
    # a margin of its own only where some costed revenue exists
    assert analysis.margins == {"A": Decimal(40)}
    assert analysis.result.non_positive == 1
