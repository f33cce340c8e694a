"""Template helpers of the import pages and of the navigation that leads to them."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaultfilters import floatformat

from kam.clients.access import can_import as _can_import

register = template.Library()


@register.filter
def can_import(user: Any) -> bool:
    """Whether `user` may import sales ledgers (shows the Imports link)."""
    return _can_import(user)


@register.filter
def duration(milliseconds: int | None) -> str:
    """1234 -> '1.2 s'; 125000 -> '2 min 5 s'."""
    if milliseconds is None:
        return "—"
    seconds = milliseconds / 1000
    if seconds < 60:
        return f"{floatformat(seconds, '1g')} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"
