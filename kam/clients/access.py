"""The one access rule: which clients a person may see and change.

| role | sees | changes | prices, costs, margins |
|---|---|---|---|
| admin, director | every client | every client | yes |
| analyst | every client | nothing (read-only) | yes |
| key-account manager | clients they manage, those managed by | clients they | yes, on what |
|   | the teams they lead, and those whose account team they are on | manage | they see |
| team member | clients whose account team they are on | nothing | no |
| marketing | every client (plans reach existing and prospective clients) | nothing | no |
| service | key accounts and clients whose account team they are on | nothing | no |

Every selector, view, export and API operation filters through
`visible_clients` / `editable_clients`; an inactive or anonymous user sees
nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kam.clients.models import AccountTeamMember, Client
from kam.people.models import Role, User

ALL_SEEING = frozenset({Role.ADMIN, Role.DIRECTOR, Role.ANALYST, Role.MARKETING})
ALL_CHANGING = frozenset({Role.ADMIN, Role.DIRECTOR})
MARGIN_ROLES = frozenset({Role.ADMIN, Role.DIRECTOR, Role.ANALYST, Role.KEY_ACCOUNT_MANAGER})
IMPORT_ROLES = frozenset({Role.ADMIN, Role.DIRECTOR})


def _active(user: Any) -> User | None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return user if isinstance(user, User) else None


def visible_clients(user: Any) -> QuerySet[Client]:
    """The clients `user` may see (SPEC: role-based and per-account access)."""
    person = _active(user)
    if person is None:
        return Client.objects.none()
    if person.role in ALL_SEEING:
        return Client.objects.all()
    # Subqueries rather than joins: no DISTINCT, and each OR branch can use its own index.
    on_team = Q(pk__in=AccountTeamMember.objects.filter(user=person).values("client_id"))
    if person.role == Role.KEY_ACCOUNT_MANAGER:
        led = Q(manager__in=User.objects.filter(team__lead=person).values("pk"))
        return Client.objects.filter(Q(manager=person) | led | on_team)
    if person.role == Role.SERVICE:
        return Client.objects.filter(Q(is_key_account=True) | on_team)
    if person.role == Role.TEAM_MEMBER:
        return Client.objects.filter(on_team)
    return Client.objects.none()


def editable_clients(user: Any) -> QuerySet[Client]:
    """The clients whose records `user` may change."""
    person = _active(user)
    if person is None:
        return Client.objects.none()
    if person.role in ALL_CHANGING:
        return Client.objects.all()
    if person.role == Role.KEY_ACCOUNT_MANAGER:
        return Client.objects.filter(manager=person)
    return Client.objects.none()


def sees_everything(user: Any) -> bool:
    person = _active(user)
    return person is not None and person.role in ALL_SEEING


def can_see_margins(user: Any) -> bool:
    """Prices, costs and margins have their own permission."""
    person = _active(user)
    return person is not None and person.role in MARGIN_ROLES


def can_import(user: Any) -> bool:
    person = _active(user)
    return person is not None and person.role in IMPORT_ROLES


def can_manage_people(user: Any) -> bool:
    person = _active(user)
    return person is not None and person.role == Role.ADMIN
