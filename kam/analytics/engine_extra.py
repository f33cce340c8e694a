"""Ledger queries behind the client page's snapshot tables (RFM, categories, recent invoices).

Written once in DuckDB SQL like `engine.py`; each is one grouped scan over a
range of dates, never a query per client.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence

from kam.analytics.engine import clients_filter
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
    WHERE invoiced_on >= ? AND invoiced_on < ? AND {clients}
    GROUP BY client, EXTRACT(year FROM invoiced_on), coalesce(category, '')
) AS per_category
GROUP BY client, y
"""


def yearly_categories(
    store: Store, period: Period, *, clients: Collection[str] | None = None
) -> list[CategoryTotals]:
    """Per client and calendar year: its product categories' net revenue (micros) and lines,
    and how many named categories it bought (lines without a category are listed as "");
    only the named `clients`' when given."""
    condition, params = clients_filter(clients)
    return store.query(_CATEGORIES.format(clients=condition), [period.start, period.end, *params])


# The newest invoices of each client, newest first, as a flat JSON array (the text is
# in a fixed order, so an unchanged list gives the same text and the refresh leaves its
# row alone). Dates go through `to_json`, which writes ISO 8601 on every engine (a cast
# to text would follow PostgreSQL's DateStyle). `{sure}` adds, for
# `recent_invoices_since`, how many of the invoices read are certainly the newest.
_RECENT_LISTS = f"""
SELECT client, min(d), max(d),
    '[' || string_agg(
        CAST(to_json(invoice) AS VARCHAR) || ',' || CAST(to_json(d) AS VARCHAR)
            || ',' || CAST(n AS VARCHAR) || ',' || CAST(amount AS VARCHAR),
        ',' ORDER BY d DESC, invoice DESC
    ) || ']'{{sure}}
FROM (
    SELECT *,
        row_number() OVER (PARTITION BY client ORDER BY d DESC, invoice DESC) AS rn
    FROM ({{per_invoice}}) AS per_invoice
) AS ranked
WHERE rn <= {RECENT_INVOICES}
GROUP BY client
"""


def _recent_sql(clients_from: str) -> str:
    """Per client of `clients_from`: its newest invoices (client, oldest, newest, text)."""
    return _RECENT_LISTS.format(
        per_invoice=f"""
        SELECT client, invoice, max(invoiced_on) AS d, count(*) AS n,
            CAST(sum(net_amount) * 1000000 AS BIGINT) AS amount
        FROM ledger_lines
        WHERE client IN ({clients_from})
        GROUP BY client, invoice""",
        sure="",
    )


# Only the invoices with a line from the client's `since` date on (all of them where
# `since` is NULL), or a line of import `?`; `sure` counts those from `since` on.
_RECENT_SINCE = _RECENT_LISTS.format(
    per_invoice="""
    WITH bounds AS (
        SELECT unnest(CAST(? AS VARCHAR[])) AS client,
            CAST(unnest(CAST(? AS VARCHAR[])) AS DATE) AS since
    ),
    hit AS (
        SELECT DISTINCT l.client, l.invoice
        FROM ledger_lines AS l JOIN bounds AS b ON l.client = b.client
        WHERE b.since IS NULL OR l.invoiced_on >= b.since OR l.import_id = ?
    ),
    per_invoice AS (
        SELECT l.client, l.invoice, max(l.invoiced_on) AS d, count(*) AS n,
            CAST(sum(l.net_amount) * 1000000 AS BIGINT) AS amount
        FROM ledger_lines AS l JOIN hit AS h ON l.client = h.client AND l.invoice = h.invoice
        GROUP BY l.client, l.invoice
    )
    SELECT p.client, p.invoice, p.d, p.n, p.amount,
        count(CASE WHEN b.since IS NULL OR p.d >= b.since THEN 1 END)
            OVER (PARTITION BY p.client) AS sure
    FROM per_invoice AS p JOIN bounds AS b ON p.client = b.client""",
    sure=", max(sure)",
)


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


def recent_invoices_since(
    store: Store, since: Mapping[str, dt.date | None], import_id: int
) -> list[tuple[str, dt.date, dt.date, str, int]]:
    """The newest invoices of the clients of `since`, read from each client's date on.

    Reads a client's invoices that have a line from its date on (all its invoices where
    the date is None) or a line of import `import_id`. Those from the date on are
    certainly its newest: the last value of each row counts them, and where it is
    below `RECENT_INVOICES` older invoices the read skipped may belong in the list.
    """
    if not since:
        return []
    clients = sorted(since)
    dates = [day.isoformat() if (day := since[c]) is not None else None for c in clients]
    rows = store.query(_RECENT_SINCE, [clients, dates, import_id])
    return [(str(c), oldest, newest, text, int(sure)) for c, oldest, newest, text, sure in rows]
