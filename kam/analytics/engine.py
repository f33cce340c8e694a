"""Ledger queries, written once in DuckDB SQL and run on any store.

These are the only places that scan the ledger. Each returns plain values;
the maths on them lives in `kam.analytics.core`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from kam.common.periods import Period
from kam.ledger.store import Store

ZERO = Decimal(0)
MICRO = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class ClientTotals:
    client: str
    revenue: Decimal
    costed_revenue: Decimal  # net revenue of the lines whose cost is known
    cost: Decimal
    lines: int
    invoices: int
    last_invoiced_on: dt.date


@dataclass(frozen=True, slots=True)
class LedgerSpan:
    first: dt.date | None
    last: dt.date | None
    lines: int
    imports: int


_TOTALS = """
SELECT client,
    sum(net_amount),
    coalesce(sum(CASE WHEN cost IS NOT NULL THEN net_amount END), 0),
    coalesce(sum(cost), 0),
    count(*),
    count(DISTINCT invoice),
    max(invoiced_on)
FROM ledger_lines
WHERE invoiced_on >= ? AND invoiced_on < ? AND client IS NOT NULL
GROUP BY client
ORDER BY client
"""


def client_period_totals(store: Store, period: Period) -> list[ClientTotals]:
    """Per-client sums over the period (every client with a line in it)."""
    rows = store.query(_TOTALS, [period.start, period.end])
    return [
        ClientTotals(str(c), Decimal(r), Decimal(cr), Decimal(co), int(n), int(i), last)
        for c, r, cr, co, n, i, last in rows
    ]


def unattributed(store: Store, period: Period) -> tuple[int, Decimal]:
    """Lines without a client id in the period: (count, net amount)."""
    rows = store.query(
        "SELECT count(*), coalesce(sum(net_amount), 0) FROM ledger_lines "
        "WHERE invoiced_on >= ? AND invoiced_on < ? AND client IS NULL",
        [period.start, period.end],
    )
    return (int(rows[0][0]), Decimal(rows[0][1])) if rows else (0, ZERO)


def ledger_span(store: Store) -> LedgerSpan:
    rows = store.query(
        "SELECT min(invoiced_on), max(invoiced_on), count(*), "
        "(SELECT count(*) FROM ledger_imports) FROM ledger_lines"
    )
    if not rows:
        return LedgerSpan(None, None, 0, 0)
    first, last, lines, imports = rows[0]
    return LedgerSpan(first, last, int(lines), int(imports))


def latest_import_id(store: Store) -> int:
    rows = store.query("SELECT coalesce(max(id), 0) FROM ledger_imports")
    return int(rows[0][0]) if rows else 0


_YEARLY = """
SELECT client, EXTRACT(year FROM invoiced_on) AS y,
    sum(net_amount),
    coalesce(sum(CASE WHEN cost IS NOT NULL THEN net_amount END), 0),
    coalesce(sum(cost), 0),
    count(*),
    count(DISTINCT invoice),
    max(invoiced_on),
    count(DISTINCT category)
FROM ledger_lines
WHERE invoiced_on >= ? AND invoiced_on < ? AND client IS NOT NULL
GROUP BY client, EXTRACT(year FROM invoiced_on)
ORDER BY client, y
"""


def yearly_client_totals(store: Store, period: Period) -> list[tuple[ClientTotals, int, int]]:
    """Per client and calendar year within `period`: (totals, year, categories)."""
    rows = store.query(_YEARLY, [period.start, period.end])
    return [
        (
            ClientTotals(str(c), Decimal(r), Decimal(cr), Decimal(co), int(n), int(i), last),
            int(y),
            int(cats),
        )
        for c, y, r, cr, co, n, i, last, cats in rows
    ]


@dataclass(frozen=True, slots=True)
class PricePaid:
    client: str
    year: int
    paid: Decimal  # net amount of the client's lines that have a reference price
    reference: Decimal  # the same lines valued at the reference price


# The reference price of a line is its list price where the ledger has one;
# otherwise the product's quantity-weighted average price that year over every
# client, used only when at least two clients bought the product (a product one
# client alone buys says nothing about what that client gets off).
_PRICE_PAID = """
WITH sold AS (
    SELECT client, product, EXTRACT(year FROM invoiced_on) AS y, quantity, net_amount, list_price
    FROM ledger_lines
    WHERE invoiced_on >= ? AND invoiced_on < ? AND client IS NOT NULL
        AND quantity > 0 AND net_amount > 0
),
market AS (
    SELECT product, y,
        CAST(sum(net_amount) AS DOUBLE) / CAST(sum(quantity) AS DOUBLE) AS price,
        count(DISTINCT client) AS buyers
    FROM sold
    GROUP BY product, y
)
SELECT s.client, s.y,
    sum(s.net_amount),
    sum(CAST(s.quantity AS DOUBLE)
        * CASE WHEN s.list_price > 0 THEN CAST(s.list_price AS DOUBLE) ELSE m.price END)
FROM sold s JOIN market m ON m.product = s.product AND m.y = s.y
WHERE s.list_price > 0 OR m.buyers >= 2
GROUP BY s.client, s.y
ORDER BY s.client, s.y
"""


def yearly_prices_paid(store: Store, period: Period) -> list[PricePaid]:
    """Per client and calendar year: what it paid against the reference price."""
    rows = store.query(_PRICE_PAID, [period.start, period.end])
    return [
        PricePaid(str(c), int(y), Decimal(p), Decimal(repr(float(r))).quantize(MICRO))
        for c, y, p, r in rows
    ]
