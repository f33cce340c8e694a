"""Who sees and changes which client (the one access rule)."""

from __future__ import annotations

import pytest

from kam.clients.access import (
    can_import,
    can_manage_people,
    can_see_margins,
    editable_clients,
    visible_clients,
)
from kam.clients.models import AccountTeamMember, Client
from kam.people.models import Role, Team, User

pytestmark = pytest.mark.django_db


def _user(name: str, role: str, team: Team | None = None) -> User:
    return User.objects.create(username=name, role=role, team=team)


@pytest.fixture
def world() -> dict[str, object]:
    lead = _user("lead", Role.KEY_ACCOUNT_MANAGER)
    team = Team.objects.create(name="North", lead=lead)
    kam = _user("kam", Role.KEY_ACCOUNT_MANAGER, team)
    other = _user("other", Role.KEY_ACCOUNT_MANAGER)
    member = _user("member", Role.TEAM_MEMBER)
    service = _user("service", Role.SERVICE)
    a = Client.objects.create(external_id="A", name="A", manager=kam, is_key_account=True)
    b = Client.objects.create(external_id="B", name="B", manager=other)
    c = Client.objects.create(external_id="C", name="C")
    AccountTeamMember.objects.create(client=b, user=member, function="rnd")
    AccountTeamMember.objects.create(client=c, user=service, function="service")
    return {
        "lead": lead,
        "kam": kam,
        "other": other,
        "member": member,
        "service": service,
        "a": a,
        "b": b,
        "c": c,
    }


def _ids(qs: object) -> set[str]:
    return {c.external_id for c in qs}  # type: ignore[attr-defined]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.DIRECTOR, Role.ANALYST, Role.MARKETING])
def test_directors_admins_analysts_and_marketing_see_every_client(
    world: dict[str, object], role: str
) -> None:
    assert _ids(visible_clients(_user(f"u-{role}", role))) == {"A", "B", "C"}


def test_a_manager_sees_their_accounts_and_those_they_are_on(world: dict[str, object]) -> None:
    assert _ids(visible_clients(world["kam"])) == {"A"}
    assert _ids(visible_clients(world["other"])) == {"B"}


def test_a_team_lead_sees_the_accounts_of_their_team(world: dict[str, object]) -> None:
    assert _ids(visible_clients(world["lead"])) == {"A"}
    assert _ids(editable_clients(world["lead"])) == set()


def test_a_team_member_sees_only_the_accounts_they_are_on(world: dict[str, object]) -> None:
    assert _ids(visible_clients(world["member"])) == {"B"}
    assert _ids(editable_clients(world["member"])) == set()


def test_service_sees_key_accounts_and_the_accounts_they_are_on(world: dict[str, object]) -> None:
    assert _ids(visible_clients(world["service"])) == {"A", "C"}


def test_only_directors_admins_and_the_manager_change_a_client(world: dict[str, object]) -> None:
    assert _ids(editable_clients(_user("d", Role.DIRECTOR))) == {"A", "B", "C"}
    assert _ids(editable_clients(world["kam"])) == {"A"}
    assert _ids(editable_clients(_user("an", Role.ANALYST))) == set()


def test_inactive_and_anonymous_people_see_nothing(world: dict[str, object]) -> None:
    gone = _user("gone", Role.DIRECTOR)
    gone.is_active = False
    gone.save()
    assert not visible_clients(gone).exists()
    assert not visible_clients(None).exists()


def test_margins_imports_and_people_have_their_own_permissions() -> None:
    assert can_see_margins(_user("k", Role.KEY_ACCOUNT_MANAGER))
    assert not can_see_margins(_user("m", Role.MARKETING))
    assert not can_see_margins(_user("t", Role.TEAM_MEMBER))
    assert can_import(_user("d", Role.DIRECTOR)) and not can_import(_user("a", Role.ANALYST))
    assert can_manage_people(_user("ad", Role.ADMIN))
    assert not can_manage_people(_user("d2", Role.DIRECTOR))
