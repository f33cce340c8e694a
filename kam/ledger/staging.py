"""Turn raw text tables into typed ledger lines, or report every problem.

All the row work runs as SQL in DuckDB, so validation costs about as much as
reading the file. The rules (header mapping, decimal style, date formats)
come from `kam.ledger.parsing`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb

from kam.common.periods import FIRST_DAY, LAST_DAY
from kam.ledger.parsing import (
    DATE_FORMATS,
    NUMERIC_FIELDS,
    ColumnMapping,
    DecimalStyle,
    ImportProblem,
    SeparatorCounts,
    best_date_format,
    date_shape,
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
    row: str = "_row"  # the file row as SQL (from the rowid on the fast path)
    # Columns the table leaves out, as the constant SQL they always are.
    constants: dict[str, str] = dataclasses.field(default_factory=dict)

    def column(self, name: str) -> str:
        return self.constants.get(name, name)


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
    numeric = {f: h for f in NUMERIC_FIELDS if (h := mapping.header_of(f)) is not None}
    detected = {} if decimal else _column_styles(con, raw.name, list(numeric.values()))
    for name, header in numeric.items():
        style = decimal or detected[header]
        if style is None:
            problems.append(_ambiguous(con, raw.name, header, file))
            style = "point"
        styles[name] = style
    date_format = _date_format(con, raw.name, mapping.fields["date"])
    con.execute(f"DROP TABLE IF EXISTS {typed}")
    con.execute(
        f"CREATE TEMP TABLE {typed} AS {_typed_select(raw.name, mapping, styles, date_format)}"
    )
    found, total = _problems(con, typed, mapping, file, date_format, currency, decimal)
    return Staged(
        table=typed,
        lines=raw.rows,
        problems=(problems + found)[:MAX_PROBLEMS],
        problem_count=len(problems) + total,
        date_format=date_format,
        decimal_styles=styles,
    )


def stage_clean(
    con: duckdb.DuckDBPyConnection,
    source: str,
    detect_source: str,
    mapping: ColumnMapping,
    *,
    typed: str,
    currency: str,
    decimal: DecimalStyle | None = None,
) -> Staged | None:
    """The fast path of `stage_typed` for a file that needs no report, else None.

    `source` is a query over the file's text columns (read in place, no raw
    copy), in file order, that stores rejected rows in `kam_rejects`;
    `detect_source` the same query skipping them, for the detection scans.
    The typed table keeps only the ledger columns the file has, and its rowid
    is the file order (the row number is rowid + 2). A column without a comma
    in the first 100k values is taken as "point" and any comma further down
    flags the row. When any row is flagged (by the very
    conditions `_problems` reports, or by that comma), a line repeats, or the
    reader rejected a row, this returns None and the caller runs `stage_typed`,
    which reports every problem exactly.
    """
    src = f"({detect_source})"
    numeric = {f: h for f in NUMERIC_FIELDS if (h := mapping.header_of(f)) is not None}
    styles: dict[str, DecimalStyle] = {}
    guessed: list[str] = []
    if decimal:
        styles = dict.fromkeys(numeric, decimal)
    elif numeric:
        headers = list(numeric.values())
        sample = con.execute(
            "SELECT "
            + ", ".join(f"bool_or(contains({q(h)}, ','))" for h in headers)
            + f" FROM (SELECT * FROM {src} LIMIT 100000)"
        ).fetchone()
        assert sample is not None
        exact = _column_styles(con, src, [h for h, c in zip(headers, sample, strict=True) if c])
        for name, header in numeric.items():
            style = exact.get(header, "point")
            if style is None:
                return None
            styles[name] = style
            if header not in exact:
                guessed.append(name)
    date_format = _date_format(con, src, mapping.fields["date"])
    checks = [cond for _, _, cond, _ in _problem_checks(mapping, date_format, currency, decimal)]
    checks += [f"contains(_raw_{name}, ',')" for name in guessed]
    select = _typed_select(f"({source})", mapping, styles, date_format, row="NULL")
    columns = _typed_columns(mapping, styles)
    kept = [c for c in columns if c not in columns.constants]
    con.execute(f"DROP TABLE IF EXISTS {typed}")
    con.execute("DROP TABLE IF EXISTS kam_rejects; DROP TABLE IF EXISTS kam_rejects_scan")
    con.execute(
        f"CREATE TEMP TABLE {typed} AS SELECT {', '.join(kept)}, "
        + " OR ".join(f"({c})" for c in checks)
        + f" AS _flagged FROM ({select})"
    )
    row = con.execute(
        f"SELECT count(*), count(*) FILTER (_flagged), (SELECT count(*) FROM kam_rejects) "
        f"FROM {typed}"
    ).fetchone()
    assert row is not None
    lines, flagged, rejected = (int(x) for x in row)
    if lines == 0 or flagged or rejected or _lines_repeat(con, typed, mapping):
        con.execute(f"DROP TABLE {typed}")
        return None
    return Staged(
        table=typed,
        lines=lines,
        problems=[],
        problem_count=0,
        date_format=date_format,
        decimal_styles=styles,
        row="(rowid + 2)",
        constants=columns.constants,
    )


@dataclass(frozen=True, slots=True)
class _Columns:
    names: list[str]
    constants: dict[str, str]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)


def _typed_columns(mapping: ColumnMapping, styles: dict[str, DecimalStyle]) -> _Columns:
    """The staged columns (ledger columns but `line`, plus `line_given`); constant ones apart."""
    f = mapping.fields
    names = ["line_given", *(c for c in LEDGER_COLUMNS if c != "line")]
    constants = {}
    if "line" not in f:
        constants["line_given"] = "CAST(NULL AS BIGINT)"
    for name in ("client", "currency", *TEXT_FIELDS):
        if name not in f:
            constants[name] = "CAST(NULL AS VARCHAR)"
    for name in ("quantity", "unit_price", "list_price"):
        if name not in styles:
            constants[name] = f"CAST(NULL AS {SCALES[name]})"
    cost = _cost_expression(styles, _amount_expression(styles))
    if cost.startswith("CAST(NULL"):
        constants["cost"] = cost
    return _Columns(names, constants)


def _lines_repeat(con: duckdb.DuckDBPyConnection, typed: str, mapping: ColumnMapping) -> bool:
    if "line" not in mapping.fields:
        return False
    row = con.execute(
        f"""SELECT count(*) FROM (SELECT 1 FROM {typed} WHERE line_given IS NOT NULL
            GROUP BY invoice, line_given HAVING count(*) > 1)"""
    ).fetchone()
    return bool(row and row[0])


def _column_styles(
    con: duckdb.DuckDBPyConnection, table: str, headers: list[str]
) -> dict[str, DecimalStyle | None]:
    """The decimal style of each column, in at most two scans whatever the column count.

    The first scan only counts commas: a column without any is "point" whatever
    the other counts (see `decimal_style`), so the costly counts run only for
    columns that hold a comma.
    """
    if not headers:
        return {}
    row = con.execute(
        "SELECT "
        + ", ".join(f"count(*) FILTER (contains(trim({q(h)}), ','))" for h in headers)
        + f" FROM {table}"
    ).fetchone()
    assert row is not None
    styles: dict[str, DecimalStyle | None] = {
        h: "point" for h, n in zip(headers, row, strict=True) if not n
    }
    commas = [h for h in headers if h not in styles]
    if not commas:
        return styles
    counts = con.execute(
        "SELECT " + ", ".join(_separator_counts(h) for h in commas) + f" FROM {table}"
    ).fetchone()
    assert counts is not None
    for i, header in enumerate(commas):
        values = (int(x) for x in counts[6 * i : 6 * i + 6])
        styles[header] = decimal_style(SeparatorCounts(*values))
    return styles


def _separator_counts(header: str) -> str:
    """The six `SeparatorCounts` of one column, as aggregate SQL."""
    v = f"trim({q(header)})"
    return f"""
        count(*) FILTER (contains({v}, ',')),
        count(*) FILTER (contains({v}, '.')),
        count(*) FILTER (contains({v}, ',') AND contains({v}, '.')
            AND instr(reverse({v}), ',') < instr(reverse({v}), '.')),
        count(*) FILTER (contains({v}, ',') AND contains({v}, '.')
            AND instr(reverse({v}), '.') < instr(reverse({v}), ',')),
        count(*) FILTER (contains({v}, ',')
            AND NOT regexp_full_match({v}, '[-+]?\\d{{1,3}}(,\\d{{3}})+(\\.\\d*)?')),
        count(*) FILTER (contains({v}, '.')
            AND NOT regexp_full_match({v}, '[-+]?\\d{{1,3}}(\\.\\d{{3}})+(,\\d*)?'))"""


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
        "cannot tell the decimal separator of this column (1,234 may be 1.234 or 1234): "
        "choose it (Decimal separator on the import page, --decimal comma|point on the "
        "command line)",
    )


def _date_format(con: duckdb.DuckDBPyConnection, table: str, header: str) -> str | None:
    """The format reading most of the first 100k dates.

    Counted over distinct values (weighted by their count), and a value is only
    parsed with a format whose separators it holds: a failed parse costs more
    than a successful one, and neither changes any count.
    """
    tries = ", ".join(
        f"coalesce(sum(n) FILTER ({_holds_separators(fmt)}{_parses(fmt)} IS NOT NULL), 0)"
        for fmt in DATE_FORMATS
    )
    row = con.execute(
        f"""SELECT {tries} FROM (SELECT v, count(*) AS n FROM (
            SELECT trim({q(header)}) AS v FROM {table}
            WHERE nullif(trim({q(header)}), '') IS NOT NULL LIMIT 100000) GROUP BY v)"""
    ).fetchone()
    if row is None or not any(row):
        return None
    return best_date_format(dict(zip(DATE_FORMATS, (int(x) for x in row), strict=True)))


def _parses(fmt: str) -> str:
    """`v` parsed as `_date` will parse it: "%Y-%m-%d" stands for every ISO 8601 variant
    the cast reads (fractions of a second, `T`, `Z`, an offset), which strptime does not."""
    return "TRY_CAST(v AS TIMESTAMP)" if fmt == "%Y-%m-%d" else f"try_strptime(v, '{fmt}')"


def _holds_separators(fmt: str) -> str:
    """A cheap test every value `fmt` parses passes: it holds the format's separators."""
    return "".join(f"contains(v, '{c}') AND " for c in "-./:" if c in fmt)


def _number(header: str, style: DecimalStyle, scale: str) -> str:
    v = f"replace(replace(trim({q(header)}), ' ', ''), chr(160), '')"
    if style == "comma":
        return f"TRY_CAST(replace(replace({v}, '.', ''), ',', '.') AS {scale})"
    # Most cells of a "point" column cast as they are; the cast refuses every value
    # the clean-up would change (spaces inside, no-break spaces, commas), so trying
    # it first gives the same number, a second faster on 10M lines.
    return f"coalesce(TRY_CAST({q(header)} AS {scale}), TRY_CAST(replace({v}, ',', '') AS {scale}))"


def _date(header: str, date_format: str | None) -> str:
    if date_format is None:
        return "CAST(NULL AS DATE)"
    v = f"trim({q(header)})"
    if date_format.startswith("%Y-%m-%d"):  # ISO: the fast cast reads every variant
        return f"CAST(TRY_CAST({v} AS TIMESTAMP) AS DATE)"
    return f"CAST(try_strptime({v}, '{date_format}') AS DATE)"


def _typed_select(
    source: str,
    mapping: ColumnMapping,
    styles: dict[str, DecimalStyle],
    date_format: str | None,
    *,
    row: str = "_row",
) -> str:
    """Parse each cell once (inner query), derive amount and cost (outer query)."""
    f = mapping.fields
    inner = {
        "_row": row,
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
        + f"\nFROM (SELECT\n    {inner_sql}\n  FROM {source})"
    )


def _amount_expression(styles: dict[str, DecimalStyle]) -> str:
    product = (
        # Multiplied wide, so an absurd product is NULL (and reported), never an overflow.
        "TRY_CAST(CAST(_num_quantity AS DECIMAL(38,4)) * _num_unit_price AS DECIMAL(18,6))"
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
        return "TRY_CAST(CAST(_num_unit_cost AS DECIMAL(38,6)) * _num_quantity AS DECIMAL(18,6))"
    if "profit" in styles:
        return f"TRY_CAST(CAST({net} AS DECIMAL(38,6)) - _num_profit AS DECIMAL(18,6))"
    return "CAST(NULL AS DECIMAL(18,6))"


# A value a forced decimal style would misread: the other separator anywhere but as a
# clean thousands grouping before the decimal one (`1,234.56` under "comma").
_GROUPING = {
    "comma": "[-+]?\\d{1,3}(\\.\\d{3})+(,\\d*)?",
    "point": "[-+]?\\d{1,3}(,\\d{3})+(\\.\\d*)?",
}
_OTHER = {"comma": ".", "point": ","}


def _against_style(raw: str, style: DecimalStyle) -> str:
    v = f"replace(replace({raw}, ' ', ''), chr(160), '')"
    return (
        f"{raw} IS NOT NULL AND contains({v}, '{_OTHER[style]}') "
        f"AND NOT regexp_full_match({v}, '{_GROUPING[style]}')"
    )


def _problem_checks(
    mapping: ColumnMapping,
    date_format: str | None,
    currency: str,
    forced: DecimalStyle | None = None,
) -> list[tuple[str, str, str, str]]:
    """(column header, raw value expression, failing condition, reason).

    `forced` is the decimal style a person chose (`--decimal`): a value written in
    the other style is then pointed at, never read as another number.
    """
    f = mapping.fields
    product = {"quantity", "unit_price"} <= set(f)
    product_known = "_num_quantity IS NOT NULL AND _num_unit_price IS NOT NULL"
    shape = date_shape(date_format)
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
            f["date"],
            "_raw_date",
            f"invoiced_on < DATE '{FIRST_DAY}' OR invoiced_on > DATE '{LAST_DAY}'",
            f"a date outside {FIRST_DAY} … {LAST_DAY} (a placeholder, or a mistyped year?)",
        ),
    ]
    # No amount, and not because a value is "not a number" (reported as that).
    numbers_read = " AND ".join(
        f"(_raw_{x} IS NULL OR _num_{x} IS NOT NULL)"
        for x in ("net_amount", "quantity", "unit_price")
        if x in f
    )
    no_amount = f"net_amount IS NULL AND {numbers_read}"
    if product:  # point at the missing half of quantity × unit price
        without_net = " (and no net amount)" if "net_amount" in f else ""
        checks += [
            (f[x], "NULL", f"{no_amount} AND _raw_{x} IS NULL", f"missing {label}{without_net}")
            for x, label in (("quantity", "quantity"), ("unit_price", "unit price"))
        ]
    else:
        checks.append((f["net_amount"], "NULL", no_amount, "missing net amount"))
    if product:
        checks.append(
            (
                f["quantity"],
                "_raw_quantity",
                f"net_amount IS NULL AND {product_known}",
                "quantity × unit price is too large an amount (over 999,999,999,999.999999)",
            )
        )
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
    if forced is not None:
        example = "1.234,56" if forced == "comma" else "1,234.56"
        for field in NUMERIC_FIELDS:
            if field in f:
                checks.append(
                    (
                        f[field],
                        f"_raw_{field}",
                        f"_num_{field} IS NOT NULL AND ({_against_style(f'_raw_{field}', forced)})",
                        f"written with the other decimal separator than the one chosen, "
                        f"{forced} (which reads numbers like {example}); fix the value "
                        "or the choice",
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
    forced: DecimalStyle | None = None,
) -> tuple[list[ImportProblem], int]:
    """Every failing cell: the first MAX_PROBLEMS in row order, and the total count."""
    checks = _problem_checks(mapping, date_format, currency, forced)
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
