"""Reads about people and teams."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from kam.people.models import Team, User


def people_listed() -> QuerySet[User]:
    """Everyone who can sign in or once could, active first, then by user name."""
    return User.objects.select_related("team").order_by("-is_active", "username")


def teams_listed() -> QuerySet[Team]:
    """Teams by name, with their lead, parent and number of members."""
    return Team.objects.select_related("lead", "parent").annotate(member_count=Count("members"))
