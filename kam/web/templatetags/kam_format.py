"""Locale-aware display of money and shares."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat

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
