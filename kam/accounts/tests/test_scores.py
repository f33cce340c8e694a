"""Scores of a year on a real ledger (Northwind): the population, the criteria, the cache."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from kam.accounts.selectors import CandidateFilters, candidates, scores_of
from kam.accounts.services import (
    WalletRow,
    partnership_intent_record,
    position_rating_record,
    scoring_model_default,
    scoring_model_save,
    wallet_estimates_save,
)
from kam.analytics.core.scoring import CRITERIA
from kam.analytics.models import ClientYearMetric, from_micros
from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.clients.models import Client
from kam.ledger.services import ledger_import
from kam.ledger.store import Store
from kam.people.models import Role, User
from kam.people.services import user_create

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct-horse-battery-9"
YEAR = 1997
LEDGER = "northwind_order_lines.csv.gz"


@pytest.fixture
def northwind(store: Store, data_dir: Path) -> Path:
    assert ledger_import(store=store, paths=[data_dir / LEDGER]).ok
    return data_dir


@pytest.fixture
def director() -> User:
    return user_create(username="dana", password=PASSWORD, role=Role.DIRECTOR)


def _as(user: User) -> Actor:
    return Actor(user=user, interface=AuditEvent.Interface.WEB)


def _id(external_id: str) -> int:
    return Client.objects.get(external_id=external_id).pk


def test_every_client_of_the_population_is_scored_and_ranked(northwind: Path) -> None:
    expected = json.loads((northwind / "northwind_expected.json").read_text())
    for year in (1996, 1997, 1998):
        scores = scores_of(year=year)
        population = set(
            ClientYearMetric.objects.filter(year=year, revenue_micros__gt=0).values_list(
                "client_id", flat=True
            )
        )
        assert set(scores.by_client) == population
        assert len(population) == expected[str(year)]["clients"]
        assert sorted(scores.order) == sorted(population)
        assert [scores.by_client[c].rank for c in scores.order] == list(
            range(1, len(population) + 1)
        )
        totals = [scores.by_client[c].score.total for c in scores.order]
        assert all(t is not None for t in totals)
        assert totals == sorted(totals, reverse=True)  # type: ignore[type-var]


def test_volume_is_ordered_like_revenue(northwind: Path) -> None:
    figures = list(scores_of(year=YEAR).by_client.values())
    for a in figures:
        for b in figures:
            va, vb = a.criteria["volume"], b.criteria["volume"]
            assert va is not None and vb is not None
            if a.revenue < b.revenue:
                assert va < vb
            elif a.revenue == b.revenue:
                assert va == vb
    assert max(f.criteria["volume"] or 0 for f in figures) == 100
    assert min(f.criteria["volume"] or 0 for f in figures) == 0


def test_growth_is_missing_exactly_where_the_previous_year_is_not_positive(
    northwind: Path,
) -> None:
    previous = {
        c: from_micros(r)
        for c, r in ClientYearMetric.objects.filter(year=YEAR - 1).values_list(
            "client_id", "revenue_micros"
        )
    }
    figures = scores_of(year=YEAR).by_client
    missing = {c for c, f in figures.items() if f.growth is None}
    assert missing == {c for c in figures if previous.get(c, Decimal(0)) <= 0}
    assert 0 < len(missing) < len(figures)  # both cases occur in the data
    for client_id, f in figures.items():
        assert (f.criteria["growth"] is None) == (f.growth is None)
        assert ("growth" in f.score.missing) == (f.growth is None)
        if f.growth is not None:
            before = previous[client_id]
            assert f.growth == pytest.approx(float((f.revenue - before) / before))


def test_price_sensitivity_comes_from_the_snapshot(northwind: Path) -> None:
    metrics = {
        m.client_id: m for m in ClientYearMetric.objects.filter(year=YEAR, revenue_micros__gt=0)
    }
    figures = scores_of(year=YEAR).by_client
    for client_id, f in figures.items():
        m = metrics[client_id]
        if m.reference_micros > 0:
            assert f.discount == pytest.approx(1 - m.priced_revenue_micros / m.reference_micros)
            assert f.criteria["price_sensitivity"] is not None
        else:
            assert f.discount is None and f.criteria["price_sensitivity"] is None
    # the one taking the largest average discount is the most price-sensitive: score 0
    discounts = {c: f.discount for c, f in figures.items() if f.discount is not None}
    most = max(discounts, key=lambda c: discounts[c])
    assert figures[most].criteria["price_sensitivity"] == 0


def test_discounts_match_the_ledger_against_the_market_price(northwind: Path) -> None:
    """Northwind has no list price: the reference is the product's average price that year."""
    lines = []
    with gzip.open(northwind / LEDGER, "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["order_date"].startswith(str(YEAR)):
                quantity, net = Decimal(row["quantity"]), Decimal(row["line_net_amount"])
                if quantity > 0 and net > 0:
                    lines.append((row["customer_id"], row["product_id"], quantity, net))
    sold: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    buyers: dict[str, set[str]] = defaultdict(set)
    for client, product, quantity, net in lines:
        sold[product][0] += net
        sold[product][1] += quantity
        buyers[product].add(client)
    paid: dict[str, Decimal] = defaultdict(Decimal)
    reference: dict[str, Decimal] = defaultdict(Decimal)
    for client, product, quantity, net in lines:
        if len(buyers[product]) >= 2:
            paid[client] += net
            reference[client] += quantity * sold[product][0] / sold[product][1]
    figures = scores_of(year=YEAR).by_client
    checked = 0
    for external_id, amount in reference.items():
        f = figures[_id(external_id)]
        assert f.discount == pytest.approx(float(1 - paid[external_id] / amount), abs=1e-6)
        checked += 1
    assert checked > 50


def test_what_northwind_lacks_is_missing_never_zero(northwind: Path) -> None:
    """Northwind has no costs, and nobody has entered a partnership intent or a wallet."""
    for f in scores_of(year=YEAR).by_client.values():
        for criterion in ("profitability", "partnership", "potential"):
            assert f.criteria[criterion] is None
            assert criterion in f.score.missing
            assert criterion not in f.score.contributions
        assert f.margin is None and f.wallet is None and f.share_of_wallet is None
        available = [c for c in CRITERIA if f.criteria[c] is not None]
        assert f.score.coverage == pytest.approx(len(available) / len(CRITERIA))
        assert f.score.total == pytest.approx(
            sum(f.criteria[c] or 0 for c in available) / len(available)
        )


def test_entered_inputs_change_the_score_and_refresh_the_cache(
    northwind: Path, director: User
) -> None:
    first = scores_of(year=YEAR)
    assert scores_of(year=YEAR) is first  # memoised
    client = Client.objects.get(external_id="ALFKI")
    before = first.by_client[client.pk]
    partnership_intent_record(
        actor=_as(director), client=client, rating=5, noted_on=dt.date(YEAR, 6, 1)
    )
    second = scores_of(year=YEAR)
    assert second is not first
    after = second.by_client[client.pk]
    assert after.partnership == 5 and after.criteria["partnership"] == 100
    assert "partnership" not in after.score.missing
    assert after.score.total is not None and before.score.total is not None
    assert after.score.total > before.score.total
    assert after.score.coverage > before.score.coverage
    assert after.rank < before.rank
    # an intent noted after the year does not count for it
    partnership_intent_record(
        actor=_as(director), client=client, rating=1, noted_on=dt.date(YEAR + 1, 2, 1)
    )
    assert scores_of(year=YEAR).by_client[client.pk].partnership == 5
    assert scores_of(year=YEAR + 1).by_client[client.pk].partnership == 1

    # the wallet gives the potential and the share of wallet; our position the strength
    wallet = after.revenue * 4
    wallet_estimates_save(
        actor=_as(director),
        rows=[WalletRow(client="ALFKI", year=YEAR, category="", amount=str(wallet), source="x")],
    )
    third = scores_of(year=YEAR)
    assert third is not second
    f = third.by_client[client.pk]
    assert f.wallet == wallet and f.potential == wallet - after.revenue
    assert f.share_of_wallet == pytest.approx(0.25)
    assert f.criteria["potential"] == 50  # alone with an estimate: the middle
    assert f.strength == pytest.approx(25) and f.quadrant is not None
    position_rating_record(
        actor=_as(director), client=client, rating=5, noted_on=dt.date(YEAR, 3, 1)
    )
    fourth = scores_of(year=YEAR)
    assert fourth is not third
    assert fourth.by_client[client.pk].strength == pytest.approx((25 + 100) / 2)
    # changing an estimate refreshes too
    wallet_estimates_save(
        actor=_as(director),
        rows=[
            WalletRow(client="ALFKI", year=YEAR, category="", amount=str(wallet * 2), source="x")
        ],
    )
    assert scores_of(year=YEAR).by_client[client.pk].share_of_wallet == pytest.approx(0.125)


def test_a_changed_model_rescores(northwind: Path, director: User) -> None:
    first = scores_of(year=YEAR)
    model = scoring_model_default()
    scoring_model_save(actor=_as(director), model=model, name=model.name, weights={"volume": 1.0})
    second = scores_of(year=YEAR)
    assert second is not first
    for f in second.by_client.values():
        assert f.score.total == pytest.approx(f.criteria["volume"])
    revenues = [second.by_client[c].revenue for c in second.order]
    assert revenues == sorted(revenues, reverse=True)


def test_candidates_are_cut_by_the_access_rule_with_the_same_scores(
    northwind: Path, director: User
) -> None:
    kim = user_create(username="kim", password=PASSWORD, role=Role.KEY_ACCOUNT_MANAGER)
    mine = ["ALFKI", "BONAP", "QUICK", "SAVEA"]
    Client.objects.filter(external_id__in=mine).update(manager=kim)
    everything, seen_by_director = candidates(user=director, year=YEAR)
    _, seen_by_kim = candidates(user=kim, year=YEAR)
    assert len(seen_by_director) == len(everything.by_client)
    assert sorted(c.client.external_id for c in seen_by_kim) == mine
    by_director = {c.client.pk: c.figures for c in seen_by_director}
    for c in seen_by_kim:
        assert c.figures == by_director[c.client.pk]  # the rank among everyone, too
    ranks = [c.figures.rank for c in seen_by_kim]
    assert ranks == sorted(ranks)
    analyst = user_create(username="ann", password=PASSWORD, role=Role.ANALYST)
    assert len(candidates(user=analyst, year=YEAR)[1]) == len(seen_by_director)
    service = user_create(username="sam", password=PASSWORD, role=Role.SERVICE)
    assert candidates(user=service, year=YEAR)[1] == []


def test_candidate_filters_and_sorts(northwind: Path, director: User) -> None:
    Client.objects.filter(external_id__in=["ALFKI", "QUICK"]).update(is_key_account=True, tier="1")

    def ids(**kw: object) -> list[str]:
        found = candidates(user=director, year=YEAR, filters=CandidateFilters(**kw))[1]  # type: ignore[arg-type]
        return [c.client.external_id for c in found]

    assert sorted(ids(status="key")) == ["ALFKI", "QUICK"]
    assert "ALFKI" not in ids(status="candidate")
    assert ids(query="alfk") == ["ALFKI"]
    germans = ids(country="Germany")
    assert germans and all(Client.objects.get(external_id=e).country == "Germany" for e in germans)
    assert len(ids(missing="profitability")) == len(ids())
    assert ids(missing="volume") == []
    by_revenue = candidates(user=director, year=YEAR, filters=CandidateFilters(sort="revenue"))[1]
    revenues = [c.figures.revenue for c in by_revenue]
    assert revenues == sorted(revenues, reverse=True)
    names = [
        c.client.name.casefold()
        for c in candidates(user=director, year=YEAR, filters=CandidateFilters(sort="name"))[1]
    ]
    assert names == sorted(names)
