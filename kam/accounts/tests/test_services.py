"""Designation, organisation and judgements: who may write, what is kept, what is refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kam.accounts.models import (
    Designation,
    ManagerAssignment,
    Notification,
    PartnershipIntent,
    PositionRating,
    RelationshipStage,
    WalletEstimate,
)
from kam.accounts.services import (
    AccountsError,
    NotAllowedError,
    WalletImportError,
    WalletRow,
    account_team_add,
    account_team_remove,
    key_account_designate,
    key_account_revoke,
    manager_assign,
    partnership_intent_record,
    position_rating_record,
    relationship_stage_record,
    wallet_estimate_delete,
    wallet_estimates_save,
)
from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.clients.models import AccountTeamMember, Client
from kam.people.models import Role, User
from kam.people.services import user_create

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-9"
TODAY = dt.date(2024, 5, 2)


def _person(username: str, role: str) -> User:
    return user_create(username=username, password=PASSWORD, role=role)


def _as(user: User) -> Actor:
    return Actor(user=user, interface=AuditEvent.Interface.WEB)


@pytest.fixture
def director() -> User:
    return _person("dana", Role.DIRECTOR)


@pytest.fixture
def kim() -> User:
    return _person("kim", Role.KEY_ACCOUNT_MANAGER)


@pytest.fixture
def lee() -> User:
    return _person("lee", Role.KEY_ACCOUNT_MANAGER)


@pytest.fixture
def tom() -> User:
    return _person("tom", Role.TEAM_MEMBER)


@pytest.fixture
def client() -> Client:
    return Client.objects.create(external_id="C1", name="Alpha")


def _state(client: Client) -> tuple[Any, ...]:
    client.refresh_from_db()
    return (
        client.is_key_account,
        client.tier,
        client.manager_id,
        Designation.objects.count(),
        ManagerAssignment.objects.count(),
        Notification.objects.count(),
        AuditEvent.objects.count(),
        AccountTeamMember.objects.count(),
        RelationshipStage.objects.count(),
        PartnershipIntent.objects.count(),
        PositionRating.objects.count(),
        WalletEstimate.objects.count(),
    )


# --- designation ---------------------------------------------------------------------------


def test_designation_retier_and_revocation_are_kept_in_order_with_their_reasons(
    director: User, client: Client
) -> None:
    actor = _as(director)
    key_account_designate(actor=actor, client=client, tier="2", reason="Large and growing")
    key_account_designate(actor=actor, client=client, tier="1", reason="Now our largest")
    key_account_revoke(actor=actor, client=client, reason="Moved to a rival")
    client.refresh_from_db()
    assert (client.is_key_account, client.tier) == (False, "")
    history = [(d.action, d.tier, d.reason, d.decided_by) for d in client.designations.all()]
    assert history == [
        ("revoke", "", "Moved to a rival", director),
        ("retier", "1", "Now our largest", director),
        ("designate", "2", "Large and growing", director),
    ]


def test_designating_the_same_tier_again_or_revoking_a_non_key_account_is_refused(
    director: User, client: Client
) -> None:
    actor = _as(director)
    with pytest.raises(AccountsError, match="not a key account"):
        key_account_revoke(actor=actor, client=client, reason="x")
    key_account_designate(actor=actor, client=client, tier="1", reason="Largest")
    before = _state(client)
    with pytest.raises(AccountsError, match="already a key account"):
        key_account_designate(actor=actor, client=client, tier="1", reason="Again")
    with pytest.raises(AccountsError, match="tier"):
        key_account_designate(actor=actor, client=client, tier="4", reason="Bad tier")
    with pytest.raises(AccountsError, match="Reason"):
        key_account_designate(actor=actor, client=client, tier="2", reason="   ")
    assert _state(client) == before


@pytest.mark.parametrize(
    "role", [Role.KEY_ACCOUNT_MANAGER, Role.TEAM_MEMBER, Role.ANALYST, Role.MARKETING]
)
def test_only_a_director_or_administrator_may_designate_revoke_or_assign(
    role: str, client: Client, kim: User
) -> None:
    someone = _person("someone", role)
    client.manager = someone if role == Role.KEY_ACCOUNT_MANAGER else None
    client.save()
    before = _state(client)
    actor = _as(someone)
    with pytest.raises(NotAllowedError):
        key_account_designate(actor=actor, client=client, tier="1", reason="Mine")
    with pytest.raises(NotAllowedError):
        key_account_revoke(actor=actor, client=client, reason="Mine")
    with pytest.raises(NotAllowedError):
        manager_assign(actor=actor, client=client, manager=kim, handover_note="Yours")
    assert _state(client) == before


def test_an_administrator_may_designate(client: Client) -> None:
    admin = _person("ada", Role.ADMIN)
    key_account_designate(actor=_as(admin), client=client, tier="3", reason="Promising")
    client.refresh_from_db()
    assert (client.is_key_account, client.tier) == (True, "3")


def test_designating_with_a_manager_assigns_and_notifies_them_not_the_director(
    director: User, kim: User, client: Client
) -> None:
    key_account_designate(
        actor=_as(director), client=client, tier="1", reason="Largest buyer", manager=kim
    )
    client.refresh_from_db()
    assert client.manager == kim
    assignment = client.manager_changes.get()
    assert (assignment.manager, assignment.previous, assignment.assigned_by) == (
        kim,
        None,
        director,
    )
    notes = list(Notification.objects.values_list("recipient__username", "kind", "actor_label"))
    assert notes == [("kim", "assigned", "dana")]


def test_a_designated_clients_existing_manager_is_told_why(
    director: User, kim: User, client: Client
) -> None:
    client.manager = kim
    client.save()
    key_account_designate(actor=_as(director), client=client, tier="2", reason="Big orders")
    note = Notification.objects.get()
    assert (note.recipient, note.kind, note.detail) == (kim, "designated", "Big orders")


def test_nobody_is_notified_of_what_they_did_themselves(director: User, client: Client) -> None:
    key_account_designate(
        actor=_as(director), client=client, tier="1", reason="Mine", manager=director
    )
    key_account_revoke(actor=_as(director), client=client, reason="Not any more")
    assert not Notification.objects.exists()


# --- managers ------------------------------------------------------------------------------


def test_a_key_account_changes_hands_only_with_a_hand_over_note(
    director: User, kim: User, lee: User, client: Client
) -> None:
    actor = _as(director)
    key_account_designate(actor=actor, client=client, tier="1", reason="Big", manager=kim)
    before = _state(client)
    with pytest.raises(AccountsError, match="hand-over note"):
        manager_assign(actor=actor, client=client, manager=lee, handover_note="  ")
    assert _state(client) == before
    manager_assign(actor=actor, client=client, manager=lee, handover_note="Renewal due in May")
    client.refresh_from_db()
    assert client.manager == lee
    history = [(a.previous, a.manager, a.handover_note) for a in client.manager_changes.all()]
    assert history == [(kim, lee, "Renewal due in May"), (None, kim, "")]
    kinds = set(Notification.objects.values_list("recipient__username", "kind", "detail"))
    assert ("lee", "assigned", "Renewal due in May") in kinds
    assert ("kim", "unassigned", "Renewal due in May") in kinds
    events = AuditEvent.objects.filter(
        client_id=client.pk, entity="clients.Client", field="manager"
    )
    assert [(e.old_value, e.new_value) for e in events.order_by("pk")][-1] == (
        str(kim.pk),
        str(lee.pk),
    )


def test_designating_a_client_with_a_manager_to_another_needs_the_note(
    director: User, kim: User, lee: User, client: Client
) -> None:
    client.manager = kim
    client.save()
    before = _state(client)
    with pytest.raises(AccountsError, match="hand-over note"):
        key_account_designate(
            actor=_as(director), client=client, tier="1", reason="Big", manager=lee
        )
    assert _state(client) == before  # the designation itself was rolled back too
    key_account_designate(
        actor=_as(director),
        client=client,
        tier="1",
        reason="Big",
        manager=lee,
        handover_note="Kim knows the buyer",
    )
    assert client.manager_changes.get().handover_note == "Kim knows the buyer"


def test_a_manager_must_be_an_active_key_account_manager_or_director(
    director: User, tom: User, client: Client
) -> None:
    before = _state(client)
    with pytest.raises(AccountsError, match="manager"):
        manager_assign(actor=_as(director), client=client, manager=tom, handover_note="")
    assert _state(client) == before


# --- account team --------------------------------------------------------------------------


def test_the_clients_manager_may_staff_the_account_team_and_every_change_is_audited(
    kim: User, tom: User, client: Client
) -> None:
    client.manager = kim
    client.save()
    actor = _as(kim)
    member = account_team_add(
        actor=actor, client=client, user=tom, function="logistics", role_on_account="Deliveries"
    )
    account_team_add(actor=actor, client=client, user=tom, function="service", role_on_account="")
    member.refresh_from_db()
    assert (member.function, member.role_on_account) == ("service", "")
    account_team_remove(actor=actor, member=member)
    assert not AccountTeamMember.objects.exists()
    trail = [
        (e.action, e.field, e.old_value, e.new_value)
        for e in AuditEvent.objects.filter(client_id=client.pk).order_by("pk")
    ]
    assert ("create", "function", "", "logistics") in trail
    assert ("update", "function", "logistics", "service") in trail
    assert ("update", "role_on_account", "Deliveries", "") in trail
    assert ("delete", "user", str(tom.pk), "") in trail
    assert Notification.objects.get().kind == "team_added"


def test_a_team_member_may_not_staff_the_account_team(kim: User, tom: User, client: Client) -> None:
    AccountTeamMember.objects.create(client=client, user=tom, function="sales")
    before = _state(client)
    with pytest.raises(NotAllowedError):
        account_team_add(actor=_as(tom), client=client, user=kim, function="sales")
    with pytest.raises(NotAllowedError):
        account_team_remove(actor=_as(tom), member=AccountTeamMember.objects.get())
    assert _state(client) == before


def test_another_manager_may_not_staff_a_client_they_do_not_manage(
    kim: User, lee: User, tom: User, client: Client
) -> None:
    client.manager = kim
    client.save()
    with pytest.raises(NotAllowedError):
        account_team_add(actor=_as(lee), client=client, user=tom, function="sales")


def test_an_account_team_needs_a_known_function(director: User, tom: User, client: Client) -> None:
    with pytest.raises(AccountsError, match="function"):
        account_team_add(actor=_as(director), client=client, user=tom, function="magic")


# --- judgements ----------------------------------------------------------------------------


def test_stage_intent_and_position_are_recorded_dated_and_audited(
    director: User, client: Client
) -> None:
    actor = _as(director)
    relationship_stage_record(
        actor=actor, client=client, stage="basic", noted_on=TODAY, evidence="Monthly orders"
    )
    relationship_stage_record(
        actor=actor,
        client=client,
        stage="cooperative",
        noted_on=TODAY + dt.timedelta(days=1),
        evidence="Joint forecast",
    )
    partnership_intent_record(actor=actor, client=client, rating=4, noted_on=TODAY, note="Wants")
    position_rating_record(actor=actor, client=client, rating=2, noted_on=TODAY)
    assert [s.stage for s in client.stages.all()] == ["cooperative", "basic"]
    audited = set(
        AuditEvent.objects.filter(client_id=client.pk).values_list("entity", "field", "new_value")
    )
    assert ("accounts.RelationshipStage", "evidence", "Joint forecast") in audited
    assert ("accounts.PartnershipIntent", "rating", "4") in audited
    assert ("accounts.PositionRating", "rating", "2") in audited


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rating": 0}, "1 to 5"),
        ({"rating": 6}, "1 to 5"),
        ({"rating": True}, "1 to 5"),
        ({"rating": "4"}, "1 to 5"),
        ({"noted_on": "2024-01-01"}, "date"),
        ({"noted_on": "tomorrow"}, "date"),
    ],
)
def test_ratings_are_whole_numbers_from_1_to_5_on_a_past_date(
    director: User, client: Client, changes: dict[str, Any], message: str
) -> None:
    values: dict[str, Any] = {"rating": 3, "noted_on": TODAY, **changes}
    before = _state(client)
    for record in (partnership_intent_record, position_rating_record):
        with pytest.raises(AccountsError, match=message):
            record(actor=_as(director), client=client, **values)
    assert _state(client) == before


def test_no_judgement_is_dated_in_the_future(director: User, client: Client) -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    before = _state(client)
    with pytest.raises(AccountsError, match="future"):
        partnership_intent_record(actor=_as(director), client=client, rating=3, noted_on=tomorrow)
    with pytest.raises(AccountsError, match="future"):
        relationship_stage_record(
            actor=_as(director), client=client, stage="basic", noted_on=tomorrow, evidence="x"
        )
    assert _state(client) == before


def test_a_relationship_stage_needs_a_known_stage_and_the_evidence(
    director: User, client: Client
) -> None:
    before = _state(client)
    with pytest.raises(AccountsError, match="Evidence"):
        relationship_stage_record(
            actor=_as(director), client=client, stage="basic", noted_on=TODAY, evidence=" "
        )
    with pytest.raises(AccountsError, match="stage"):
        relationship_stage_record(
            actor=_as(director), client=client, stage="married", noted_on=TODAY, evidence="x"
        )
    assert _state(client) == before


def test_a_team_member_may_not_record_judgements(tom: User, client: Client) -> None:
    AccountTeamMember.objects.create(client=client, user=tom, function="sales")
    before = _state(client)
    with pytest.raises(NotAllowedError):
        relationship_stage_record(
            actor=_as(tom), client=client, stage="basic", noted_on=TODAY, evidence="x"
        )
    with pytest.raises(NotAllowedError):
        partnership_intent_record(actor=_as(tom), client=client, rating=3, noted_on=TODAY)
    with pytest.raises(NotAllowedError):
        position_rating_record(actor=_as(tom), client=client, rating=3, noted_on=TODAY)
    assert _state(client) == before


# --- wallet estimates ----------------------------------------------------------------------


def _row(**changes: Any) -> WalletRow:
    values: dict[str, Any] = {
        "client": "C1",
        "year": 2024,
        "category": "",
        "amount": "1000",
        "source": "Annual report",
        "confidence": "high",
    }
    return WalletRow(**{**values, **changes})


def test_wallet_estimates_are_created_then_replaced_and_audited(
    director: User, client: Client
) -> None:
    Client.objects.create(external_id="C2", name="Beta")
    actor = _as(director)
    rows = [_row(), _row(category="Dairy", amount="250.5"), _row(client="C2")]
    assert wallet_estimates_save(actor=actor, rows=rows) == (3, 0)
    assert wallet_estimates_save(actor=actor, rows=[_row(amount="1200")]) == (0, 1)
    whole = WalletEstimate.objects.get(client=client, category="")
    assert whole.amount == Decimal("1200.00")
    events = AuditEvent.objects.filter(client_id=client.pk, field="amount")
    assert [(e.old_value, e.new_value) for e in events.order_by("pk")][-1] == (
        "1000.00",
        "1200.00",
    )
    wallet_estimate_delete(actor=actor, estimate=whole)
    assert AuditEvent.objects.filter(client_id=client.pk, action="delete").count() == 1


def test_wallet_estimates_are_saved_all_or_none_with_every_problem_named(
    director: User, client: Client
) -> None:
    before = _state(client)
    rows = [
        _row(),  # fine on its own
        _row(year="next", amount="-5"),
        _row(client="NOPE", source=""),
        _row(confidence="certain"),
        _row(),  # the same as row 1
    ]
    with pytest.raises(WalletImportError) as raised:
        wallet_estimates_save(actor=_as(director), rows=rows)
    problems = {(p.row, p.column) for p in raised.value.problems}
    assert problems == {
        (2, "year"),
        (2, "amount"),
        (3, "client"),
        (3, "source"),
        (4, "confidence"),
        (5, "category"),
    }
    assert _state(client) == before


def test_wallet_estimates_of_a_client_one_may_not_change_are_refused(
    kim: User, client: Client
) -> None:
    with pytest.raises(WalletImportError) as raised:
        wallet_estimates_save(actor=_as(kim), rows=[_row()])
    assert [(p.row, p.column) for p in raised.value.problems] == [(1, "client")]
    assert not WalletEstimate.objects.exists()


# --- the trail -----------------------------------------------------------------------------


def test_every_write_leaves_audit_events_on_the_client(
    director: User, kim: User, tom: User, client: Client
) -> None:
    actor = _as(director)
    writes: list[Callable[[], object]] = [
        lambda: key_account_designate(actor=actor, client=client, tier="1", reason="r"),
        lambda: manager_assign(actor=actor, client=client, manager=kim, handover_note="n"),
        lambda: account_team_add(actor=actor, client=client, user=tom, function="sales"),
        lambda: relationship_stage_record(
            actor=actor, client=client, stage="basic", noted_on=TODAY, evidence="e"
        ),
        lambda: partnership_intent_record(actor=actor, client=client, rating=3, noted_on=TODAY),
        lambda: position_rating_record(actor=actor, client=client, rating=3, noted_on=TODAY),
        lambda: wallet_estimates_save(actor=actor, rows=[_row()]),
        lambda: wallet_estimate_delete(actor=actor, estimate=WalletEstimate.objects.get()),
        lambda: account_team_remove(actor=actor, member=AccountTeamMember.objects.get()),
        lambda: key_account_revoke(actor=actor, client=client, reason="r"),
    ]
    for write in writes:
        before = AuditEvent.objects.filter(client_id=client.pk).count()
        write()
        after = AuditEvent.objects.filter(client_id=client.pk)
        assert after.count() > before
        assert {e.actor_label for e in after.order_by("-pk")[: after.count() - before]} == {"dana"}


def test_a_nul_character_in_a_wallet_row_is_a_problem_not_a_crash(director: User) -> None:
    from kam.accounts.services import WalletImportError, WalletRow, wallet_estimates_save
    from kam.audit.models import AuditEvent
    from kam.audit.services import Actor
    from kam.clients.models import Client

    Client.objects.create(external_id="C1", name="Alpha")
    actor = Actor(user=director, interface=AuditEvent.Interface.API)
    rows = [WalletRow(client="C\x001", year=2025, category="", amount="10", source="s")]
    with pytest.raises(WalletImportError) as refused:
        wallet_estimates_save(actor=actor, rows=rows)
    assert [(p.row, p.column) for p in refused.value.problems] == [(1, "client")]
