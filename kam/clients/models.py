from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    """How much a key account matters; tier 1 gets the most attention."""

    TIER_1 = "1", _("Tier 1")
    TIER_2 = "2", _("Tier 2")
    TIER_3 = "3", _("Tier 3")


class Client(models.Model):
    """A buying company, identified by the client id of the sales ledger."""

    external_id = models.CharField(_("client id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    country = models.CharField(_("country"), max_length=64, blank=True, default="")
    # What the ledger last said: an import changes name or country only while they
    # still equal these (no person has corrected them). NULL: not known yet, which
    # differs from "" (the ledger gave no country).
    ledger_name = models.CharField(  # noqa: DJ001
        max_length=255, null=True, blank=True, editable=False
    )
    ledger_country = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, editable=False
    )
    is_key_account = models.BooleanField(_("key account"), default=False)
    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices, blank=True, default="")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("key-account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_clients",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("external_id",)
        indexes = (
            models.Index(fields=("name",), name="client_name"),
            models.Index(fields=("country", "external_id"), name="client_country"),
        )

    def __str__(self) -> str:
        return self.name if self.name == self.external_id else f"{self.name} ({self.external_id})"


class AccountTeamMember(models.Model):
    """A person of ours mobilised on one client's account, with their function."""

    class Function(models.TextChoices):
        SALES = "sales", _("Sales")
        RND = "rnd", _("R&D")
        PRODUCTION = "production", _("Production")
        SERVICE = "service", _("Service")
        LOGISTICS = "logistics", _("Logistics")
        FINANCE = "finance", _("Finance")
        MARKETING = "marketing", _("Marketing")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="team_members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_memberships"
    )
    function = models.CharField(_("function"), max_length=16, choices=Function.choices)
    role_on_account = models.CharField(_("role on the account"), max_length=120, blank=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("client", "user"), name="one_membership_per_person"),
        )

    def __str__(self) -> str:
        return f"{self.user} on {self.client}"
