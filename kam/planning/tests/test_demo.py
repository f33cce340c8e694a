"""The demo gives every key account a believable plan, once, and its actuals follow the ledger."""

from __future__ import annotations

from pathlib import Path

import pytest

from kam.clients.models import Client
from kam.common.periods import Period
from kam.ledger.demo import DemoSpec, write_demo_csv
from kam.ledger.services import ledger_import
from kam.ledger.store import Store
from kam.people.services import user_create
from kam.planning.actuals import objectives_progress
from kam.planning.demo import planning_demo_seed
from kam.planning.models import (
    AccountPlan,
    CompetitorPresence,
    Objective,
    Opportunity,
    Stakeholder,
    Task,
)
from kam.planning.selectors import buying_centre

pytestmark = pytest.mark.django_db(transaction=True)


def test_each_key_account_gets_a_complete_plan_once(store: Store, tmp_path: Path) -> None:
    spec = DemoSpec(clients=60, lines=4000, seed=5, end=Period.year(2025).end)
    assert ledger_import(store=store, paths=[write_demo_csv(tmp_path / "d.csv", spec)]).ok
    keys = list(Client.objects.order_by("external_id")[:3])
    manager = user_create(username="maria", password="a-long-passphrase-77", role="kam")
    Client.objects.filter(pk__in=[c.pk for c in keys]).update(
        is_key_account=True, tier="1", manager=manager
    )

    assert planning_demo_seed(store=store) == 3
    assert planning_demo_seed(store=store) == 0  # idempotent
    for client in keys:
        plan = AccountPlan.objects.get(client=client)
        assert plan.status == AccountPlan.Status.APPROVED and plan.year == 2026
        assert plan.summary and plan.strengths and plan.threats
        assert Stakeholder.objects.filter(client=client).count() == 5
        roots, gaps = buying_centre(client)
        assert len(roots) == 1 and [g.name for g in gaps] == ["Elena Stan"]
        assert CompetitorPresence.objects.filter(client=client).count() == 2
        assert Opportunity.objects.filter(client=client).count() == 3
        assert Task.objects.filter(client=client).exists()
        progress = {p.objective.measure: p for p in objectives_progress(client=client, year=2025)}
        revenue = progress["revenue"]
        # the 2025 objective is 8 % above the larger of 2025 and 2024 revenue
        assert revenue.actual is not None and revenue.actual > 0
        assert revenue.objective.target > revenue.actual
        assert revenue.method == "complete"
    assert not Objective.objects.exclude(client__in=keys).exists()
