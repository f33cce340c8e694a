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


class User(AbstractUser):
    """A person who signs in; the role says what they may do."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.ANALYST)
    language = models.CharField(_("language"), max_length=8, blank=True, default="")

    def __str__(self) -> str:
        return self.get_full_name() or self.username
