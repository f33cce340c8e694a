"""A believable key-account organisation on the demo ledger.

Teams nested under Management (the KAM director's): two KAM teams with their
leads, and Service, R&D, Logistics and Finance; four key-account managers and
the people of the other functions (they sign in with `DEMO_PEOPLE_PASSWORD`,
never in production). The largest clients of the latest year get what people
would have entered — partnership intent, our position against competitors,
wallet estimates (whole, or per category) with their source and confidence —
for that year and the one before, so the matrix shows movement. Ten of them
are designated key accounts over the three tiers, with a reason, a manager,
an account team of three to five people and the relationship's stages with
their evidence.

Deterministic (seeded), idempotent (what exists already is left alone, so a
second run changes nothing), and written through the services as the system
(label "demo"), so every record is in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kam.accounts.models import (
    Designation,
    PartnershipIntent,
    PositionRating,
    RelationshipStage,
    WalletEstimate,
)
from kam.accounts.services import (
    WalletRow,
    account_team_add,
    key_account_designate,
    partnership_intent_record,
    position_rating_record,
    relationship_stage_record,
    wallet_estimates_save,
)
from kam.analytics.client_selectors import category_revenue
from kam.analytics.models import ClientYearMetric, from_micros
from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.clients.models import AccountTeamMember, Client
from kam.people.models import Function, Role, Team, User
from kam.people.services import (
    DEMO_USERNAME,
    demo_user_ensure,
    team_create,
    team_update,
    user_create,
    user_update,
)

SYSTEM = Actor(user=None, interface=AuditEvent.Interface.SYSTEM, label="demo")
SEED = 7
SCORED = 16  # the largest clients that get scoring inputs
KEY_ACCOUNTS = (("1", 3), ("2", 4), ("3", 3))  # tier, how many

# username, first name, last name, role, team
PEOPLE = (
    ("ioana.marin", "Ioana", "Marin", Role.KEY_ACCOUNT_MANAGER, "KAM North"),
    ("andrei.pop", "Andrei", "Pop", Role.KEY_ACCOUNT_MANAGER, "KAM North"),
    ("mihai.stoica", "Mihai", "Stoica", Role.KEY_ACCOUNT_MANAGER, "KAM South"),
    ("elena.dinu", "Elena", "Dinu", Role.KEY_ACCOUNT_MANAGER, "KAM South"),
    ("ana.lazar", "Ana", "Lazăr", Role.SERVICE, "Service"),
    ("dan.voicu", "Dan", "Voicu", Role.SERVICE, "Service"),
    ("radu.enache", "Radu", "Enache", Role.TEAM_MEMBER, "R&D"),
    ("sorina.matei", "Sorina", "Matei", Role.TEAM_MEMBER, "R&D"),
    ("cristina.neagu", "Cristina", "Neagu", Role.TEAM_MEMBER, "Logistics"),
    ("victor.ilie", "Victor", "Ilie", Role.TEAM_MEMBER, "Logistics"),
    ("george.tudor", "George", "Tudor", Role.ANALYST, "Finance"),
    ("maria.constantin", "Maria", "Constantin", Role.TEAM_MEMBER, "Finance"),
)
# name, function, lead (a username; DEMO_USERNAME is the KAM director), parent
TEAMS = (
    ("Management", Function.MANAGEMENT, DEMO_USERNAME, None),
    ("KAM North", Function.KAM, "ioana.marin", "Management"),
    ("KAM South", Function.KAM, "mihai.stoica", "Management"),
    ("Service", Function.SERVICE, "ana.lazar", "Management"),
    ("R&D", Function.RND, "radu.enache", "Management"),
    ("Logistics", Function.LOGISTICS, "cristina.neagu", "Management"),
    ("Finance", Function.FINANCE, "george.tudor", "Management"),
)
MANAGERS = ("ioana.marin", "mihai.stoica", "andrei.pop", "elena.dinu")
# who may sit on an account team: username, function on the account, role
TEAM_POOL = (
    ("radu.enache", "rnd", "Technical contact: data sheets and approvals"),
    ("sorina.matei", "rnd", "Product trials on the client's sites"),
    ("cristina.neagu", "logistics", "Delivery slots to the client's sites"),
    ("victor.ilie", "logistics", "Stock reserved for the framework orders"),
    ("ana.lazar", "service", "Complaints and returns"),
    ("dan.voicu", "service", "On-site service visits"),
    ("maria.constantin", "finance", "Credit limit and payment terms"),
)
REASONS = {
    "1": "Among our three largest clients in {year}; wants a framework agreement and joint "
    "planning of its projects.",
    "2": "Top ten by net revenue in {year}, buying across the range; room to grow our share.",
    "3": "Growing and willing to work closer; a key account now secures the growth.",
}
STAGES = {
    "1": (
        ("cooperative", "Quarterly reviews with purchasing; shared forecast of site needs."),
        ("interdependent", "Framework agreement signed; our stock is planned on its projects."),
    ),
    "2": (
        ("basic", "Orders by price list; one contact in purchasing."),
        ("cooperative", "Technical and logistics contacts met; a yearly review agreed."),
    ),
    "3": (
        ("exploratory", "First projects quoted; the buyer compares three suppliers."),
        ("basic", "Regular monthly orders on the price list."),
    ),
}
SOURCES = (
    ("The client's annual report", "high"),
    ("Purchasing director, annual review", "medium"),
    ("Trade association statistics", "medium"),
    ("Our estimate from its number of sites", "low"),
)
INTENT_NOTES = {
    5: "Asked for a multi-year framework agreement.",
    4: "Wants fewer suppliers and invited us to plan with them.",
    3: "Open to talks; no commitment yet.",
    2: "Buys on price, tender by tender.",
    1: "Says it will not tie itself to one supplier.",
}
POSITION_NOTES = {
    5: "Preferred supplier; competitors only for niche items.",
    4: "Main supplier with one serious competitor.",
    3: "One of three regular suppliers.",
    2: "Second choice behind a cheaper importer.",
    1: "Occasional supplier.",
}


def demo_people_password() -> str:
    return os.environ.get("KAM_DEMO_PEOPLE_PASSWORD", "kam-demo-people")


@dataclass(slots=True)
class DemoOrganisation:
    """What a run added (all zero on a second run)."""

    teams: int = 0
    people: list[str] = field(default_factory=list)
    key_accounts: int = 0
    inputs: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.teams or self.people or self.key_accounts or self.inputs)


def _years() -> tuple[int, int] | None:
    latest = (
        ClientYearMetric.objects.filter(revenue_micros__gt=0)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
    return None if latest is None else (latest - 1, latest)


def _largest(year: int) -> list[Client]:
    ids = list(
        ClientYearMetric.objects.filter(year=year, revenue_micros__gt=0)
        .order_by("-revenue_micros", "client__external_id")
        .values_list("client_id", flat=True)[:SCORED]
    )
    by_id = Client.objects.select_related("manager").in_bulk(ids)
    return [by_id[i] for i in ids]


@transaction.atomic
def accounts_demo_seed() -> DemoOrganisation:
    """The demo organisation and key accounts; nothing in production or on an empty ledger."""
    done = DemoOrganisation()
    years = _years()
    if settings.PRODUCTION or years is None:
        return done
    demo_user_ensure()
    teams = _teams(done)
    people = _people(teams, done)
    _leads(teams, people)
    clients = _largest(years[1])
    rng = random.Random(SEED)
    for rank, client in enumerate(clients):
        _inputs(client, rank, years, rng, done)
    _key_accounts(clients, years[1], people, rng, done)
    return done


def _teams(done: DemoOrganisation) -> dict[str, Team]:
    """The teams, nested; their leads are set once the people exist."""
    teams = {t.name: t for t in Team.objects.filter(name__in=[t[0] for t in TEAMS])}
    for name, function, _lead, parent in TEAMS:
        if name not in teams:
            teams[name] = team_create(
                name=name,
                actor=SYSTEM,
                parent=teams.get(parent) if parent else None,
                function=function,
            )
            done.teams += 1
    return teams


def _people(teams: dict[str, Team], done: DemoOrganisation) -> dict[str, User]:
    known = {u.username: u for u in User.objects.filter(username__in=[p[0] for p in PEOPLE])}
    for username, first, last, role, team in PEOPLE:
        if username not in known:
            known[username] = user_create(
                username=username,
                password=demo_people_password(),
                role=role,
                first_name=first,
                last_name=last,
                email=f"{username}@example.com",
                team=teams[team],
                actor=SYSTEM,
            )
            done.people.append(username)
    director = User.objects.filter(username=DEMO_USERNAME).first()
    if director is not None:
        known[DEMO_USERNAME] = director
        if director.team_id is None:
            user_update(
                user=director,
                actor=SYSTEM,
                first_name=director.first_name,
                last_name=director.last_name,
                email=director.email,
                role=director.role,
                team=teams["Management"],
                is_active=director.is_active,
            )
    return known


def _leads(teams: dict[str, Team], people: dict[str, User]) -> None:
    """Each team without a lead gets the demo's."""
    for name, _function, lead, _parent in TEAMS:
        team = teams[name]
        if team.lead_id is None and lead in people:
            team_update(
                team=team, actor=SYSTEM, name=team.name, lead=people[lead], parent=team.parent
            )


def _on(year: int) -> dt.date:
    """A date in `year` when people typically review their accounts (never in the future)."""
    return min(dt.date(year, 6, 30), timezone.localdate())


def _inputs(
    client: Client, rank: int, years: tuple[int, int], rng: random.Random, done: DemoOrganisation
) -> None:
    """Partnership intent, our position and wallet estimates for both years."""
    # Draw every number first, so the sequence does not depend on what already exists.
    intents = [min(5, max(1, 4 - rank // 5 + rng.choice((-1, 0, 0, 1)))) for _ in years]
    positions = [min(5, max(1, rng.choice((2, 3, 3, 4, 4, 5)))) for _ in years]
    shares = [Decimal(str(round(rng.uniform(0.25, 0.85), 2))) for _ in years]
    source, confidence = SOURCES[rng.randrange(len(SOURCES))]
    per_category = rank % 3 == 1
    if not PartnershipIntent.objects.filter(client=client).exists():
        for year, rating in zip(years, intents, strict=True):
            partnership_intent_record(
                actor=SYSTEM,
                client=client,
                rating=rating,
                noted_on=_on(year),
                note=INTENT_NOTES[rating],
            )
            done.inputs += 1
    if not PositionRating.objects.filter(client=client).exists():
        for year, rating in zip(years, positions, strict=True):
            position_rating_record(
                actor=SYSTEM,
                client=client,
                rating=rating,
                noted_on=_on(year),
                note=POSITION_NOTES[rating],
            )
            done.inputs += 1
    if WalletEstimate.objects.filter(client=client).exists():
        return
    rows: list[WalletRow] = []
    for year, share in zip(years, shares, strict=True):
        rows.extend(_wallet_rows(client, year, share, per_category, source, confidence))
    if rows:
        created, _changed = wallet_estimates_save(actor=SYSTEM, rows=rows)
        done.inputs += created


def _wallet_rows(
    client: Client, year: int, share: Decimal, per_category: bool, source: str, confidence: str
) -> list[WalletRow]:
    """The wallet our revenue would be `share` of: whole, or for the client's three largest
    categories."""
    bought = category_revenue(year=year, client_ids=[client.pk]).get(client.pk, {})
    if per_category and any(bought):
        largest = sorted(
            ((c, v) for c, v in bought.items() if c and v > 0), key=lambda cv: (-cv[1], cv[0])
        )[:3]
        return [
            WalletRow(client.external_id, year, category, _amount(ours / share), source, confidence)
            for category, ours in largest
        ]
    metric = ClientYearMetric.objects.filter(client=client, year=year).first()
    if metric is None or metric.revenue_micros <= 0:
        return []
    ours = from_micros(metric.revenue_micros)
    return [WalletRow(client.external_id, year, "", _amount(ours / share), source, confidence)]


def _amount(value: Decimal) -> str:
    return str(value.quantize(Decimal("1000")) if value >= 10_000 else value.quantize(Decimal("1")))


def _key_accounts(
    clients: list[Client],
    year: int,
    people: dict[str, User],
    rng: random.Random,
    done: DemoOrganisation,
) -> None:
    tiers = [tier for tier, count in KEY_ACCOUNTS for _ in range(count)]
    for index, (client, tier) in enumerate(zip(clients, tiers, strict=False)):
        manager = people[MANAGERS[index % len(MANAGERS)]]
        team_size = rng.randint(3, 5)
        staff = rng.sample(TEAM_POOL, k=team_size)
        if Designation.objects.filter(client=client).exists():
            continue
        key_account_designate(
            actor=SYSTEM,
            client=client,
            tier=tier,
            reason=REASONS[tier].format(year=year),
            manager=manager if client.manager is None else None,
            handover_note="",
        )
        done.key_accounts += 1
        for username, function, role in staff:
            if not AccountTeamMember.objects.filter(client=client, user=people[username]).exists():
                account_team_add(
                    actor=SYSTEM,
                    client=client,
                    user=people[username],
                    function=function,
                    role_on_account=role,
                )
        if not RelationshipStage.objects.filter(client=client).exists():
            for (stage, evidence), noted_on in zip(
                STAGES[tier], (_on(year - 1), _on(year)), strict=True
            ):
                relationship_stage_record(
                    actor=SYSTEM, client=client, stage=stage, noted_on=noted_on, evidence=evidence
                )
