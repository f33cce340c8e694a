"""The count of a person's overdue tasks, for the navigation."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from kam.planning.models import Task

register = template.Library()


@register.simple_tag
def overdue_tasks(user: Any) -> int:
    """How many of `user`'s open tasks are past due (one indexed count)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Task.objects.filter(
        owner=user, status__in=Task.ACTIVE, due_on__lt=timezone.localdate()
    ).count()
