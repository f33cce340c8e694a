"""Template helpers of the organisation pages: the unread-notifications badge."""

from __future__ import annotations

from typing import Any

from django import template

from kam.accounts.selectors import unread_count

register = template.Library()


@register.simple_tag
def unread_notifications(user: Any) -> int:
    """How many notifications `user` has not read (one query; none for a visitor)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return unread_count(user)
