"""The demo's KAM organisation: believable, deterministic, idempotent, audited."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from kam.accounts.demo import MANAGERS, accounts_demo_seed, demo_people_password
from kam.accounts.models import (
    Designation,
    ManagerAssignment,
    PartnershipIntent,
    PositionRating,
    RelationshipStage,
    WalletEstimate,
)
from kam.accounts.selectors import candidates, scores_of
from kam.audit.models import AuditEvent
from kam.clients.access import visible_clients
from kam.clients.models import AccountTeamMember, Client
from kam.ledger.demo import DemoSpec, write_demo_csv
from kam.ledger.services import ledger_import
from kam.ledger.store import Store
from kam.people.models import Team, User

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_ledger(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "demo.csv"
    write_demo_csv(path, DemoSpec(clients=60, lines=3000, seed=7))
    assert ledger_import(store=store, paths=[path], operator="demo").ok


def _everything() -> tuple[Any, ...]:
    return (
        list(
            Team.objects.order_by("name").values_list(
                "name", "function", "lead__username", "parent__name"
            )
        ),
        list(User.objects.order_by("username").values_list("username", "role", "team__name")),
        list(
            Client.objects.filter(is_key_account=True)
            .order_by("external_id")
            .values_list("external_id", "tier", "manager__username")
        ),
        list(
            Designation.objects.order_by("pk").values_list(
                "client__external_id", "action", "tier", "reason"
            )
        ),
        list(
            AccountTeamMember.objects.order_by("client__external_id", "user__username").values_list(
                "client__external_id", "user__username", "function", "role_on_account"
            )
        ),
        list(
            RelationshipStage.objects.order_by("pk").values_list(
                "client__external_id", "stage", "noted_on"
            )
        ),
        list(
            PartnershipIntent.objects.order_by("pk").values_list(
                "client__external_id", "rating", "noted_on"
            )
        ),
        list(
            PositionRating.objects.order_by("pk").values_list(
                "client__external_id", "rating", "noted_on"
            )
        ),
        list(
            WalletEstimate.objects.order_by("client__external_id", "year", "category").values_list(
                "client__external_id", "year", "category", "amount", "source", "confidence"
            )
        ),
    )


def test_the_demo_organisation_is_believable(demo_ledger: None) -> None:
    done = accounts_demo_seed()
    assert done.changed and len(done.people) == 12
    teams = {t.name: t for t in Team.objects.select_related("lead", "parent")}
    assert set(teams) == {
        "Management",
        "KAM North",
        "KAM South",
        "Service",
        "R&D",
        "Logistics",
        "Finance",
    }
    assert str(teams["Management"].lead_id) == str(User.objects.get(username="director").pk)
    assert all(t.parent == teams["Management"] for n, t in teams.items() if n != "Management")
    assert all(t.lead is not None for t in teams.values())
    keys = list(Client.objects.filter(is_key_account=True).select_related("manager"))
    assert len(keys) == 10
    assert Counter(c.tier for c in keys) == {"1": 3, "2": 4, "3": 3}
    assert {c.manager.username for c in keys if c.manager} == set(MANAGERS)
    for client in keys:
        assert (
            Designation.objects.filter(client=client, action="designate")
            .exclude(reason="")
            .exists()
        )
        assert ManagerAssignment.objects.filter(client=client).exists()
        assert 3 <= AccountTeamMember.objects.filter(client=client).count() <= 5
        assert RelationshipStage.objects.filter(client=client).exclude(evidence="").count() == 2
    # the largest clients have scoring inputs for two years, so the matrix shows movement
    years = sorted(set(WalletEstimate.objects.values_list("year", flat=True)))
    assert len(years) == 2
    assert WalletEstimate.objects.exclude(category="").exists()
    assert WalletEstimate.objects.filter(category="").exists()
    latest = scores_of(year=years[1])
    placed = [f for f in latest.by_client.values() if f.quadrant is not None]
    assert len(placed) >= 10
    previous = scores_of(year=years[0])
    assert any(
        previous.by_client.get(f.client_id) and previous.by_client[f.client_id].quadrant
        for f in placed
    )


def test_demo_people_sign_in_and_see_their_accounts(demo_ledger: None) -> None:
    accounts_demo_seed()
    ioana = User.objects.get(username="ioana.marin")
    assert ioana.check_password(demo_people_password())
    mine = set(Client.objects.filter(manager=ioana).values_list("pk", flat=True))
    led = set(Client.objects.filter(manager__username="andrei.pop").values_list("pk", flat=True))
    assert mine and led
    assert mine | led <= set(visible_clients(ioana).values_list("pk", flat=True))
    radu = User.objects.get(username="radu.enache")
    staffed = set(AccountTeamMember.objects.filter(user=radu).values_list("client_id", flat=True))
    year = max(WalletEstimate.objects.values_list("year", flat=True))
    _scores, seen = candidates(user=radu, year=year)
    assert {c.client.pk for c in seen} == staffed


def test_a_second_run_changes_nothing(demo_ledger: None) -> None:
    accounts_demo_seed()
    before, events = _everything(), AuditEvent.objects.count()
    again = accounts_demo_seed()
    assert not again.changed
    assert (_everything(), AuditEvent.objects.count()) == (before, events)


def test_the_demo_is_audited_as_the_system(demo_ledger: None) -> None:
    accounts_demo_seed()
    for entity in (
        "accounts.Designation",
        "accounts.WalletEstimate",
        "accounts.PartnershipIntent",
        "accounts.RelationshipStage",
        "clients.AccountTeamMember",
        "people.Team",
        "people.User",
    ):
        events = AuditEvent.objects.filter(entity=entity)
        assert events.exists(), entity
        assert {(e.interface, e.actor_label) for e in events} <= {
            ("system", "demo"),
            ("system", "system"),
        }


def test_the_same_ledger_gives_the_same_organisation(store: Store, tmp_path: Path) -> None:
    """Deterministic: what the seed draws does not depend on the run."""
    path = tmp_path / "demo.csv"
    write_demo_csv(path, DemoSpec(clients=60, lines=3000, seed=7))
    assert ledger_import(store=store, paths=[path], operator="demo").ok
    accounts_demo_seed()
    first = _everything()[2:]
    for model in (
        Designation,
        ManagerAssignment,
        AccountTeamMember,
        RelationshipStage,
        PartnershipIntent,
        PositionRating,
        WalletEstimate,
    ):
        model.objects.all().delete()
    Client.objects.update(is_key_account=False, tier="", manager=None)
    accounts_demo_seed()
    assert _everything()[2:] == first


def test_an_empty_ledger_gets_no_organisation(db: None) -> None:
    assert not accounts_demo_seed().changed
    assert not Team.objects.exists()
