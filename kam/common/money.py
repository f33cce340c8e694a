"""Money is Decimal; these helpers only format it at the edge."""

from __future__ import annotations

from decimal import Decimal

CENT = Decimal("0.01")


def money_str(amount: Decimal) -> str:
    """Exact decimal text with at least two decimals: 1265793.0395, 208083.97, 0.00."""
    normalised = amount.normalize()
    if normalised.as_tuple().exponent > -2:  # type: ignore[operator]  # int for finite values
        normalised = amount.quantize(CENT)
    return f"{normalised:f}"


def ratio(value: Decimal, places: int = 6) -> float:
    """A share for JSON: rounded at the edge, never used for further maths."""
    return round(float(value), places)
