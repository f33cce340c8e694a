"""Locale-aware display of money, shares and charts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.template.defaultfilters import floatformat
from django.utils.formats import get_format

register = template.Library()


@register.filter
def money(value: Decimal | None) -> str:
    """1234567.891 -> '1,234,567.89' (en) or '1.234.567,89' (ro)."""
    if value is None:
        return "—"
    return str(floatformat(value, "2g"))


@register.filter
def pct(value: Decimal | float | None, places: int = 1) -> str:
    """0.7312 -> '73.1 %' (en) / '73,1 %' (ro)."""
    if value is None:
        return "—"
    return f"{floatformat(Decimal(str(value)) * 100, f'{places}g')} %"


@register.filter
def number(value: Decimal | float | int | None, places: int = 0) -> str:
    if value is None:
        return "—"
    return str(floatformat(value, f"{places}g"))


def plotly_separators() -> str:
    """Plotly's `separators` (decimal, then thousands) of the active language: ",." in ro."""
    return f"{get_format('DECIMAL_SEPARATOR')}{get_format('THOUSAND_SEPARATOR')}"


@register.filter
def localised(figure: dict[str, Any] | None) -> dict[str, Any] | None:
    """A Plotly figure whose numbers (hover labels, ticks) read as the page's do.

    A copy: figures are shared between languages (memoised, module constants).
    """
    if not figure:
        return figure
    layout = {**figure.get("layout", {}), "separators": plotly_separators()}
    return {**figure, "layout": layout}
