"""A believable account plan for every demo key account.

Deterministic (seeded by the client id) and idempotent: an account that has a
plan already is left alone. The demo writes its records directly and leaves
one audit event per account ("demo plan"), not one per field. Figures are set
from the account's own ledger history, so objectives, forecasts and gaps look
like a real manager's.
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from kam.accounts.models import WalletEstimate
from kam.analytics.client_selectors import category_revenue
from kam.analytics.models import ClientYearMetric, from_micros
from kam.audit.models import AuditEvent
from kam.audit.services import Actor, audit_event
from kam.clients.models import AccountTeamMember, Client
from kam.ledger.store import Store
from kam.people.models import Role, User
from kam.planning.actuals import account_months_refresh, ledger_as_of
from kam.planning.models import (
    AccountPlan,
    Competitor,
    CompetitorAction,
    CompetitorPresence,
    MarketNote,
    NegotiationEntry,
    Objective,
    Opportunity,
    PurchasingStep,
    Stakeholder,
    Task,
)

COMPETITORS = (
    ("Baumax Distribuție", "baumax-distributie.example"),
    ("Constructo Trade", "constructo.example"),
    ("ProMaterial Grup", "promaterial.example"),
    ("EuroSanit Import", "eurosanit.example"),
)
PEOPLE = (
    ("Andrei Popescu", "Director general", Stakeholder.Role.DECISION_MAKER, 5),
    ("Ioana Dumitrescu", "Director achiziții", Stakeholder.Role.BUYER, 5),
    ("Mihai Georgescu", "Șef șantier", Stakeholder.Role.USER, 3),
    ("Elena Stan", "Director financiar", Stakeholder.Role.INFLUENCER, 4),
    ("Radu Ionescu", "Asistent achiziții", Stakeholder.Role.GATEKEEPER, 2),
)
STEPS = (
    ("Need raised by the site teams", "Monthly material plan per site."),
    ("Request for quotation", "Three suppliers asked; price and delivery time compared."),
    ("Technical approval", "The site manager checks product data sheets."),
    ("Commercial approval", "Purchasing director negotiates; finance approves above budget."),
    ("Framework order", "Quarterly call-off orders against the agreed price list."),
)
SYSTEM = Actor(user=None, interface=AuditEvent.Interface.SYSTEM, label="demo")


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("1"))


@transaction.atomic
def planning_demo_seed(*, store: Store) -> int:
    """Plans for the key accounts that have none; returns how many accounts got one."""
    as_of = ledger_as_of()
    if as_of is None:
        return 0
    year = (as_of - dt.timedelta(days=1)).year
    accounts = [
        c
        for c in Client.objects.filter(is_key_account=True).select_related("manager")
        if not AccountPlan.objects.filter(client=c).exists()
    ]
    if not accounts:
        return 0
    account_months_refresh(store=store, clients=accounts)
    competitors = [
        Competitor.objects.get_or_create(name=name, defaults={"website": site})[0]
        for name, site in COMPETITORS
    ]
    _market_notes(year)
    people = list(User.objects.filter(is_active=True).exclude(role=Role.ADMIN))
    today = timezone.localdate()  # deals, logs and tasks are dated around today
    for client in accounts:
        _seed_account(client, year, today, competitors, people)
        audit_event(
            actor=SYSTEM,
            action=AuditEvent.Action.CREATE,
            entity="planning.AccountPlan",
            entity_id=client.external_id,
            detail="demo plan",
        )
    return len(accounts)


def _market_notes(year: int) -> None:
    if MarketNote.objects.filter(year=year + 1).exists():
        return
    notes = (
        ("", Decimal("0.04"), "Construction output", "Residential permits up, public works flat."),
        ("Izolații", Decimal("0.09"), "Energy renovation", "Subsidised insulation of homes."),
        ("Scule electrice", Decimal("-0.02"), "Tools", "Contractors delay replacing tools."),
        ("Vopsele", Decimal("0.03"), "Finishes", "Stable demand; price pressure from imports."),
    )
    for segment, growth, title, body in notes:
        for y in (year, year + 1):
            MarketNote.objects.create(
                segment=segment,
                year=y,
                title=title,
                body=body,
                growth=growth,
                source="Market study, national statistics",
                noted_on=dt.date(y - 1, 12, 1),
            )


def _seed_account(
    client: Client,
    year: int,
    today: dt.date,
    competitors: list[Competitor],
    people: list[User],
) -> None:
    rng = random.Random(zlib.crc32(client.external_id.encode()))
    metric = ClientYearMetric.objects.filter(client=client, year=year).first()
    previous = ClientYearMetric.objects.filter(client=client, year=year - 1).first()
    revenue = from_micros(metric.revenue_micros) if metric else Decimal(0)
    last = from_micros(previous.revenue_micros) if previous else revenue
    base = max(revenue, last, Decimal(1000))
    owner = client.manager or next((p for p in people if p.role == Role.DIRECTOR), None)
    team = [m.user for m in AccountTeamMember.objects.filter(client=client).select_related("user")]

    plan = AccountPlan.objects.create(
        client=client,
        year=year + 1,
        summary=(
            f"Grow {client.name} from a price-list buyer into a partner for its sites: "
            "win the insulation range, secure the framework agreement for next year, "
            "and open the technical contact at site level."
        ),
        strategy="Expands in residential projects in the region; wants fewer, reliable suppliers.",
        needs="Delivery to site within 48 h; technical support; consolidated monthly invoicing.",
        strengths="Broad range in stock; delivery reliability; long history with purchasing.",
        weaknesses="Prices above the cheapest importer on tools; few contacts at site level.",
        opportunities="Energy-renovation subsidies; the client's new residential projects.",
        threats="Competitors offering lower list prices; the client's cash-flow pressure.",
        created_by=owner,
    )
    plan.status = AccountPlan.Status.APPROVED
    plan.approved_at = plan.created_at
    plan.save(update_fields=["status", "approved_at"])

    bought = category_revenue(year=year, client_ids=[client.pk]).get(client.pk, {})
    objectives = [
        Objective(
            client=client, year=year, measure="revenue", target=_money(base * Decimal("1.08"))
        ),
        Objective(client=client, year=year, measure="range", target=Decimal(len(bought) + 1)),
        Objective(
            client=client, year=year + 1, measure="revenue", target=_money(base * Decimal("1.12"))
        ),
    ]
    if metric and metric.costed_revenue_micros:
        margin = from_micros(metric.costed_revenue_micros - metric.cost_micros)
        objectives.append(
            Objective(
                client=client, year=year, measure="margin", target=_money(margin * Decimal("1.05"))
            )
        )
    wallet = WalletEstimate.objects.filter(client=client, year=year, category="").first()
    if wallet is not None and wallet.amount > 0:
        share = (revenue / wallet.amount).quantize(Decimal("0.0001"))
        objectives.append(
            Objective(
                client=client,
                year=year,
                measure="share_of_wallet",
                target=min(share + Decimal("0.05"), Decimal(1)),
            )
        )
    for o in objectives:
        o.created_by = owner
        o.note = "Agreed at the annual review."
    Objective.objects.bulk_create(objectives)

    stakeholders: list[Stakeholder] = []
    for i, (name, title, role, influence) in enumerate(PEOPLE):
        stakeholders.append(
            Stakeholder.objects.create(
                client=client,
                name=name,
                title=title,
                role=role,
                influence=influence,
                attitude=rng.choice((-1, 0, 1, 1, 2)),
                reports_to=stakeholders[0]
                if i in (1, 3)
                else (stakeholders[1] if i in (2, 4) else None),
                # the financial director is left without an owner: a coverage gap to close
                owner=None if i == 3 else (owner if i < 2 else rng.choice(team or [owner])),
                email=f"{name.split()[0].lower()}@{client.external_id.lower()}.example",
            )
        )
    for position, (name, description) in enumerate(STEPS, start=1):
        PurchasingStep.objects.create(
            client=client,
            position=position,
            name=name,
            description=description,
            stakeholder=stakeholders[min(position - 1, len(stakeholders) - 1)],
        )

    present = rng.sample(competitors, k=2)
    for competitor, share in zip(present, (Decimal("0.25"), Decimal("0.15")), strict=True):
        CompetitorPresence.objects.create(
            client=client,
            competitor=competitor,
            estimated_share=share,
            price_position=rng.choice(("lower", "similar", "higher")),
            notes="Strong on price lists; weaker on delivery to site.",
        )
        CompetitorAction.objects.create(
            competitor=competitor,
            client=client,
            happened_on=today - dt.timedelta(days=rng.randint(5, 60)),
            kind=rng.choice(("price", "promotion", "launch")),
            description="Offered 5 % off the insulation range for a quarterly commitment.",
            source="The client's purchasing director",
            entered_by=owner,
        )

    close = today + dt.timedelta(days=rng.randint(20, 120))
    deals = (
        ("Insulation range for the new residential project", "proposal", 40, "Izolații"),
        ("Framework agreement next year", "negotiation", 60, ""),
        ("Power tools replacement", "qualified", 25, "Scule electrice"),
    )
    for title, stage, probability, category in deals:
        deal = Opportunity.objects.create(
            client=client,
            title=title,
            stage=stage,
            value=_money(base * Decimal(rng.uniform(0.05, 0.2))),
            probability=probability,
            expected_close=close,
            categories=category,
            owner=owner,
        )
        deal.competitors.set(present[:1])
        NegotiationEntry.objects.create(
            client=client,
            opportunity=deal,
            happened_on=today - dt.timedelta(days=rng.randint(3, 30)),
            summary="Presented the offer; the client asks for a longer payment term.",
            outcome="Send a revised offer with 45-day terms by the end of the week.",
            entered_by=owner,
        )

    revenue_objective = next(o for o in objectives if o.measure == "revenue" and o.year == year + 1)
    tasks = (
        ("Meet the financial director", "", 10),
        ("Send the revised framework offer", "", 5),
        ("Technical data sheets for the insulation range", "rnd", 14),
        ("Check delivery slots for the new project", "logistics", -3),  # overdue
    )
    for title, function, days in tasks:
        assignee = owner
        if function:
            assignee = next((p for p in people if p.team and p.team.function == function), owner)
        if assignee is None:
            continue
        Task.objects.create(
            client=client,
            objective=revenue_objective,
            title=title,
            owner=assignee,
            function=function,
            requested_by=owner,
            due_on=today + dt.timedelta(days=days),
        )
