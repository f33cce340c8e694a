"""Choosing and organising key accounts: what people decide and enter (SPEC parts 2, 3).

The figures come from the metrics snapshot; these tables hold the judgements
(partnership intent, our position, wallet estimates), the scoring models, and
the dated history of every designation, manager assignment and relationship
stage. History rows are only ever added.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.clients.models import Client, Tier

RATING = (MinValueValidator(1), MaxValueValidator(5))


class ScoringModel(models.Model):
    """Named weights of the criteria, and the matrix thresholds that go with them."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    description = models.CharField(_("description"), max_length=255, blank=True, default="")
    weights = models.JSONField(_("weights"))  # criterion -> weight; normalised when used
    attractiveness_threshold = models.FloatField(
        _("attractiveness threshold"),
        default=50.0,
        validators=(MinValueValidator(0), MaxValueValidator(100)),
    )
    strength_threshold = models.FloatField(
        _("strength threshold"),
        default=50.0,
        validators=(MinValueValidator(0), MaxValueValidator(100)),
    )
    is_default = models.BooleanField(_("default"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-is_default", "name")

    def __str__(self) -> str:
        return self.name


class _Entered(models.Model):
    """A dated judgement someone entered about a client."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    noted_on = models.DateField(_("date"))
    note = models.TextField(_("note"), blank=True, default="")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ("-noted_on", "-id")


class PartnershipIntent(_Entered):
    """How much the client wants a long-term partnership with us, 1 (not) to 5 (strongly)."""

    rating = models.PositiveSmallIntegerField(_("partnership intent"), validators=RATING)

    class Meta(_Entered.Meta):
        indexes = (models.Index(fields=("client", "-noted_on"), name="intent_client_date"),)

    def __str__(self) -> str:
        return f"{self.client_id} {self.noted_on} {self.rating}"


class PositionRating(_Entered):
    """Our position with the client against competitors, 1 (weak) to 5 (leading)."""

    rating = models.PositiveSmallIntegerField(_("our position"), validators=RATING)

    class Meta(_Entered.Meta):
        indexes = (models.Index(fields=("client", "-noted_on"), name="position_client_date"),)

    def __str__(self) -> str:
        return f"{self.client_id} {self.noted_on} {self.rating}"


class WalletEstimate(models.Model):
    """The client's estimated total spend on a category in a year, from us and others."""

    class Confidence(models.TextChoices):
        LOW = "low", _("low")
        MEDIUM = "medium", _("medium")
        HIGH = "high", _("high")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="wallet_estimates")
    year = models.PositiveSmallIntegerField(_("year"))
    # Blank: the whole wallet, every category together.
    category = models.CharField(_("category"), max_length=255, blank=True, default="")
    amount = models.DecimalField(_("estimated wallet"), max_digits=18, decimal_places=2)
    source = models.CharField(_("source"), max_length=255)
    confidence = models.CharField(
        _("confidence"), max_length=8, choices=Confidence.choices, default=Confidence.MEDIUM
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-year", "category")
        constraints = (
            models.UniqueConstraint(
                fields=("client", "year", "category"), name="one_wallet_per_client_year_category"
            ),
        )
        indexes = (models.Index(fields=("year", "client"), name="wallet_year_client"),)

    def __str__(self) -> str:
        return f"{self.client_id} {self.year} {self.category or '*'}"


class Designation(models.Model):
    """One decision on a client's key-account status (history; the client holds the state)."""

    class Action(models.TextChoices):
        DESIGNATE = "designate", _("designated")
        RETIER = "retier", _("tier changed")
        REVOKE = "revoke", _("revoked")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="designations")
    action = models.CharField(_("decision"), max_length=10, choices=Action.choices)
    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices, blank=True, default="")
    reason = models.TextField(_("reason"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ("-decided_at", "-id")

    def __str__(self) -> str:
        return f"{self.client_id} {self.action} {self.tier}"


class ManagerAssignment(models.Model):
    """A change of a client's key-account manager, with the hand-over note."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="manager_changes")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("key-account manager"),
    )
    previous = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("previous manager"),
    )
    handover_note = models.TextField(_("hand-over note"), blank=True, default="")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ("-assigned_at", "-id")

    def __str__(self) -> str:
        return f"{self.client_id} {self.previous_id} -> {self.manager_id}"


class RelationshipStage(models.Model):
    """Where the relationship with a key account stands, dated, with the evidence."""

    class Stage(models.TextChoices):
        EXPLORATORY = "exploratory", _("Exploratory")
        BASIC = "basic", _("Basic")
        COOPERATIVE = "cooperative", _("Cooperative")
        INTERDEPENDENT = "interdependent", _("Interdependent")
        INTEGRATED = "integrated", _("Integrated")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="stages")
    stage = models.CharField(_("relationship stage"), max_length=16, choices=Stage.choices)
    noted_on = models.DateField(_("date"))
    evidence = models.TextField(_("evidence"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-noted_on", "-id")

    def __str__(self) -> str:
        return f"{self.client_id} {self.noted_on} {self.stage}"


class Notification(models.Model):
    """Something a person should know, shown in the app until read."""

    class Kind(models.TextChoices):
        DESIGNATED = "designated", _("Key account designated")
        REVOKED = "revoked", _("Key-account status revoked")
        ASSIGNED = "assigned", _("Key account assigned to you")
        UNASSIGNED = "unassigned", _("Key account handed over")
        TEAM_ADDED = "team_added", _("Added to an account team")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    client = models.ForeignKey(Client, null=True, on_delete=models.CASCADE, related_name="+")
    detail = models.TextField(blank=True, default="")  # the reason or note, as entered
    actor_label = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = (models.Index(fields=("recipient", "read_at"), name="notification_unread"),)

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind}"
