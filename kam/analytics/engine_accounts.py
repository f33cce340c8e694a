"""Ledger queries for the key-account pages: a few clients, month by month."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from kam.common.periods import Period
from kam.ledger.store import Store


@dataclass(frozen=True, slots=True)
class MonthTotals:
    client: str
    year: int
    month: int
    revenue: Decimal
    costed_revenue: Decimal
    cost: Decimal
    quantity: Decimal


_MONTHLY = """
SELECT client, EXTRACT(year FROM invoiced_on) AS y, EXTRACT(month FROM invoiced_on) AS m,
    sum(net_amount),
    coalesce(sum(CASE WHEN cost IS NOT NULL THEN net_amount END), 0),
    coalesce(sum(cost), 0),
    coalesce(sum(quantity), 0)
FROM ledger_lines
WHERE invoiced_on >= ? AND invoiced_on < ? AND client IN ({marks})
GROUP BY client, EXTRACT(year FROM invoiced_on), EXTRACT(month FROM invoiced_on)
ORDER BY client, y, m
"""


def monthly_totals(store: Store, clients: Sequence[str], period: Period) -> list[MonthTotals]:
    """Per client and calendar month within `period`, for the given clients only."""
    result: list[MonthTotals] = []
    for i in range(0, len(clients), 500):
        chunk = list(clients[i : i + 500])
        sql = _MONTHLY.format(marks=", ".join("?" * len(chunk)))
        for c, y, m, r, cr, co, q in store.query(sql, [period.start, period.end, *chunk]):
            result.append(
                MonthTotals(
                    str(c), int(y), int(m), Decimal(r), Decimal(cr), Decimal(co), Decimal(q)
                )
            )
    return result
