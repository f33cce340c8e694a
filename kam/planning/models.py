"""The manager's work on a key account: plan, objectives, buying centre, deals,
competitors, actions (SPEC parts 4, 9 and 10).

Actuals are never stored here: they come from the metrics snapshot, so they
move with every import.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.clients.models import Client

USER = settings.AUTH_USER_MODEL


class AccountPlan(models.Model):
    """One version of a key account's plan for a year: draft → submitted → approved."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="plans")
    year = models.PositiveSmallIntegerField(_("year"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    summary = models.TextField(_("summary"), blank=True, default="")
    strategy = models.TextField(_("the client's strategy"), blank=True, default="")
    needs = models.TextField(_("the client's needs"), blank=True, default="")
    strengths = models.TextField(_("strengths"), blank=True, default="")
    weaknesses = models.TextField(_("weaknesses"), blank=True, default="")
    opportunities = models.TextField(_("opportunities"), blank=True, default="")
    threats = models.TextField(_("threats"), blank=True, default="")
    review_note = models.TextField(_("review note"), blank=True, default="")
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-year", "-version")
        constraints = (
            models.UniqueConstraint(fields=("client", "year", "version"), name="one_plan_version"),
        )

    def __str__(self) -> str:
        return f"{self.client_id} {self.year} v{self.version}"


class Objective(models.Model):
    """A target for a key account and year, on one measure, for all or one category."""

    class Measure(models.TextChoices):
        REVENUE = "revenue", _("Net revenue")
        VOLUME = "volume", _("Volume (quantity)")
        MARGIN = "margin", _("Gross margin")
        SHARE_OF_WALLET = "share_of_wallet", _("Share of wallet")
        RANGE = "range", _("Range breadth (categories bought)")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="objectives")
    year = models.PositiveSmallIntegerField(_("year"))
    measure = models.CharField(_("measure"), max_length=16, choices=Measure.choices)
    category = models.CharField(_("category"), max_length=255, blank=True, default="")
    # money for revenue and margin, a quantity for volume, 0-1 for share of
    # wallet, a count for range breadth
    target = models.DecimalField(_("target"), max_digits=18, decimal_places=4)
    note = models.TextField(_("note"), blank=True, default="")
    proposed_from = models.ForeignKey(
        "MarketNote", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("year", "measure", "category")
        constraints = (
            models.UniqueConstraint(
                fields=("client", "year", "measure", "category"), name="one_objective_per_measure"
            ),
        )

    def __str__(self) -> str:
        return f"{self.client_id} {self.year} {self.measure} {self.category}"


class MarketNote(models.Model):
    """What the market of a segment does, and the growth we assume for it."""

    # a product category, or blank for the whole market
    segment = models.CharField(_("segment"), max_length=255, blank=True, default="")
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("note"), blank=True, default="")
    growth = models.DecimalField(
        _("assumed growth"), max_digits=7, decimal_places=4, null=True, blank=True
    )  # 0.05 = +5 %
    source = models.CharField(_("source"), max_length=255, blank=True, default="")
    noted_on = models.DateField(_("date"))
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ("-year", "segment", "-noted_on")

    def __str__(self) -> str:
        return f"{self.segment or '*'} {self.year}: {self.title}"


class Stakeholder(models.Model):
    """A person of the client's buying centre."""

    class Role(models.TextChoices):
        DECISION_MAKER = "decider", _("Decision maker")
        INFLUENCER = "influencer", _("Influencer")
        USER = "user", _("User")
        BUYER = "buyer", _("Buyer")
        GATEKEEPER = "gatekeeper", _("Gatekeeper")

    class Attitude(models.IntegerChoices):
        OPPONENT = -2, _("Opponent")
        SCEPTIC = -1, _("Sceptic")
        NEUTRAL = 0, _("Neutral")
        SUPPORTER = 1, _("Supporter")
        CHAMPION = 2, _("Champion")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="stakeholders")
    name = models.CharField(_("name"), max_length=150)
    title = models.CharField(_("job title"), max_length=150, blank=True, default="")
    role = models.CharField(_("role in the decision"), max_length=12, choices=Role.choices)
    influence = models.PositiveSmallIntegerField(
        _("influence"), validators=(MinValueValidator(1), MaxValueValidator(5))
    )
    attitude = models.SmallIntegerField(
        _("attitude to us"), choices=Attitude.choices, default=Attitude.NEUTRAL
    )
    reports_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        verbose_name=_("reports to"),
    )
    owner = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("relationship owner"),
    )
    email = models.EmailField(_("email"), blank=True, default="")
    phone = models.CharField(_("phone"), max_length=40, blank=True, default="")
    notes = models.TextField(_("notes"), blank=True, default="")

    class Meta:
        ordering = ("-influence", "name")

    def __str__(self) -> str:
        return self.name

    @property
    def is_gap(self) -> bool:
        """An influential person nobody on our side owns."""
        return self.influence >= 4 and self.owner_id is None


class PurchasingStep(models.Model):
    """One step of the client's purchasing process, in order."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="purchasing_steps")
    position = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("step"), max_length=150)
    description = models.TextField(_("description"), blank=True, default="")
    stakeholder = models.ForeignKey(
        Stakeholder, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("position", "id")

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class Competitor(models.Model):
    """A competitor in the register, shared by every account."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    website = models.CharField(_("website"), max_length=255, blank=True, default="")
    notes = models.TextField(_("notes"), blank=True, default="")

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class CompetitorPresence(models.Model):
    """A competitor present at a key account: its estimated share and price position."""

    class PricePosition(models.TextChoices):
        LOWER = "lower", _("Cheaper than us")
        SIMILAR = "similar", _("Similar to us")
        HIGHER = "higher", _("Dearer than us")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="competitors")
    competitor = models.ForeignKey(Competitor, on_delete=models.CASCADE, related_name="presences")
    estimated_share = models.DecimalField(
        _("estimated share"), max_digits=5, decimal_places=4, null=True, blank=True
    )  # 0-1 of the client's wallet
    price_position = models.CharField(
        _("price position"), max_length=8, choices=PricePosition.choices, blank=True, default=""
    )
    notes = models.TextField(_("notes"), blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-estimated_share", "competitor__name")
        constraints = (
            models.UniqueConstraint(fields=("client", "competitor"), name="one_presence"),
        )

    def __str__(self) -> str:
        return f"{self.competitor_id} at {self.client_id}"


class CompetitorAction(models.Model):
    """Something a competitor did, dated, with where we heard it."""

    class Kind(models.TextChoices):
        PRICE = "price", _("Price move")
        LAUNCH = "launch", _("Launch")
        PEOPLE = "people", _("People change")
        PROMOTION = "promotion", _("Promotion")
        OTHER = "other", _("Other")

    competitor = models.ForeignKey(Competitor, on_delete=models.CASCADE, related_name="actions")
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.CASCADE, related_name="competitor_actions"
    )  # blank: seen in the market, not at one account
    happened_on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    description = models.TextField(_("what happened"))
    source = models.CharField(_("source"), max_length=255)
    entered_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-happened_on", "-id")
        indexes = (models.Index(fields=("-happened_on",), name="competitor_action_date"),)

    def __str__(self) -> str:
        return f"{self.competitor_id} {self.happened_on} {self.kind}"


class Opportunity(models.Model):
    """A deal being worked at a key account."""

    class Stage(models.TextChoices):
        LEAD = "lead", _("Lead")
        QUALIFIED = "qualified", _("Qualified")
        PROPOSAL = "proposal", _("Proposal")
        NEGOTIATION = "negotiation", _("Negotiation")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    OPEN = (Stage.LEAD, Stage.QUALIFIED, Stage.PROPOSAL, Stage.NEGOTIATION)

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="opportunities")
    title = models.CharField(_("title"), max_length=200)
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, default=Stage.LEAD)
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=2)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), validators=(MinValueValidator(0), MaxValueValidator(100))
    )
    expected_close = models.DateField(_("expected close"))
    categories = models.CharField(_("products or categories"), max_length=500, blank=True)
    competitors = models.ManyToManyField(
        Competitor, blank=True, related_name="+", verbose_name=_("competitors met")
    )
    owner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("expected_close", "id")

    def __str__(self) -> str:
        return self.title


class NegotiationEntry(models.Model):
    """A dated entry of a negotiation log."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="negotiations")
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.CASCADE, related_name="log"
    )
    happened_on = models.DateField(_("date"))
    summary = models.TextField(_("what was discussed"))
    outcome = models.TextField(_("outcome and next step"), blank=True, default="")
    entered_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-happened_on", "-id")

    def __str__(self) -> str:
        return f"{self.client_id} {self.happened_on}"


class Task(models.Model):
    """An action of the plan, or an ask to an internal function, with an owner and a due date."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    ACTIVE = (Status.OPEN, Status.IN_PROGRESS)

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="tasks")
    objective = models.ForeignKey(
        Objective, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    title = models.CharField(_("task"), max_length=200)
    detail = models.TextField(_("detail"), blank=True, default="")
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="tasks")
    # set for an ask to an internal function (R&D, production, logistics...)
    function = models.CharField(_("function asked"), max_length=16, blank=True, default="")
    requested_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    due_on = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("due_on", "id")
        indexes = (models.Index(fields=("owner", "status", "due_on"), name="task_queue"),)

    def __str__(self) -> str:
        return self.title

    @property
    def is_ask(self) -> bool:
        return bool(self.function)


class AccountMonth(models.Model):
    """A key account's figures for one calendar month, from the ledger (refreshed on import)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="months")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    revenue_micros = models.BigIntegerField()
    costed_revenue_micros = models.BigIntegerField()
    cost_micros = models.BigIntegerField()
    quantity = models.DecimalField(max_digits=20, decimal_places=4)

    class Meta:
        ordering = ("year", "month")
        constraints = (
            models.UniqueConstraint(fields=("client", "year", "month"), name="one_account_month"),
        )

    def __str__(self) -> str:
        return f"{self.client_id} {self.year}-{self.month:02d}"


class AccountMonthState(models.Model):
    """Which ledger import a key account's months reflect."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="+")
    ledger_import_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.client_id}#{self.ledger_import_id}"
