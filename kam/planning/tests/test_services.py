"""The writes of the account work: the plan's flow and the one audited path for records."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.clients.models import AccountTeamMember, Client
from kam.people.models import User
from kam.people.services import user_create
from kam.planning.models import AccountPlan, MarketNote, Objective, Stakeholder, Task
from kam.planning.services import (
    PlanningError,
    PlanningNotAllowedError,
    market_note_save,
    plan_draft,
    plan_review,
    plan_submit,
    record_delete,
    record_save,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def in_english() -> Iterator[None]:
    """English messages, whatever language an earlier request left active in this thread."""
    with translation.override("en"):
        yield


def _user(username: str, role: str) -> User:
    return user_create(username=username, password=PASSWORD, role=role)


def _actor(user: User) -> Actor:
    return Actor(user=user, interface=AuditEvent.Interface.WEB)


@pytest.fixture
def world() -> dict[str, Any]:
    people = {r: _user(r, r) for r in ("kam", "team", "director", "marketing", "analyst")}
    people["kam2"] = _user("kam2", "kam")
    c1 = Client.objects.create(
        external_id="C1", name="Alpha", manager=people["kam"], is_key_account=True, tier="1"
    )
    c2 = Client.objects.create(
        external_id="C2", name="Beta", manager=people["kam2"], is_key_account=True, tier="2"
    )
    AccountTeamMember.objects.create(client=c1, user=people["team"], function="sales")
    return {"people": people, "c1": c1, "c2": c2, **{k: _actor(u) for k, u in people.items()}}


def _events() -> int:
    return AuditEvent.objects.count()


# --- the plan's flow ---------------------------------------------------------------------


def test_a_draft_is_made_by_who_may_change_the_account_of_a_key_account(
    world: dict[str, Any],
) -> None:
    c1 = world["c1"]
    events = _events()
    for who in ("team", "analyst", "marketing", "kam2"):
        with pytest.raises(PlanningNotAllowedError):
            plan_draft(actor=world[who], client=c1, year=2026)
    assert not AccountPlan.objects.exists() and _events() == events

    plain = Client.objects.create(external_id="C3", name="Gamma", manager=world["people"]["kam"])
    with pytest.raises(PlanningError, match="kept for key accounts"):
        plan_draft(actor=world["kam"], client=plain, year=2026)

    plan = plan_draft(actor=world["kam"], client=c1, year=2026)
    assert (plan.version, plan.status, plan.created_by) == (1, "draft", world["people"]["kam"])
    created = AuditEvent.objects.filter(entity="planning.AccountPlan", entity_id=str(plan.pk))
    assert set(created.values_list("action", flat=True)) == {"create"}
    assert created.filter(field="version", new_value="1", client_id=c1.pk).exists()
    with pytest.raises(PlanningError, match="A draft of this plan exists already"):
        plan_draft(actor=world["director"], client=c1, year=2026)
    # another year is another plan
    assert plan_draft(actor=world["director"], client=c1, year=2027).version == 1


def test_submit_and_review_rules(world: dict[str, Any]) -> None:
    c1 = world["c1"]
    plan = plan_draft(actor=world["kam"], client=c1, year=2026)
    with pytest.raises(PlanningError, match="summary"):
        plan_submit(actor=world["kam"], plan=plan)
    record_save(
        actor=world["kam"],
        client=c1,
        model=AccountPlan,
        values={"summary": "Grow", "threats": "Rival"},
        instance=plan,
    )
    with pytest.raises(PlanningNotAllowedError):
        plan_submit(actor=world["team"], plan=plan)
    with pytest.raises(PlanningError, match="Only a submitted plan is reviewed"):
        plan_review(actor=world["director"], plan=plan, approve=True)
    plan_submit(actor=world["kam"], plan=plan)
    assert plan.status == "submitted" and plan.submitted_at is not None
    with pytest.raises(PlanningError, match="Only a draft is submitted"):
        plan_submit(actor=world["kam"], plan=plan)
    with pytest.raises(PlanningError, match="Only a draft is edited"):
        record_save(
            actor=world["kam"],
            client=c1,
            model=AccountPlan,
            values={"summary": "Sneaky"},
            instance=plan,
        )
    for who in ("kam", "analyst", "team"):
        with pytest.raises(PlanningNotAllowedError):
            plan_review(actor=world[who], plan=plan, approve=True)
    with pytest.raises(PlanningError, match="Say why"):
        plan_review(actor=world["director"], plan=plan, approve=False, note="  ")
    assert AccountPlan.objects.get(pk=plan.pk).status == "submitted"

    plan_review(actor=world["director"], plan=plan, approve=False, note="More detail")
    plan.refresh_from_db()
    assert (plan.status, plan.review_note) == ("draft", "More detail")
    plan_submit(actor=world["kam"], plan=plan)
    plan_review(actor=world["director"], plan=plan, approve=True, note="")
    plan.refresh_from_db()
    assert plan.status == "approved" and plan.approved_by == world["people"]["director"]
    with pytest.raises(PlanningError, match="approved plan is kept"):
        record_delete(actor=world["kam"], instance=plan)

    changes = AuditEvent.objects.filter(entity="planning.AccountPlan", field="status").order_by(
        "pk"
    )
    assert [(e.old_value, e.new_value) for e in changes] == [
        ("draft", "submitted"),
        ("submitted", "draft"),
        ("draft", "submitted"),
        ("submitted", "approved"),
    ]
    assert changes.filter(actor=world["people"]["director"]).count() == 2

    v2 = plan_draft(actor=world["kam"], client=c1, year=2026)
    assert (v2.version, v2.summary, v2.threats, v2.review_note) == (2, "Grow", "Rival", "")


# --- record_save / record_delete ---------------------------------------------------------


def test_record_save_refuses_unknown_fields_and_other_accounts_records(
    world: dict[str, Any],
) -> None:
    c1, c2 = world["c1"], world["c2"]
    events = _events()
    with pytest.raises(PlanningError, match="Unknown fields: client, created_by"):
        record_save(
            actor=world["kam"],
            client=c1,
            model=Objective,
            values={"year": 2026, "measure": "revenue", "target": 1, "client": c2, "created_by": 1},
        )
    theirs = Stakeholder.objects.create(client=c2, name="Bea", role="buyer", influence=2)
    # pointing at a record of another account
    with pytest.raises(PlanningError, match="belongs to another account"):
        record_save(
            actor=world["kam"],
            client=c1,
            model=Stakeholder,
            values={"name": "Ana", "role": "user", "influence": 2, "reports_to": theirs},
        )
    # changing a record of another account through this one
    with pytest.raises(PlanningError, match="belongs to another account"):
        record_save(
            actor=world["kam"], client=c1, model=Stakeholder, values={"name": "X"}, instance=theirs
        )
    # changing it through its own account, without the right to
    with pytest.raises(PlanningNotAllowedError):
        record_save(
            actor=world["kam"], client=c2, model=Stakeholder, values={"name": "X"}, instance=theirs
        )
    with pytest.raises(PlanningNotAllowedError):
        record_delete(actor=world["kam"], instance=theirs)
    assert Stakeholder.objects.get(pk=theirs.pk).name == "Bea"
    assert Stakeholder.objects.filter(client=c1).count() == 0 and _events() == events


def test_record_save_validates_with_readable_messages_and_changes_nothing(
    world: dict[str, Any],
) -> None:
    c1 = world["c1"]
    with pytest.raises(PlanningError) as refused:
        record_save(
            actor=world["kam"],
            client=c1,
            model=Objective,
            values={"year": 2026, "measure": "happiness", "target": Decimal(1)},
        )
    assert "measure:" in str(refused.value) and "not a valid choice" in str(refused.value)
    with pytest.raises(PlanningError, match="influence:"):
        record_save(
            actor=world["kam"],
            client=c1,
            model=Stakeholder,
            values={"name": "Ana", "role": "user", "influence": 9},
        )
    values = {"year": 2026, "measure": "revenue", "target": Decimal(100)}
    record_save(actor=world["kam"], client=c1, model=Objective, values=values)
    with pytest.raises(PlanningError) as twice:
        record_save(actor=world["kam"], client=c1, model=Objective, values=values)
    assert "already exists" in str(twice.value) and "__all__" not in str(twice.value)
    assert Objective.objects.count() == 1 and Stakeholder.objects.count() == 0


def test_record_save_permission_and_audit_rows(world: dict[str, Any]) -> None:
    c1 = world["c1"]
    values = {"year": 2026, "measure": "revenue", "target": Decimal(100), "note": "Base"}
    events = _events()
    for who in ("team", "analyst", "marketing", "kam2"):
        with pytest.raises(PlanningNotAllowedError):
            record_save(actor=world[who], client=c1, model=Objective, values=values)
    assert not Objective.objects.exists() and _events() == events

    objective = record_save(actor=world["kam"], client=c1, model=Objective, values=values)
    assert objective.created_by == world["people"]["kam"]
    created = AuditEvent.objects.filter(entity="planning.Objective", action="create")
    assert set(created.values_list("field", flat=True)) == {"year", "measure", "target", "note"}
    assert set(created.values_list("client_id", flat=True)) == {c1.pk}

    record_save(
        actor=world["director"],
        client=c1,
        model=Objective,
        values={"target": Decimal(120), "note": "Base"},
        instance=objective,
    )
    change = AuditEvent.objects.get(entity="planning.Objective", action="update")
    assert (change.field, change.actor) == ("target", world["people"]["director"])
    assert Decimal(change.old_value) == 100 and Decimal(change.new_value) == 120
    # nothing changed, nothing written
    events = _events()
    record_save(
        actor=world["kam"], client=c1, model=Objective, values={"note": "Base"}, instance=objective
    )
    assert _events() == events

    record_delete(actor=world["kam"], instance=objective)
    assert not Objective.objects.exists()
    assert AuditEvent.objects.filter(entity="planning.Objective", action="delete").exists()


def test_the_owner_of_a_task_may_update_it_without_access_to_the_account(
    world: dict[str, Any],
) -> None:
    c2 = world["c2"]
    task = Task.objects.create(
        client=c2, title="Samples", owner=world["people"]["team"], due_on="2026-01-01"
    )
    record_save(
        actor=world["team"], client=c2, model=Task, values={"status": "done"}, instance=task
    )
    task.refresh_from_db()
    assert task.status == "done" and task.done_at is not None
    with pytest.raises(PlanningNotAllowedError):
        record_delete(actor=world["team"], instance=task)


def test_market_notes_are_kept_by_directors_admins_and_marketing(world: dict[str, Any]) -> None:
    values = {"segment": "Dairy", "year": 2026, "title": "Up", "growth": Decimal("0.05")}
    values["noted_on"] = "2026-01-02"
    for who in ("kam", "team", "analyst"):
        with pytest.raises(PlanningNotAllowedError):
            market_note_save(actor=world[who], values=values)
    with pytest.raises(PlanningError, match="Unknown fields"):
        market_note_save(actor=world["marketing"], values={**values, "created_by": 1})
    note = market_note_save(actor=world["marketing"], values=values)
    assert note.created_by == world["people"]["marketing"]
    market_note_save(actor=world["director"], values={"growth": Decimal("0.07")}, instance=note)
    assert MarketNote.objects.get().growth == Decimal("0.07")
    assert AuditEvent.objects.filter(entity="planning.MarketNote").count() >= 2
