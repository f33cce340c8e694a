"""Ledger queries behind the client page's snapshot tables (RFM, categories, recent invoices).

Written once in DuckDB SQL like `engine.py`; each is one grouped scan over a
range of dates, never a query per client.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from kam.common.periods import Period
from kam.ledger.store import Store

RECENT_INVOICES = 10


# Hundreds of thousands of rows on a large ledger: plain tuples, money as integer micros
# computed by the engine (exact: every amount has six decimals). The RFM purchases come
# with the yearly totals (`engine.yearly_client_totals`).
# client, year, `ClientYearCategories.totals` JSON text, number of categories
CategoryTotals = tuple[str, int, str, int]
# client, oldest and newest date, `ClientRecentInvoices.invoices` JSON text
RecentInvoices = tuple[str, dt.date, dt.date, str]


# One row per client and year: a flat JSON array of (category, revenue micros, lines)
# triples, built by one string aggregate so each triple stays whole.
_CATEGORIES = """
SELECT client, y,
    '[' || string_agg(
        CAST(to_json(cat) AS VARCHAR) || ',' || CAST(micros AS VARCHAR)
            || ',' || CAST(n AS VARCHAR),
        ','
    ) || ']',
    count(CASE WHEN cat <> '' THEN 1 END)
FROM (
    SELECT client, CAST(EXTRACT(year FROM invoiced_on) AS INTEGER) AS y,
        coalesce(category, '') AS cat, CAST(sum(net_amount) * 1000000 AS BIGINT) AS micros,
        count(*) AS n
    FROM ledger_lines
    WHERE invoiced_on >= ? AND invoiced_on < ? AND client IS NOT NULL
    GROUP BY client, EXTRACT(year FROM invoiced_on), coalesce(category, '')
) AS per_category
GROUP BY client, y
"""


def yearly_categories(store: Store, period: Period) -> list[CategoryTotals]:
    """Per client and calendar year: its product categories' net revenue (micros) and lines,
    and how many named categories it bought (lines without a category are listed as "")."""
    return store.query(_CATEGORIES, [period.start, period.end])


def _recent_sql(clients_from: str) -> str:
    """Per client: its newest invoices as a flat JSON array (client, oldest, newest, text).

    The text is in a fixed order (newest first), so an unchanged list gives the
    same text and the refresh leaves its row alone.

    Dates go through `to_json`, which writes ISO 8601 on every engine (a cast to
    text would follow PostgreSQL's DateStyle).
    """
    return f"""
SELECT client, min(d), max(d),
    '[' || string_agg(
        CAST(to_json(invoice) AS VARCHAR) || ',' || CAST(to_json(d) AS VARCHAR)
            || ',' || CAST(n AS VARCHAR) || ',' || CAST(amount AS VARCHAR),
        ',' ORDER BY d DESC, invoice DESC
    ) || ']'
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
GROUP BY client
"""


def recent_invoices_of_active(store: Store, period: Period) -> list[RecentInvoices]:
    """The newest invoices of every client with a line in `period` (any date of theirs)."""
    active = (
        "SELECT DISTINCT client FROM ledger_lines "
        "WHERE invoiced_on >= ? AND invoiced_on < ? AND client IS NOT NULL"
    )
    return store.query(_recent_sql(active), [period.start, period.end])


def recent_invoices_of(store: Store, clients: Sequence[str]) -> list[RecentInvoices]:
    """The newest invoices of the named clients (one query, however many)."""
    if not clients:
        return []
    return store.query(_recent_sql("SELECT unnest(CAST(? AS VARCHAR[]))"), [list(clients)])
