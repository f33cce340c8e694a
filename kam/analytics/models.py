"""The metrics snapshot: small per-client, per-year tables refreshed after each import."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
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
        # With the client, the list's revenue order is walked in the index alone.
        indexes = (
            models.Index(fields=("year", "revenue_micros", "client"), name="metric_year_revenue"),
        )

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


class ClientYearCategories(models.Model):
    """What one client bought of each product category in one calendar year.

    One row per client and year rather than one per category: a 10M-line
    ledger has millions of (client, year, category) totals, and writing them
    row by row dominated the snapshot refresh. `totals` is JSON text, a flat
    array of (category, net revenue in micros, lines) triples in no particular
    order, the category "" when the ledger has none — e.g.
    `["Tools",150000000,2,"Paint",20000000,1]`.
    """

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="category_years", db_index=False
    )
    year = models.PositiveSmallIntegerField(_("year"))
    totals = models.TextField()

    class Meta:
        # Serves both the refresh (by year) and the page (a client's two years).
        constraints = (
            models.UniqueConstraint(
                fields=("year", "client"), name="one_categories_per_client_year"
            ),
        )

    def __str__(self) -> str:
        return f"{self.client_id} {self.year}"

    def by_category(self) -> dict[str, tuple[int, int]]:
        """Category → (net revenue micros, lines)."""
        return categories_from_json(self.totals)


def categories_from_json(totals: str) -> dict[str, tuple[int, int]]:
    """Category → (net revenue micros, lines) of a `ClientYearCategories.totals` text."""
    flat = json.loads(totals)
    return {flat[i]: (int(flat[i + 1]), int(flat[i + 2])) for i in range(0, len(flat), 3)}


def categories_to_json(by_category: dict[str, tuple[int, int]]) -> str:
    """The `totals` text of `ClientYearCategories` (the ledger engine writes the same shape)."""
    flat: list[str | int] = []
    for category in sorted(by_category):
        flat += [category, *by_category[category]]
    return json.dumps(flat, separators=(",", ":"), ensure_ascii=False)


class ClientRecentInvoices(models.Model):
    """The newest invoices of one client (up to RECENT_INVOICES), one row per client.

    One row per client rather than one per invoice, for the same reason as
    `ClientYearCategories`. `invoices` is JSON text, a flat array of
    (invoice, ISO date, lines, amount in micros) quadruples, newest first as
    the ledger engine orders them (readers sort again); `oldest_on` and
    `newest_on` bound their dates, so a refresh finds the clients whose listed
    invoices a re-import may have moved.
    """

    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, related_name="recent_invoices", primary_key=True
    )
    oldest_on = models.DateField()
    newest_on = models.DateField()
    invoices = models.TextField()

    class Meta:
        indexes = (models.Index(fields=("newest_on",), name="recent_invoices_newest"),)

    def __str__(self) -> str:
        return str(self.client_id)

    def listed(self) -> list[RecentInvoice]:
        """The invoices, newest first (by date, then invoice number)."""
        return recent_invoices_from_json(self.invoices)


@dataclass(frozen=True, slots=True)
class RecentInvoice:
    invoice: str
    invoiced_on: dt.date
    lines: int
    amount_micros: int

    @property
    def amount(self) -> Decimal:
        return from_micros(self.amount_micros)


def recent_invoices_from_json(invoices: str) -> list[RecentInvoice]:
    """The invoices of a `ClientRecentInvoices.invoices` text, newest first."""
    flat = json.loads(invoices)
    listed = [
        RecentInvoice(
            str(flat[i]), dt.date.fromisoformat(flat[i + 1]), int(flat[i + 2]), int(flat[i + 3])
        )
        for i in range(0, len(flat), 4)
    ]
    listed.sort(key=lambda r: (r.invoiced_on, r.invoice), reverse=True)
    return listed


def recent_invoices_to_json(listed: Iterable[RecentInvoice]) -> str:
    """The `invoices` text of `ClientRecentInvoices` (the ledger engine writes the same shape)."""
    flat: list[str | int] = []
    for r in listed:
        flat += [r.invoice, r.invoiced_on.isoformat(), r.lines, r.amount_micros]
    return json.dumps(flat, separators=(",", ":"), ensure_ascii=False)
