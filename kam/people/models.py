from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    DIRECTOR = "director", _("KAM director")
    KEY_ACCOUNT_MANAGER = "kam", _("Key-account manager")
    TEAM_MEMBER = "team", _("Team member")
    MARKETING = "marketing", _("Marketing")
    SERVICE = "service", _("Service")
    ANALYST = "analyst", _("Analyst")


class Function(models.TextChoices):
    """A company function: where a team sits, what a person does on an account."""

    MANAGEMENT = "management", _("Management")
    KAM = "kam", _("Key account management")
    SALES = "sales", _("Sales")
    MARKETING = "marketing", _("Marketing")
    RND = "rnd", _("R&D")
    PRODUCTION = "production", _("Production")
    SERVICE = "service", _("Service")
    LOGISTICS = "logistics", _("Logistics")
    FINANCE = "finance", _("Finance")


class Team(models.Model):
    """A group of people with a lead; teams nest to draw the reporting line."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    function = models.CharField(
        _("function"), max_length=16, choices=Function.choices, default=Function.KAM
    )
    lead = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="teams_led"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in; the role says what they may do."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.ANALYST)
    language = models.CharField(_("language"), max_length=8, blank=True, default="")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class SignInThrottle(models.Model):
    """Failed sign-ins of one user name or one address within the current window."""

    key = models.CharField(max_length=200, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"
