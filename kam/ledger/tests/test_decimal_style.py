"""The decimal separator of a column is told from its values, or refused when it cannot be."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kam.ledger.parsing import (
    DecimalStyle,
    SeparatorCounts,
    best_date_format,
    decimal_style,
)

_COMMA_GROUPING = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?")
_POINT_GROUPING = re.compile(r"[-+]?\d{1,3}(\.\d{3})+(,\d*)?")


def counts(values: Sequence[str]) -> SeparatorCounts:
    """The counts the staging SQL takes over a column (see `_separator_counts`)."""

    def last(v: str, ch: str) -> int:
        return v.rfind(ch)

    both = [v for v in values if "," in v and "." in v]
    return SeparatorCounts(
        with_comma=sum("," in v for v in values),
        with_point=sum("." in v for v in values),
        comma_last_in_both=sum(last(v, ",") > last(v, ".") for v in both),
        point_last_in_both=sum(last(v, ".") > last(v, ",") for v in both),
        comma_not_grouping=sum("," in v and not _COMMA_GROUPING.fullmatch(v) for v in values),
        point_not_grouping=sum("." in v and not _POINT_GROUPING.fullmatch(v) for v in values),
    )


def style_of(values: Sequence[str]) -> DecimalStyle | None:
    return decimal_style(counts(values))


def written(value: Decimal, *, places: int, decimal: str, grouped: bool) -> str:
    """`value` as an export would write it: `decimal` separator, thousands grouped or not."""
    text = f"{abs(value):,.{places}f}" if grouped else f"{abs(value):.{places}f}"
    other = "." if decimal == "," else ","
    text = text.replace(",", "\0").replace(".", decimal).replace("\0", other)
    return ("-" if value < 0 else "") + text


amounts = st.decimals(min_value=-10_000_000, max_value=10_000_000, places=4, allow_nan=False)
cells = st.tuples(amounts, st.integers(min_value=0, max_value=3), st.booleans())


def _column(values: list[tuple[Decimal, int, bool]], decimal: str) -> list[str]:
    return [written(v, places=p, decimal=decimal, grouped=g) for v, p, g in values]


def _ambiguous(column: list[str]) -> bool:
    """No value holds both separators and each one only ever groups thousands
    (`1,234`; `0.000` beside `1,000`): the column reads either way."""
    return all(
        not ("," in v and "." in v)
        and ("," not in v or _COMMA_GROUPING.fullmatch(v))
        and ("." not in v or _POINT_GROUPING.fullmatch(v))
        for v in column
    )


@given(st.lists(cells, min_size=1, max_size=30))
def test_a_decimal_comma_column_is_never_read_as_decimal_point(
    values: list[tuple[Decimal, int, bool]],
) -> None:
    column = _column(values, ",")
    style = style_of(column)
    assert style != "point" or not any("," in v for v in column)
    if any("," in v for v in column) and not _ambiguous(column):
        assert style == "comma", column


@given(st.lists(cells, min_size=1, max_size=30))
def test_a_decimal_point_column_is_never_read_as_decimal_comma(
    values: list[tuple[Decimal, int, bool]],
) -> None:
    column = _column(values, ".")
    style = style_of(column)
    assert style != "comma"
    if not _ambiguous(column):
        assert style == "point", column


@pytest.mark.parametrize(
    ("values", "style"),
    [
        (["12", "-3", "7.5"], "point"),
        (["1,5", "2", "3,25"], "comma"),
        (["1.234,56", "12,5"], "comma"),
        (["1,234.56", "12.5"], "point"),
        (["1.234", "12,5"], "comma"),  # the point only groups thousands
        (["1,234", "12.5"], "point"),  # the comma only groups thousands
        (["-1.234.567,8"], "comma"),
    ],
)
def test_the_separator_is_told_from_the_values(values: list[str], style: str) -> None:
    assert style_of(values) == style


@pytest.mark.parametrize(
    "values",
    [
        ["1,234", "12,345,678"],  # every comma groups thousands: 1.234 or 1234?
        ["1,234.5", "1.234,5"],  # each separator is last somewhere
        ["1,5", "2.5"],  # neither only groups thousands
        ["1.234,5", "1.5"],  # comma decimal, yet a point that is no grouping
        ["0.500", "1,000"],  # each separator may be the grouping one
    ],
)
def test_a_column_whose_separator_cannot_be_told_is_left_undecided(values: list[str]) -> None:
    assert style_of(values) is None


def test_the_date_format_reading_most_values_wins() -> None:
    assert best_date_format({"%Y-%m-%d": 3, "%d.%m.%Y": 10}) == "%d.%m.%Y"
    assert best_date_format({"%m/%d/%Y": 10, "%d/%m/%Y": 4}) == "%m/%d/%Y"


def test_day_first_wins_a_tie_between_day_first_and_month_first() -> None:
    assert best_date_format({"%m/%d/%Y": 5, "%d/%m/%Y": 5}) == "%d/%m/%Y"


_CELL_TEXT = st.one_of(
    st.text(alphabet="0123456789.,-+ e\u00a0\t_x", max_size=14),
    st.builds(
        lambda cell, decimal, pad: (
            pad + written(cell[0], places=cell[1], decimal=decimal, grouped=cell[2]) + pad
        ),
        cells,
        st.sampled_from([".", ","]),
        st.sampled_from(["", " ", "\u00a0"]),
    ),
)


@given(st.lists(_CELL_TEXT, min_size=1, max_size=40))
@example(["1,5", "1 234.5", "1\u00a0234,5", " 7.25 ", "1e3", "12,345.6"])
def test_reading_a_point_column_cast_first_gives_the_cleaned_number(cells: list[str]) -> None:
    """The staging reads "point" cells with a plain cast first; it must agree with the
    clean-up (spaces, no-break spaces and commas removed) on every text, numbers or not."""
    import duckdb

    from kam.ledger.staging import _number

    con = duckdb.connect()
    con.execute('CREATE TABLE t ("Qty" VARCHAR)')
    con.executemany("INSERT INTO t VALUES (?)", [(c,) for c in cells])
    cleaned = (
        "TRY_CAST(replace(replace(replace(trim(\"Qty\"), ' ', ''), chr(160), ''), ',', '') "
        "AS DECIMAL(18,4))"
    )
    rows = con.execute(
        f'SELECT "Qty", {_number("Qty", "point", "DECIMAL(18,4)")}, {cleaned} FROM t'
    ).fetchall()
    assert [(c, fast) for c, fast, _ in rows] == [(c, slow) for c, _, slow in rows]
