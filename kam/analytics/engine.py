"""Ledger queries, written once in DuckDB SQL and run on any store.

These are the only places that scan the ledger. Each returns plain values;
the maths on them lives in `kam.analytics.core`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kam.common.periods import Period
from kam.ledger.store import Store

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class LedgerSpan:
    first: dt.date | None
    last: dt.date | None
    lines: int
    imports: int


# A client's net revenue, net revenue of the lines whose cost is known, and cost,
# in integer micros (exact: ledger money has six decimals).
RevenueMicros = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class PeriodRevenue:
    """What the analysis of a period reads from the ledger, in one scan."""

    clients: dict[str, RevenueMicros]
    unattributed_lines: int  # lines without a client id
    unattributed_micros: int


# Grouped by client with the lines without one as the NULL group: one scan for both.
# Micros come back as integers (a Python Decimal per value costs more than the scan).
_REVENUE = """
SELECT client,
    CAST(sum(net_amount) * 1000000 AS BIGINT),
    CAST(coalesce(sum(net_amount) FILTER (WHERE cost IS NOT NULL), 0) * 1000000 AS BIGINT),
    CAST(coalesce(sum(cost), 0) * 1000000 AS BIGINT),
    count(*)
FROM ledger_lines
WHERE invoiced_on >= ? AND invoiced_on < ?
GROUP BY client
ORDER BY client
"""


def period_revenue(store: Store, period: Period) -> PeriodRevenue:
    """Per-client net revenue and margin inputs over any period, and the lines without client."""
    rows = store.query(_REVENUE, [period.start, period.end])
    clients = {str(c): (r, cr, co) for c, r, cr, co, _ in rows if c is not None}
    unattributed = [(n, r) for c, r, _, _, n in rows if c is None]
    lines, micros = unattributed[0] if unattributed else (0, 0)
    return PeriodRevenue(clients, lines, micros)


def client_revenue(store: Store, client: str, period: Period) -> Decimal:
    """One client's net revenue over a period (zero without lines)."""
    rows = store.query(
        "SELECT coalesce(sum(net_amount), 0) FROM ledger_lines "
        "WHERE client = ? AND invoiced_on >= ? AND invoiced_on < ?",
        [client, period.start, period.end],
    )
    return Decimal(rows[0][0]) if rows else ZERO


def unattributed(store: Store, period: Period) -> tuple[int, Decimal]:
    """Lines without a client id in the period: (count, net amount)."""
    rows = store.query(
        "SELECT count(*), coalesce(sum(net_amount), 0) FROM ledger_lines "
        "WHERE invoiced_on >= ? AND invoiced_on < ? AND client IS NULL",
        [period.start, period.end],
    )
    return (int(rows[0][0]), Decimal(rows[0][1])) if rows else (0, ZERO)


def yearly_unattributed(store: Store, period: Period) -> dict[int, tuple[int, int]]:
    """Lines without a client id per calendar year of `period`: (count, net amount in
    integer micros); years without any are left out. One scan for a run of years."""
    rows = store.query(
        "SELECT CAST(EXTRACT(year FROM invoiced_on) AS INTEGER), count(*), "
        "CAST(sum(net_amount) * 1000000 AS BIGINT) FROM ledger_lines "
        "WHERE invoiced_on >= ? AND invoiced_on < ? AND client IS NULL "
        "GROUP BY CAST(EXTRACT(year FROM invoiced_on) AS INTEGER)",
        [period.start, period.end],
    )
    return {int(year): (int(lines), int(micros)) for year, lines, micros in rows}


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


def previous_import_id(store: Store, import_id: int) -> int:
    """The import before `import_id` (0 when it is the first)."""
    rows = store.query("SELECT coalesce(max(id), 0) FROM ledger_imports WHERE id < ?", [import_id])
    return int(rows[0][0]) if rows else 0


# A client's year (SPEC: RFM), in integer micros: client, year, net revenue, invoices
# with a positive amount for the client, and the newest of those (None when none).
Purchases = tuple[str, int, int, int, dt.date | None]


@dataclass(frozen=True, slots=True)
class ClientYear:
    """One client's calendar year in the ledger; money in integer micros (exact: every
    amount has six decimals), so that 100k clients cost no `Decimal` conversions."""

    client: str
    year: int
    revenue: int
    costed_revenue: int  # net revenue of the lines whose cost is known
    cost: int
    lines: int
    invoices: int
    last_invoiced_on: dt.date
    positive_invoices: int  # invoices with a positive amount (SPEC: RFM frequency)
    last_positive_on: dt.date | None  # the newest of those

    @property
    def purchases(self) -> Purchases:
        return (self.client, self.year, self.revenue, self.positive_invoices, self.last_positive_on)


# Per invoice first, then per client and year: the invoice count is the row count,
# far cheaper than count(DISTINCT invoice), and the RFM inputs come from the same rows.
_YEARLY = """
SELECT client, y,
    CAST(sum(amount) * 1000000 AS BIGINT),
    CAST(coalesce(sum(costed), 0) * 1000000 AS BIGINT),
    CAST(coalesce(sum(cost), 0) * 1000000 AS BIGINT),
    sum(n),
    count(*),
    max(d),
    count(CASE WHEN amount > 0 THEN 1 END),
    max(CASE WHEN amount > 0 THEN d END)
FROM (
    SELECT client, invoice, CAST(EXTRACT(year FROM invoiced_on) AS INTEGER) AS y,
        sum(net_amount) AS amount,
        sum(CASE WHEN cost IS NOT NULL THEN net_amount END) AS costed,
        sum(cost) AS cost,
        count(*) AS n,
        max(invoiced_on) AS d
    FROM ledger_lines
    WHERE invoiced_on >= ? AND invoiced_on < ? AND {clients}
    GROUP BY client, invoice, CAST(EXTRACT(year FROM invoiced_on) AS INTEGER)
) AS per_invoice
GROUP BY client, y
ORDER BY client, y
"""


# Every client's lines, or only the named clients' (a list given as the last parameter).
ANY_CLIENT = "client IS NOT NULL"
NAMED_CLIENTS = "client IN (SELECT unnest(CAST(? AS VARCHAR[])))"


def clients_filter(clients: Collection[str] | None) -> tuple[str, list[Any]]:
    """The condition on `client` and its parameters: every client when `clients` is None."""
    if clients is None:
        return ANY_CLIENT, []
    return NAMED_CLIENTS, [sorted(clients)]


def yearly_client_totals(
    store: Store, period: Period, *, clients: Collection[str] | None = None
) -> list[ClientYear]:
    """Per client and calendar year within `period`: its totals and its RFM inputs
    (only the named `clients`' when given)."""
    condition, params = clients_filter(clients)
    rows = store.query(_YEARLY.format(clients=condition), [period.start, period.end, *params])
    return [
        ClientYear(str(c), int(y), int(r), int(cr), int(co), int(n), int(i), last, int(p), newest)
        for c, y, r, cr, co, n, i, last, p, newest in rows
    ]


# client, year, what it paid for the lines that have a reference price, and the same
# lines valued at that price, both in integer micros.
PricePaid = tuple[str, int, int, int]

# The reference price of a line is its list price where the ledger has one;
# otherwise the product's quantity-weighted average price that year over every
# client, used only when at least two clients bought the product (a product one
# client alone buys says nothing about what that client gets off). The average is
# rounded to a millionth once per product and year; every sum after it is exact
# decimal arithmetic, so on one engine the same lines always give the same figure
# (floating-point sums depend on the order a parallel engine adds them in).
_PRICE_PAID = """
WITH sold AS (
    SELECT client, product, EXTRACT(year FROM invoiced_on) AS y, quantity, net_amount, list_price
    FROM ledger_lines
    WHERE invoiced_on >= ? AND invoiced_on < ? AND client IS NOT NULL
        AND quantity > 0 AND net_amount > 0
),
market AS (
    SELECT product, y,
        CAST(CAST(sum(net_amount) AS DOUBLE) / CAST(sum(quantity) AS DOUBLE)
            AS DECIMAL(38, 6)) AS price,
        min(client) <> max(client) AS several_buyers
    FROM sold
    GROUP BY product, y
)
SELECT s.client, CAST(s.y AS INTEGER),
    CAST(sum(s.net_amount) * 1000000 AS BIGINT),
    CAST(round(sum(s.quantity
        * CASE WHEN s.list_price > 0 THEN s.list_price ELSE m.price END) * 1000000) AS BIGINT)
FROM sold s JOIN market m ON m.product = s.product AND m.y = s.y
WHERE s.list_price > 0 OR m.several_buyers
GROUP BY s.client, s.y
ORDER BY s.client, s.y
"""


def yearly_prices_paid(store: Store, period: Period) -> list[PricePaid]:
    """Per client and calendar year: what it paid against the reference price."""
    return [
        (str(c), int(y), int(paid), int(reference))
        for c, y, paid, reference in store.query(_PRICE_PAID, [period.start, period.end])
    ]
