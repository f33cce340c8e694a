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
