"""What the plan side of the key-account page shows, gathered once for the page and the exports.

Money and shares are formatted here in the active language, so the page, the
PDF and the spreadsheet say the same. Margin figures (gross margin, a margin
objective's numbers) and wallet amounts are left out for a person without
the margin permission.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.accounts.models import RelationshipStage, WalletEstimate
from kam.accounts.selectors import current_stage
from kam.analytics import engine
from kam.analytics.models import ClientYearMetric, from_micros
from kam.analytics.selectors import available_years
from kam.clients.access import can_see_margins
from kam.clients.models import Client
from kam.common.periods import Period
from kam.ledger.selectors import ledger_store
from kam.planning.actuals import Progress, account_months_ensure, ledger_as_of, objectives_progress
from kam.planning.models import (
    AccountPlan,
    CompetitorPresence,
    Objective,
    Opportunity,
    Stakeholder,
    Task,
)
from kam.planning.selectors import (
    Account,
    Pipeline,
    StakeholderNode,
    WalletShare,
    buying_centre,
    current_plan,
    pipeline,
    share_of_wallet,
    tasks_of,
)
from kam.web.templatetags.kam_format import money, number, pct

ZERO = Decimal(0)

STATUS_LABELS = {
    "on_track": _("On track"),
    "at_risk": _("At risk"),
    "off_track": _("Off track"),
}
METHOD_LABELS = {
    "seasonal": _("seasonal"),
    "run_rate": _("run rate"),
    "complete": _("complete"),
    "point": _("point"),
}
# kam.analytics.core.forecast, said for the person reading the page
METHOD_NOTES = (
    (
        "seasonal",
        _(
            "Seasonal: the actual to date ÷ the share of the year's result that earlier years "
            "(up to three, the bigger years counting more) had reached by the same day."
        ),
    ),
    (
        "run_rate",
        _(
            "Run rate: when no earlier year is usable, or it is too early in the year "
            "(less than 5 % of the result is normally in), the actual × days in the year "
            "÷ days elapsed."
        ),
    ),
    ("complete", _("Complete: the year is over, the actual is the outcome.")),
    (
        "point",
        _("Point: range breadth is a level reached (categories bought), not a sum that grows."),
    ),
)
STATUS_NOTE = _(
    "On track: the forecast reaches the objective; at risk: it reaches 90 % of it; "
    "off track: below."
)


# --- the year ----------------------------------------------------------------------------


def plan_years(client: Client) -> tuple[list[int], int]:
    """Years to choose from, newest first, and the default: the ledger's latest year.

    The ledger's years, the next one (plans are made ahead) and any year the
    account already has a plan or an objective for.
    """
    ledger = available_years()
    latest = ledger[0] if ledger else timezone.localdate().year
    years = {
        *ledger,
        latest,
        latest + 1,
        *AccountPlan.objects.filter(client=client).values_list("year", flat=True),
        *Objective.objects.filter(client=client).values_list("year", flat=True),
    }
    return sorted(years, reverse=True), latest


def chosen_year(value: str | None, years: list[int], default: int) -> int:
    try:
        year = int(value or default)
    except ValueError:
        return default
    return year if year in years else default


# --- key facts ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Facts:
    year: int
    tier: str
    manager: Any
    stage: RelationshipStage | None
    revenue: Decimal | None  # net revenue of the year (to date), None without sales
    previous: Decimal | None  # of the whole year before
    growth: float | None  # like for like: against `previous_to_date` while the year runs
    margin: Decimal | None  # None without the permission, or no costed line
    margin_percent: float | None
    by_year: list[tuple[int, Decimal]]  # every year of the ledger, oldest first
    # While the ledger stops inside the year: the day after its last invoice, and the
    # client's net revenue of the year before up to the same day.
    to_date: dt.date | None = None
    previous_to_date: Decimal | None = None

    @property
    def previous_through(self) -> dt.date | None:
        """The last day of the year before that `previous_to_date` counts."""
        if self.to_date is None:
            return None
        return _a_year_before(self.to_date) - dt.timedelta(days=1)


def facts_of(client: Client, year: int, *, with_margin: bool) -> Facts:
    """The account's key facts of `year`; growth compares like with like.

    While the ledger stops inside `year`, the year's revenue runs to its last
    invoice, so growth compares it with the year before up to the same day (read
    from the ledger), not with the whole year before.
    """
    metrics = {m.year: m for m in ClientYearMetric.objects.filter(client=client).order_by("year")}
    this, last = metrics.get(year), metrics.get(year - 1)
    revenue = from_micros(this.revenue_micros) if this else None
    previous = from_micros(last.revenue_micros) if last else None
    as_of = ledger_as_of()  # the day after the ledger's last invoice
    running = as_of is not None and as_of.year == year and as_of > dt.date(year, 1, 1)
    to_date = as_of if running else None
    previous_to_date = None
    if to_date is not None and last is not None:
        span = Period(dt.date(year - 1, 1, 1), _a_year_before(to_date))
        previous_to_date = engine.client_revenue(ledger_store(), client.external_id, span)
    base = previous_to_date if to_date is not None else previous
    growth = None
    if revenue is not None and base is not None and base > 0:
        growth = float((revenue - base) / base)
    margin = margin_percent = None
    if with_margin and this is not None and this.costed_revenue_micros:
        margin = from_micros(this.costed_revenue_micros - this.cost_micros)
        margin_percent = float(margin / from_micros(this.costed_revenue_micros))
    return Facts(
        year=year,
        tier=client.get_tier_display() if client.tier else "",
        manager=client.manager,
        stage=current_stage(client),
        revenue=revenue,
        previous=previous,
        growth=growth,
        margin=margin,
        margin_percent=margin_percent,
        by_year=[(y, from_micros(m.revenue_micros)) for y, m in metrics.items()],
        to_date=to_date,
        previous_to_date=previous_to_date,
    )


def _a_year_before(day: dt.date) -> dt.date:
    """The same day a year before, as an exclusive end: 29 February becomes 1 March."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return dt.date(day.year - 1, 3, 1)


# --- objectives --------------------------------------------------------------------------


def measure_value(measure: str, value: Decimal | None) -> str:
    """A measure's figure as people write it: money, a quantity, a share, a count."""
    if value is None:
        return "—"
    if measure in (Objective.Measure.REVENUE, Objective.Measure.MARGIN):
        return money(value)
    if measure == Objective.Measure.SHARE_OF_WALLET:
        return pct(value)
    if measure == Objective.Measure.RANGE:
        return number(value)
    return number(value, 2)


@dataclass(frozen=True, slots=True)
class ObjectiveRow:
    objective: Objective
    progress: Progress
    hidden: bool  # a margin objective for a person without the margin permission
    target: str
    actual: str
    expected: str
    share: float | None  # actual ÷ target
    expected_share: float | None  # forecast ÷ target
    status: str  # "" when it cannot be said (not measurable, year not started, hidden)
    method: str

    @property
    def label(self) -> str:
        what = self.objective.get_measure_display()
        return f"{what} · {self.objective.category}" if self.objective.category else str(what)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, ""))

    @property
    def method_label(self) -> str:
        return str(METHOD_LABELS.get(self.method, self.method))

    @property
    def bar(self) -> int:
        """The progress bar's value, 0-100."""
        return round(min(max(self.share or 0.0, 0.0), 1.0) * 100)


def objective_rows(client: Client, year: int, *, with_margin: bool) -> list[ObjectiveRow]:
    """Each objective of the year with its actual to date, forecast and status."""
    account_months_ensure(store=ledger_store(), client=client)
    as_of = ledger_as_of()
    started = as_of is not None and as_of > dt.date(year, 1, 1)
    rows = []
    for p in objectives_progress(client=client, year=year, as_of=as_of):
        o = p.objective
        hidden = o.measure == Objective.Measure.MARGIN and not with_margin
        expected_share = None
        if p.expected is not None and o.target > 0:
            expected_share = float(p.expected / o.target)
        status = p.status.value if p.status is not None and started and not hidden else ""
        rows.append(
            ObjectiveRow(
                objective=o,
                progress=p,
                hidden=hidden,
                target="—" if hidden else measure_value(o.measure, o.target),
                actual="—" if hidden else measure_value(o.measure, p.actual),
                expected="—" if hidden else measure_value(o.measure, p.expected),
                share=None if hidden else p.share_of_target,
                expected_share=None if hidden else expected_share,
                status=status,
                method=p.method,
            )
        )
    return rows


def revenue_gap(rows: list[ObjectiveRow]) -> Decimal | None:
    """The revenue objective (all categories) − its forecast; None without one."""
    for row in rows:
        o = row.objective
        if o.measure == Objective.Measure.REVENUE and not o.category:
            forecast = row.progress.expected
            if forecast is None:
                forecast = row.progress.actual or ZERO
            return o.target - forecast
    return None


# --- share of wallet ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WalletRow:
    category: str  # "" = the whole wallet
    cells: list[WalletShare | None]  # one per year of the table

    @property
    def label(self) -> str:
        return self.category or str(_("Whole wallet"))

    @property
    def trend(self) -> float | None:
        """Change of the share from the first to the last year with one, in percentage points."""
        shares = [c.share for c in self.cells if c is not None and c.share is not None]
        return (shares[-1] - shares[0]) * 100 if len(shares) > 1 else None


@dataclass(frozen=True, slots=True)
class WalletTable:
    years: list[int]
    rows: list[WalletRow]


def confidence_label(value: str) -> str:
    try:
        return str(WalletEstimate.Confidence(value).label)
    except ValueError:
        return value


def wallet_table(client: Client) -> WalletTable:
    """Share of wallet per category (rows) and year (columns), every year with an estimate."""
    years = sorted(set(WalletEstimate.objects.filter(client=client).values_list("year", flat=True)))
    shares = share_of_wallet(client=client, years=years)
    by_key = {(s.category, s.year): s for s in shares}
    categories = sorted({s.category for s in shares}, key=lambda c: (c != "", c))
    rows = [WalletRow(c, [by_key.get((c, y)) for y in years]) for c in categories]
    return WalletTable(years, rows)


# --- the whole plan, for the exports ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    depth: int  # 0 at the top of a reports-to line
    person: Stakeholder


def people_of(roots: list[StakeholderNode]) -> list[Person]:
    """The buying centre in reading order: each person followed by who reports to them."""
    found: list[Person] = []

    def walk(nodes: list[StakeholderNode], depth: int) -> None:
        for node in sorted(nodes, key=lambda n: (-n.person.influence, n.person.name)):
            found.append(Person(depth, node.person))
            walk(node.reports, depth + 1)

    walk(roots, 0)
    return found


@dataclass(frozen=True, slots=True)
class Sheet:
    client: Client
    year: int
    plan: AccountPlan | None
    facts: Facts
    objectives: list[ObjectiveRow]
    wallet: WalletTable
    people: list[Person]
    gaps: list[Stakeholder]
    deals: list[Opportunity]  # open deals
    pipe: Pipeline
    competitors: list[CompetitorPresence]
    tasks: list[Task]  # open tasks and asks
    with_margin: bool
    made_on: dt.date


def sheet_of(account: Account, year: int, user: Any) -> Sheet:
    client = account.client
    with_margin = can_see_margins(user)
    rows = objective_rows(client, year, with_margin=with_margin)
    roots, gaps = buying_centre(client)
    return Sheet(
        client=client,
        year=year,
        plan=current_plan(client, year),
        facts=facts_of(client, year, with_margin=with_margin),
        objectives=rows,
        wallet=wallet_table(client),
        people=people_of(roots),
        gaps=gaps,
        deals=list(
            Opportunity.objects.filter(client=client, stage__in=Opportunity.OPEN)
            .select_related("owner")
            .prefetch_related("competitors")
        ),
        pipe=pipeline(client=client, year=year, revenue_gap=revenue_gap(rows)),
        competitors=list(
            CompetitorPresence.objects.filter(client=client).select_related("competitor")
        ),
        tasks=list(tasks_of(client).filter(status__in=Task.ACTIVE).order_by("due_on", "id")),
        with_margin=with_margin,
        made_on=timezone.localdate(),
    )
