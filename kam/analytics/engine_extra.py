"""Ledger queries behind the client page's snapshot tables (RFM, categories, recent invoices).

Written once in DuckDB SQL like `engine.py`; each is one grouped scan over a
range of dates, never a query per client.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from kam.common.periods import Period
from kam.ledger.store import Store

RECENT_INVOICES = 10


@dataclass(frozen=True, slots=True)
class Purchases:
    """A client's year (SPEC: RFM): net revenue, and its invoices with a positive amount."""

    client: str
    year: int
    revenue: Decimal
    invoices: int  # distinct invoices whose amount for the client is positive
    last_on: dt.date | None  # the newest of those


# Millions of rows on a large ledger: plain tuples, money as integer micros from the engine.
CategoryTotals = tuple[str, int, str, int, int]  # client, year, category, revenue micros, lines
InvoiceTotals = tuple[str, str, dt.date, int, int]  # client, invoice, date, lines, amount micros


_PURCHASES = """
SELECT client, y, sum(amount),
    count(CASE WHEN amount > 0 THEN 1 END),
    max(CASE WHEN amount > 0 THEN d END)
FROM (
    SELECT client, invoice, EXTRACT(year FROM invoiced_on) AS y,
        max(invoiced_on) AS d, sum(net_amount) AS amount
    FROM ledger_lines
    WHERE invoiced_on >= ? AND invoiced_on < ? AND client IS NOT NULL
    GROUP BY client, invoice, EXTRACT(year FROM invoiced_on)
) AS per_invoice
GROUP BY client, y
ORDER BY client, y
"""


def yearly_purchases(store: Store, period: Period) -> list[Purchases]:
    """Per client and calendar year: net revenue, positive invoices and the newest one's date."""
    rows = store.query(_PURCHASES, [period.start, period.end])
    return [Purchases(str(c), int(y), Decimal(r), int(n), last) for c, y, r, n, last in rows]


_CATEGORIES = """
SELECT client, CAST(EXTRACT(year FROM invoiced_on) AS INTEGER) AS y,
    coalesce(category, '') AS cat, CAST(sum(net_amount) * 1000000 AS BIGINT), count(*)
FROM ledger_lines
WHERE invoiced_on >= ? AND invoiced_on < ? AND client IS NOT NULL
GROUP BY client, EXTRACT(year FROM invoiced_on), coalesce(category, '')
ORDER BY y, client, cat
"""


def yearly_categories(store: Store, period: Period) -> list[CategoryTotals]:
    """Per client, calendar year and product category: net revenue (micros) and lines."""
    return store.query(_CATEGORIES, [period.start, period.end])


def _recent_sql(clients_from: str) -> str:
    return f"""
SELECT client, invoice, d, n, amount
FROM (
    SELECT client, invoice, d, n, amount,
        row_number() OVER (PARTITION BY client ORDER BY d DESC, invoice DESC) AS rn
    FROM (
        SELECT client, invoice, max(invoiced_on) AS d, count(*) AS n,
            CAST(sum(net_amount) * 1000000 AS BIGINT) AS amount
        FROM ledger_lines
        WHERE client IN ({clients_from})
        GROUP BY client, invoice
    ) AS per_invoice
) AS ranked
WHERE rn <= {RECENT_INVOICES}
ORDER BY client, rn
"""


def recent_invoices_of_active(store: Store, period: Period) -> list[InvoiceTotals]:
    """The newest invoices of every client with a line in `period` (any date of theirs)."""
    active = (
        "SELECT DISTINCT client FROM ledger_lines "
        "WHERE invoiced_on >= ? AND invoiced_on < ? AND client IS NOT NULL"
    )
    return store.query(_recent_sql(active), [period.start, period.end])


def recent_invoices_of(store: Store, clients: Sequence[str]) -> list[InvoiceTotals]:
    """The newest invoices of the named clients."""
    if not clients:
        return []
    marks = ", ".join("?" * len(clients))
    return store.query(_recent_sql(marks), list(clients))
