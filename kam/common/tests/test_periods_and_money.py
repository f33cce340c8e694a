from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kam.common.exports import safe_cell
from kam.common.money import money_str
from kam.common.periods import Period, PeriodError


def test_a_year_is_half_open() -> None:
    year = Period.year(2024)
    assert (year.start, year.end) == (dt.date(2024, 1, 1), dt.date(2025, 1, 1))
    assert year.label == "2024" and year.key == "2024"


def test_a_fiscal_year_starts_in_its_month() -> None:
    assert Period.containing(dt.date(2024, 2, 10), start_month=4) == Period(
        dt.date(2023, 4, 1), dt.date(2024, 4, 1)
    )
    assert Period.year(2023, start_month=4).label == "2023/24"


def test_the_previous_period_has_the_same_length() -> None:
    p = Period.parse("2024-03-01", "2024-03-11")
    assert p.previous() == Period.parse("2024-02-20", "2024-03-01")
    assert Period.year(2024).previous() == Period.year(2023)


def test_a_period_must_end_after_it_starts() -> None:
    with pytest.raises(PeriodError):
        Period.parse("2024-01-02", "2024-01-01")
    with pytest.raises(PeriodError, match="2024-01-31"):
        Period.parse("31.01.2024", "2024-02-01")


def test_the_fiscal_year_of_the_first_ledger_day_may_start_before_it() -> None:
    # A line of 1900-03-01 is in fiscal year 1899 when the year starts in July.
    assert Period.containing(dt.date(1900, 3, 1), start_month=7) == Period(
        dt.date(1899, 7, 1), dt.date(1900, 7, 1)
    )
    assert Period.year(1899).previous() == Period.year(1898)


def test_period_keys_round_trip() -> None:
    p = Period.parse("2024-03-01", "2024-06-01")
    assert Period.from_key(p.key) == p
    assert Period.from_key("2023") == Period.year(2023)


def test_money_is_exact_text_with_at_least_two_decimals() -> None:
    assert money_str(Decimal("1265793.0395")) == "1265793.0395"
    assert money_str(Decimal("208083.970")) == "208083.97"
    assert money_str(Decimal("0")) == "0.00"
    assert money_str(Decimal("-5.5")) == "-5.50"


@pytest.mark.parametrize("text", ['=HYPERLINK("x")', "+1+1", "-2+3", "@SUM(A1)", "\tx"])
def test_cells_that_a_spreadsheet_would_run_are_neutralised(text: str) -> None:
    assert safe_cell(text) == "'" + text


def test_plain_values_and_negative_numbers_are_kept() -> None:
    assert safe_cell("-12.5") == "-12.5"
    assert safe_cell("Acme SRL") == "Acme SRL"
    assert safe_cell(42) == 42
