"""Template helpers of the people pages and of the navigation that leads to them."""

from __future__ import annotations

from typing import Any

from django import template

from kam.clients.access import can_manage_people as _can_manage_people

register = template.Library()


@register.filter
def can_manage_people(user: Any) -> bool:
    """Whether `user` may manage people and teams (shows the People link)."""
    return _can_manage_people(user)
