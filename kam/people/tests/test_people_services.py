"""People and teams change only through services, and each change is in the audit trail."""

from __future__ import annotations

import pytest

from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.people.models import Role, Team, User
from kam.people.services import (
    PeopleError,
    team_create,
    team_update,
    user_create,
    user_password_set,
    user_update,
)

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-9"


@pytest.fixture
def admin() -> User:
    return user_create(username="ada", password=PASSWORD, role=Role.ADMIN)


@pytest.fixture
def actor(admin: User) -> Actor:
    return Actor(user=admin, interface=AuditEvent.Interface.WEB)


def _events(instance: User | Team) -> dict[str, tuple[str, str, str]]:
    rows = AuditEvent.objects.filter(entity=instance._meta.label, entity_id=str(instance.pk))
    rows = rows.order_by("id")
    return {e.field: (e.action, e.old_value, e.new_value) for e in rows}


def test_creating_a_person_records_each_field_and_never_the_password(actor: Actor) -> None:
    team = team_create(name="North", actor=actor)
    kim = user_create(username="kim", password=PASSWORD, role="kam", team=team, actor=actor)
    events = _events(kim)
    assert events["username"] == ("create", "", "kim")
    assert events["role"] == ("create", "", "kam")
    assert events["team"] == ("create", "", str(team.pk))
    assert "password" not in events
    assert PASSWORD not in str(list(AuditEvent.objects.values_list("new_value", flat=True)))


def test_an_update_records_only_the_fields_that_changed(actor: Actor) -> None:
    kim = user_create(username="kim", password=PASSWORD, role="kam")
    before = AuditEvent.objects.count()
    changed = user_update(
        user=kim, actor=actor, first_name="Kim", last_name="", email="",
        role="director", team=None, is_active=True,
    )  # fmt: skip
    assert changed == 2
    new = AuditEvent.objects.order_by("id")[before:]
    assert {(e.field, e.old_value, e.new_value, e.actor_label) for e in new} == {
        ("first_name", "", "Kim", "ada"),
        ("role", "kam", "director", "ada"),
    }


def test_saving_without_changes_records_nothing(actor: Actor) -> None:
    kim = user_create(username="kim", password=PASSWORD, role="kam", first_name="Kim")
    team = team_create(name="North", actor=actor)
    before = AuditEvent.objects.count()
    assert user_update(
        user=kim, actor=actor, first_name="Kim", last_name="", email="",
        role="kam", team=None, is_active=True,
    ) == 0  # fmt: skip
    assert team_update(team=team, actor=actor, name="North", lead=None, parent=None) == 0
    assert AuditEvent.objects.count() == before


def test_a_weak_password_is_refused_with_the_policy_message() -> None:
    with pytest.raises(PeopleError, match="at least 12 characters"):
        user_create(username="kim", password="short-1", role="kam")
    with pytest.raises(PeopleError, match="too common"):
        user_create(username="kim", password="password1234", role="kam")
    assert not User.objects.filter(username="kim").exists()


def test_a_name_that_differs_only_in_case_is_taken() -> None:
    user_create(username="kim", password=PASSWORD, role="kam")
    with pytest.raises(PeopleError, match="already exists"):
        user_create(username="KIM", password=PASSWORD, role="kam")


def test_the_last_active_administrator_cannot_be_demoted_or_deactivated(
    admin: User, actor: Actor
) -> None:
    for role, active in (("director", True), ("admin", False)):
        with pytest.raises(PeopleError, match="at least one active administrator"):
            user_update(
                user=admin, actor=actor, first_name="", last_name="", email="",
                role=role, team=None, is_active=active,
            )  # fmt: skip
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN and admin.is_active and admin.is_superuser


def test_a_role_change_keeps_the_admin_flags_in_step(actor: Actor) -> None:
    kim = user_create(username="kim", password=PASSWORD, role="kam")
    user_update(
        user=kim, actor=actor, first_name="", last_name="", email="",
        role="admin", team=None, is_active=True,
    )  # fmt: skip
    kim.refresh_from_db()
    assert kim.is_staff and kim.is_superuser


def test_setting_a_password_is_recorded_without_the_password(actor: Actor) -> None:
    kim = user_create(username="kim", password=PASSWORD, role="kam")
    user_password_set(user=kim, password="another-long-phrase-7", actor=actor)
    kim.refresh_from_db()
    assert kim.check_password("another-long-phrase-7")
    event = AuditEvent.objects.filter(entity_id=str(kim.pk)).latest("id")
    assert (event.new_value, event.actor_label) == ("password set", "ada")


def test_a_team_cannot_sit_under_itself_or_its_own_teams(actor: Actor) -> None:
    north = team_create(name="North", actor=actor)
    east = team_create(name="North-East", parent=north, actor=actor)
    for parent in (north, east):
        with pytest.raises(PeopleError, match="under itself"):
            team_update(team=north, actor=actor, name="North", lead=None, parent=parent)
    north.refresh_from_db()
    assert north.parent is None


def test_renaming_a_team_and_naming_its_lead_is_recorded(admin: User, actor: Actor) -> None:
    team = team_create(name="North", actor=actor)
    assert team_update(team=team, actor=actor, name="Nord", lead=admin, parent=None) == 2
    assert _events(team)["name"] == ("update", "North", "Nord")
    assert _events(team)["lead"] == ("update", "", str(admin.pk))
