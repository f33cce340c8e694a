"""Reads of the account work: the buying centre, the pipeline, who sees which competitor
actions, a person's queue and white space."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from kam.clients.models import AccountTeamMember, Client
from kam.ledger.services import ledger_import
from kam.ledger.store import Store
from kam.people.models import User
from kam.people.services import user_create
from kam.planning.models import (
    Competitor,
    CompetitorAction,
    Opportunity,
    Stakeholder,
    Task,
)
from kam.planning.selectors import (
    buying_centre,
    competitor_actions,
    is_overdue,
    pipeline,
    queue_of,
    white_space,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"
DAY = dt.date(2026, 6, 1)


def _user(username: str, role: str) -> User:
    return user_create(username=username, password=PASSWORD, role=role)


@pytest.fixture
def c1() -> Client:
    return Client.objects.create(external_id="C1", name="Alpha", is_key_account=True)


def _person(client: Client, name: str, influence: int, **extra: object) -> Stakeholder:
    return Stakeholder.objects.create(
        client=client, name=name, role="influencer", influence=influence, **extra
    )


def test_buying_centre_is_a_forest_by_reports_to_with_the_gaps(c1: Client) -> None:
    owner = _user("kam", "kam")
    ceo = _person(c1, "Ceo", 5, owner=owner)
    cfo = _person(c1, "Cfo", 4, reports_to=ceo)  # influential, nobody owns: a gap
    buyer = _person(c1, "Buyer", 3, reports_to=cfo)  # not influential enough to be a gap
    loner = _person(c1, "Loner", 5)  # a gap at the top
    _person(Client.objects.create(external_id="C2", name="Beta"), "Elsewhere", 5)

    roots, gaps = buying_centre(c1)
    assert {n.person for n in roots} == {ceo, loner}
    top = next(n for n in roots if n.person == ceo)
    assert [n.person for n in top.reports] == [cfo]
    assert [n.person for n in top.reports[0].reports] == [buyer]
    assert {g.name for g in gaps} == {"Cfo", "Loner"}


def test_a_reports_to_loop_ends_at_the_top_and_does_not_recurse(c1: Client) -> None:
    a = _person(c1, "A", 2)
    b = _person(c1, "B", 2, reports_to=a)
    c = _person(c1, "C", 2, reports_to=b)
    Stakeholder.objects.filter(pk=a.pk).update(reports_to=c)  # A → C → B → A
    roots, gaps = buying_centre(c1)

    def walk(nodes: list, depth: int = 0) -> list[str]:  # type: ignore[type-arg]
        assert depth < 10
        return [x for n in nodes for x in (n.person.name, *walk(n.reports, depth + 1))]

    names = walk(roots)
    assert sorted(names) == ["A", "B", "C"]  # each once
    assert gaps == []


def _deal(client: Client, stage: str, value: int, probability: int, year: int = 2026) -> None:
    Opportunity.objects.create(
        client=client,
        title=f"{stage} {value}",
        stage=stage,
        value=value,
        probability=probability,
        expected_close=dt.date(year, 9, 1),
    )


def test_pipeline_weighs_open_deals_of_the_year_against_the_gap(c1: Client) -> None:
    _deal(c1, "lead", 1000, 10)
    _deal(c1, "negotiation", 4000, 75)
    _deal(c1, "won", 2500, 100)
    _deal(c1, "lost", 9000, 50)
    _deal(c1, "proposal", 7000, 50, year=2027)
    pipe = pipeline(client=c1, year=2026, revenue_gap=Decimal(6200))
    assert pipe.open_value == Decimal(5000)
    assert pipe.weighted == Decimal("3100.00")  # 100 + 3,000
    assert pipe.won == Decimal(2500)
    assert pipe.covered == pytest.approx(0.5)
    assert pipeline(client=c1, year=2026, revenue_gap=None).covered is None
    # the forecast beats the objective: nothing to cover
    assert pipeline(client=c1, year=2026, revenue_gap=Decimal(-10)).covered is None


def test_competitor_actions_are_cut_by_the_access_rule(c1: Client) -> None:
    kam, team, service, analyst = (
        _user("kam", "kam"),
        _user("team", "team"),
        _user("service", "service"),
        _user("analyst", "analyst"),
    )
    c1.manager = kam
    c1.save()
    AccountTeamMember.objects.create(client=c1, user=team, function="sales")
    other = Client.objects.create(external_id="C2", name="Beta")  # not a key account
    rival = Competitor.objects.create(name="Rival")
    made = {}
    for label, client in (("c1", c1), ("other", other), ("market", None)):
        made[label] = CompetitorAction.objects.create(
            competitor=rival,
            client=client,
            happened_on=DAY,
            kind="price",
            description=label,
            source="x",
        )

    def seen(user: User) -> set[str]:
        return {a.description for a in competitor_actions(user=user)}

    assert seen(kam) == {"c1", "market"}
    assert seen(team) == {"c1", "market"}
    assert seen(service) == {"c1", "market"}  # service sees key accounts
    assert seen(analyst) == {"c1", "other", "market"}
    assert list(competitor_actions(user=kam, client=c1)) == [made["c1"]]


def test_queue_of_holds_a_persons_open_tasks_across_accounts_soonest_first(c1: Client) -> None:
    me, someone = _user("rd", "team"), _user("kam", "kam")
    c2 = Client.objects.create(external_id="C2", name="Beta")
    late = Task.objects.create(client=c2, title="late", owner=me, due_on=DAY, function="rnd")
    later = Task.objects.create(
        client=c1, title="later", owner=me, due_on=DAY + dt.timedelta(days=5), status="in_progress"
    )
    Task.objects.create(client=c1, title="done", owner=me, due_on=DAY, status="done")
    Task.objects.create(client=c1, title="cancelled", owner=me, due_on=DAY, status="cancelled")
    Task.objects.create(client=c1, title="theirs", owner=someone, due_on=DAY)
    assert list(queue_of(me)) == [late, later]
    assert is_overdue(late, DAY + dt.timedelta(days=1))
    assert not is_overdue(late, DAY)  # due today is not late
    done = Task.objects.get(title="done")
    assert not is_overdue(done, DAY + dt.timedelta(days=30))


@pytest.fixture
def northwind(store: Store, data_dir: Path) -> Store:
    assert ledger_import(store=store, paths=[data_dir / "northwind_order_lines.csv.gz"]).ok
    return store


def test_white_space_covers_visible_key_accounts_and_hides_names_it_may_not_show(
    northwind: Store,
) -> None:
    kam, other = _user("kam", "kam"), _user("kam2", "kam")
    Client.objects.filter(external_id__in=["ANATR", "OCEAN"]).update(
        is_key_account=True, manager=kam
    )
    Client.objects.filter(external_id="THEBI").update(is_key_account=True, manager=other)
    space = white_space(user=kam, year=1997)
    assert [c.external_id for c, _ in space.rows] == ["ANATR", "OCEAN"]  # by name
    mine = {c.pk: bought for c, bought in space.rows}
    assert set(space.recommendations) <= set(mine)
    names = set(Client.objects.values_list("name", flat=True))
    visible = {c.name for c, _ in space.rows}
    masked = 0
    for pk, recs in space.recommendations.items():
        assert recs, "every account that bought gets something to offer"
        for r in recs:
            assert r.category not in mine[pk]  # never what it buys
            assert 0 < r.strength <= 1
            for name, similarity in r.because:
                assert 0 < similarity <= 1
                assert name == "—" or name in visible  # nobody they may not see is named
                masked += name == "—"
                assert name == "—" or name in names
    assert masked > 0  # the neighbours are mostly clients the manager does not see

    everything = white_space(user=_user("director", "director"), year=1997)
    assert [c.external_id for c, _ in everything.rows] == ["ANATR", "OCEAN", "THEBI"]
    assert all(
        n != "—" for recs in everything.recommendations.values() for r in recs for n, _ in r.because
    )
