"""Turn raw text tables into typed ledger lines, or report every problem.

All the row work runs as SQL in DuckDB, so validation costs about as much as
reading the file. The rules (header mapping, decimal style, date formats)
come from `kam.ledger.parsing`.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from kam.ledger.parsing import (
    DATE_FORMATS,
    NUMERIC_FIELDS,
    ColumnMapping,
    DecimalStyle,
    ImportProblem,
    SeparatorCounts,
    best_date_format,
    decimal_style,
)
from kam.ledger.readers import RawTable

MAX_PROBLEMS = 1000
SCALES = {
    "quantity": "DECIMAL(18,4)",
    "unit_price": "DECIMAL(18,6)",
    "net_amount": "DECIMAL(18,6)",
    "cost": "DECIMAL(18,6)",
    "unit_cost": "DECIMAL(18,6)",
    "profit": "DECIMAL(18,6)",
    "list_price": "DECIMAL(18,6)",
}
TEXT_FIELDS = ("client_name", "product_name", "category", "country", "sales_rep")
LEDGER_COLUMNS = (
    "invoice",
    "line",
    "invoiced_on",
    "client",
    "client_name",
    "product",
    "product_name",
    "category",
    "quantity",
    "unit_price",
    "net_amount",
    "cost",
    "list_price",
    "currency",
    "country",
    "sales_rep",
)


@dataclass(frozen=True, slots=True)
class Staged:
    table: str
    lines: int
    problems: list[ImportProblem]
    problem_count: int
    date_format: str | None
    decimal_styles: dict[str, DecimalStyle]


def q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _text(col: str) -> str:
    return f"nullif(trim({q(col)}), '')"


def stage_typed(
    con: duckdb.DuckDBPyConnection,
    raw: RawTable,
    mapping: ColumnMapping,
    *,
    file: str,
    typed: str,
    currency: str,
    decimal: DecimalStyle | None = None,
) -> Staged:
    """Create temp table `typed` with ledger columns plus `_row`, and list problems."""
    problems: list[ImportProblem] = []
    styles: dict[str, DecimalStyle] = {}
    for field in NUMERIC_FIELDS:
        header = mapping.header_of(field)
        if header is None:
            continue
        style = decimal or _column_style(con, raw.name, header)
        if style is None:
            problems.append(_ambiguous(con, raw.name, header, file))
            style = "point"
        styles[field] = style
    date_format = _date_format(con, raw.name, mapping.fields["date"])
    con.execute(f"DROP TABLE IF EXISTS {typed}")
    con.execute(f"CREATE TEMP TABLE {typed} AS {_typed_select(raw, mapping, styles, date_format)}")
    found, total = _problems(con, typed, mapping, file, date_format, currency)
    return Staged(
        table=typed,
        lines=raw.rows,
        problems=(problems + found)[:MAX_PROBLEMS],
        problem_count=len(problems) + total,
        date_format=date_format,
        decimal_styles=styles,
    )


def _column_style(con: duckdb.DuckDBPyConnection, table: str, header: str) -> DecimalStyle | None:
    v = f"trim({q(header)})"
    row = con.execute(
        f"""SELECT
            count(*) FILTER (contains({v}, ',')),
            count(*) FILTER (contains({v}, '.')),
            count(*) FILTER (contains({v}, ',') AND contains({v}, '.')
                AND instr(reverse({v}), ',') < instr(reverse({v}), '.')),
            count(*) FILTER (contains({v}, ',') AND contains({v}, '.')
                AND instr(reverse({v}), '.') < instr(reverse({v}), ',')),
            count(*) FILTER (contains({v}, ',')
                AND NOT regexp_full_match({v}, '[-+]?\\d{{1,3}}(,\\d{{3}})+(\\.\\d*)?')),
            count(*) FILTER (contains({v}, '.')
                AND NOT regexp_full_match({v}, '[-+]?\\d{{1,3}}(\\.\\d{{3}})+(,\\d*)?'))
        FROM {table}"""
    ).fetchone()
    assert row is not None
    return decimal_style(SeparatorCounts(*(int(x) for x in row)))


def _ambiguous(con: duckdb.DuckDBPyConnection, table: str, header: str, file: str) -> ImportProblem:
    example = con.execute(
        f"SELECT _row, {q(header)} FROM {table} WHERE contains({q(header)}, ',') LIMIT 1"
    ).fetchone()
    row, value = (example[0], example[1]) if example else (None, None)
    return ImportProblem(
        file,
        row,
        header,
        value,
        "cannot tell the decimal separator of this column (1,234 may be 1.234 or 1234); "
        "use --decimal comma or --decimal point",
    )


def _date_format(con: duckdb.DuckDBPyConnection, table: str, header: str) -> str | None:
    tries = ", ".join(f"count(try_strptime(v, '{fmt}'))" for fmt in DATE_FORMATS)
    row = con.execute(
        f"""SELECT {tries} FROM (
            SELECT trim({q(header)}) AS v FROM {table}
            WHERE nullif(trim({q(header)}), '') IS NOT NULL LIMIT 100000)"""
    ).fetchone()
    if row is None or not any(row):
        return None
    return best_date_format(dict(zip(DATE_FORMATS, (int(x) for x in row), strict=True)))


def _number(header: str, style: DecimalStyle, scale: str) -> str:
    v = f"replace(replace(trim({q(header)}), ' ', ''), chr(160), '')"
    cleaned = (
        f"replace({v}, ',', '')"
        if style == "point"
        else f"replace(replace({v}, '.', ''), ',', '.')"
    )
    return f"TRY_CAST({cleaned} AS {scale})"


def _date(header: str, date_format: str | None) -> str:
    if date_format is None:
        return "CAST(NULL AS DATE)"
    v = f"trim({q(header)})"
    if date_format.startswith("%Y-%m-%d"):  # ISO: the fast cast reads every variant
        return f"CAST(TRY_CAST({v} AS TIMESTAMP) AS DATE)"
    return f"CAST(try_strptime({v}, '{date_format}') AS DATE)"


def _typed_select(
    raw: RawTable,
    mapping: ColumnMapping,
    styles: dict[str, DecimalStyle],
    date_format: str | None,
) -> str:
    """Parse each cell once (inner query), derive amount and cost (outer query)."""
    f = mapping.fields
    inner = {
        "_row": "_row",
        "invoice": _text(f["invoice"]),
        "line_given": f"TRY_CAST(trim({q(f['line'])}) AS BIGINT)" if "line" in f else "NULL",
        "_raw_line": _text(f["line"]) if "line" in f else "NULL",
        "invoiced_on": _date(f["date"], date_format),
        "_raw_date": _text(f["date"]),
        "client": _text(f["client"]) if "client" in f else "CAST(NULL AS VARCHAR)",
        "product": _text(f["product"]),
        "currency": f"upper({_text(f['currency'])})" if "currency" in f else "NULL",
    }
    for field in TEXT_FIELDS:
        inner[field] = _text(f[field]) if field in f else "CAST(NULL AS VARCHAR)"
    for field, style in styles.items():
        inner[f"_num_{field}"] = _number(f[field], style, SCALES[field])
        inner[f"_raw_{field}"] = _text(f[field])
    outer = {name: name for name in inner if not name.startswith("_num_")}
    for field in ("quantity", "unit_price", "list_price"):
        outer[field] = f"_num_{field}" if field in styles else f"CAST(NULL AS {SCALES[field]})"
    outer["net_amount"] = _amount_expression(styles)
    outer["cost"] = _cost_expression(styles, outer["net_amount"])
    inner_sql = ",\n    ".join(f"{expr} AS {name}" for name, expr in inner.items())
    outer_sql = ",\n  ".join(f"{expr} AS {name}" for name, expr in outer.items())
    nums = ", ".join(f"_num_{field}" for field in styles)
    return (
        f"SELECT\n  {outer_sql}"
        + (f", {nums}" if nums else "")
        + f"\nFROM (SELECT\n    {inner_sql}\n  FROM {raw.name})"
    )


def _amount_expression(styles: dict[str, DecimalStyle]) -> str:
    product = (
        "CAST(_num_quantity * _num_unit_price AS DECIMAL(18,6))"
        if {"quantity", "unit_price"} <= set(styles)
        else None
    )
    if "net_amount" in styles:
        return f"coalesce(_num_net_amount, {product})" if product else "_num_net_amount"
    return product or "CAST(NULL AS DECIMAL(18,6))"


def _cost_expression(styles: dict[str, DecimalStyle], net: str) -> str:
    if "cost" in styles:
        return "_num_cost"
    if "unit_cost" in styles and "quantity" in styles:
        return "CAST(_num_unit_cost * _num_quantity AS DECIMAL(18,6))"
    if "profit" in styles:
        return f"CAST({net} - _num_profit AS DECIMAL(18,6))"
    return "CAST(NULL AS DECIMAL(18,6))"


def _problem_checks(
    mapping: ColumnMapping, date_format: str | None, currency: str
) -> list[tuple[str, str, str, str]]:
    """(column header, raw value expression, failing condition, reason)."""
    f = mapping.fields
    shape = (date_format or "%Y-%m-%d").replace("%Y", "YYYY").replace("%m", "MM")
    shape = shape.replace("%d", "DD").replace("%H", "hh").replace("%M", "mm").replace("%S", "ss")
    checks = [
        (f["invoice"], "NULL", "invoice IS NULL", "missing invoice number"),
        (f["product"], "NULL", "product IS NULL", "missing product id"),
        (f["date"], "NULL", "_raw_date IS NULL", "missing date"),
        (
            f["date"],
            "_raw_date",
            "_raw_date IS NOT NULL AND invoiced_on IS NULL",
            f"not a date (expected {shape})",
        ),
        (
            f.get("net_amount") or f["unit_price"],
            "NULL",
            "net_amount IS NULL AND "
            + " AND ".join(
                f"_raw_{x} IS NULL"
                for x in NUMERIC_FIELDS
                if x in f and x in ("net_amount", "quantity", "unit_price")
            ),
            "missing amount (no net amount, or no quantity and unit price)",
        ),
    ]
    for field in NUMERIC_FIELDS:
        if field in f:
            checks.append(
                (
                    f[field],
                    f"_raw_{field}",
                    f"_raw_{field} IS NOT NULL AND _num_{field} IS NULL",
                    "not a number",
                )
            )
    if "line" in f:
        checks.append(
            (
                f["line"],
                "_raw_line",
                "_raw_line IS NOT NULL AND line_given IS NULL",
                "not a whole line number",
            )
        )
    if "currency" in f:
        checks.append(
            (
                f["currency"],
                "currency",
                f"currency IS NOT NULL AND currency <> '{currency}'",
                f"currency differs from the reporting currency {currency}; convert it first",
            )
        )
    return checks


def _problems(
    con: duckdb.DuckDBPyConnection,
    typed: str,
    mapping: ColumnMapping,
    file: str,
    date_format: str | None,
    currency: str,
) -> tuple[list[ImportProblem], int]:
    """Every failing cell: the first MAX_PROBLEMS in row order, and the total count."""
    checks = _problem_checks(mapping, date_format, currency)
    flags = ", ".join(f"({cond}) AS p{i}" for i, (_, _, cond, _) in enumerate(checks))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {typed}_flags AS SELECT _row, {flags} "
        f"FROM {typed} WHERE " + " OR ".join(f"({c[2]})" for c in checks)
    )
    total = 0
    found: list[ImportProblem] = []
    for i, (header, value, _, reason) in enumerate(checks):
        count = con.execute(f"SELECT count(*) FROM {typed}_flags WHERE p{i}").fetchone()
        total += int(count[0]) if count else 0
        rows = con.execute(
            f"SELECT t._row, {value if value == 'NULL' else 't.' + value} FROM {typed}_flags f "
            f"JOIN {typed} t USING (_row) WHERE f.p{i} ORDER BY t._row LIMIT {MAX_PROBLEMS}"
        ).fetchall()
        found += [ImportProblem(file, int(r), header, v, reason) for r, v in rows]
    total += _duplicate_lines(con, typed, mapping, file, found)
    found.sort(key=lambda p: (p.row or 0, p.column or ""))
    return found[:MAX_PROBLEMS], total


def _duplicate_lines(
    con: duckdb.DuckDBPyConnection,
    typed: str,
    mapping: ColumnMapping,
    file: str,
    found: list[ImportProblem],
) -> int:
    if "line" not in mapping.fields:
        return 0
    rows = con.execute(
        f"""SELECT _row, invoice, line_given FROM (
            SELECT _row, invoice, line_given,
                count(*) OVER (PARTITION BY invoice, line_given) AS n
            FROM {typed} WHERE line_given IS NOT NULL) WHERE n > 1 ORDER BY _row"""
    ).fetchall()
    header = mapping.fields["line"]
    found += [
        ImportProblem(file, int(r), header, str(line), f"line {line} of invoice {inv} repeats")
        for r, inv, line in rows[:MAX_PROBLEMS]
    ]
    return len(rows)
