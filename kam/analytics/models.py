"""The metrics snapshot: small per-client, per-year tables refreshed after each import."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.clients.models import Client

MICROS = Decimal("0.000001")


def to_micros(amount: Decimal) -> int:
    """Money as integer millionths: exact on SQLite, whose decimals are floats."""
    return int(amount.scaleb(6).to_integral_value())


def from_micros(micros: int | None) -> Decimal:
    return Decimal(micros or 0).scaleb(-6)


class ClientYearMetric(models.Model):
    """What one client bought in one calendar year, from the ledger."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="year_metrics")
    year = models.PositiveSmallIntegerField(_("year"))
    revenue_micros = models.BigIntegerField(_("net revenue"))
    costed_revenue_micros = models.BigIntegerField()  # revenue of lines whose cost is known
    cost_micros = models.BigIntegerField(_("cost"))
    lines = models.PositiveIntegerField()
    invoices = models.PositiveIntegerField()
    categories = models.PositiveIntegerField()
    last_invoiced_on = models.DateField()
    # Price sensitivity (kam.analytics.core.scoring): the client's positive lines that
    # have a reference price, at what it paid and at the reference price.
    priced_revenue_micros = models.BigIntegerField(default=0)
    reference_micros = models.BigIntegerField(default=0)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("year", "client"), name="one_metric_per_client_year"),
        )
        indexes = (models.Index(fields=("year", "-revenue_micros"), name="metric_year_revenue"),)

    def __str__(self) -> str:
        return f"{self.client_id} {self.year}"

    @property
    def revenue_amount(self) -> Decimal:
        return from_micros(self.revenue_micros)


class YearSummary(models.Model):
    """Per-year facts that belong to no client: the unattributed lines."""

    year = models.PositiveSmallIntegerField(unique=True)
    unattributed_lines = models.PositiveIntegerField()
    unattributed_micros = models.BigIntegerField()
    # Display-only ratios of the year's Pareto population, for the trend chart.
    clients = models.PositiveIntegerField(default=0)
    top20_share = models.FloatField(default=0)
    gini = models.FloatField(default=0)
    hhi = models.FloatField(default=0)

    def __str__(self) -> str:
        return str(self.year)


class SnapshotState(models.Model):
    """Which ledger import the snapshot reflects (one row)."""

    ledger_url = models.CharField(max_length=500)
    ledger_import_id = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.ledger_url}#{self.ledger_import_id}"


class ClientYearRank(models.Model):
    """ABC class and RFM of one client of a year's Pareto population (revenue > 0)."""

    class AbcClass(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="year_ranks")
    year = models.PositiveSmallIntegerField(_("year"))
    pareto_rank = models.PositiveIntegerField()  # 1 = largest net revenue (SPEC: order)
    abc_class = models.CharField(_("ABC class"), max_length=1, choices=AbcClass.choices)
    recency_days = models.PositiveIntegerField(_("recency (days)"))
    frequency = models.PositiveIntegerField(_("frequency"))
    monetary_micros = models.BigIntegerField(_("monetary"))
    r_score = models.PositiveSmallIntegerField()
    f_score = models.PositiveSmallIntegerField()
    m_score = models.PositiveSmallIntegerField()

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("year", "client"), name="one_rank_per_client_year"),
        )
        indexes = (
            models.Index(fields=("year", "pareto_rank"), name="rank_year_order"),
            models.Index(fields=("year", "abc_class", "pareto_rank"), name="rank_year_class"),
        )

    def __str__(self) -> str:
        return f"{self.client_id} {self.year} {self.abc_class}"

    @property
    def rfm_code(self) -> str:
        return f"{self.r_score}{self.f_score}{self.m_score}"


class ClientCategoryYear(models.Model):
    """What one client bought of one product category in one calendar year."""

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="category_years", db_index=False
    )
    year = models.PositiveSmallIntegerField(_("year"))
    category = models.CharField(_("category"), max_length=255)  # "" when the ledger has none
    revenue_micros = models.BigIntegerField(_("net revenue"))
    lines = models.PositiveIntegerField(_("lines"))

    class Meta:
        # One index serves both the refresh (by year) and the page (a client's two years);
        # each more index slows the refresh, which writes millions of rows.
        indexes = (models.Index(fields=("year", "client"), name="category_year_client"),)

    def __str__(self) -> str:
        return f"{self.client_id} {self.year} {self.category}"

    @property
    def revenue_amount(self) -> Decimal:
        return from_micros(self.revenue_micros)


class RecentInvoice(models.Model):
    """One of the last invoices of a client (the newest RECENT_INVOICES per client)."""

    # (client, date) below starts with the client: no separate foreign-key index
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="recent_invoices", db_index=False
    )
    invoice = models.CharField(_("invoice"), max_length=255)
    invoiced_on = models.DateField(_("date"))
    lines = models.PositiveIntegerField(_("lines"))
    amount_micros = models.BigIntegerField(_("amount"))

    class Meta:
        indexes = (
            models.Index(fields=("client", "-invoiced_on"), name="recent_invoice_client"),
            models.Index(fields=("invoiced_on",), name="recent_invoice_date"),
        )

    def __str__(self) -> str:
        return f"{self.client_id} {self.invoice}"

    @property
    def amount(self) -> Decimal:
        return from_micros(self.amount_micros)
