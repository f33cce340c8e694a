"""Reads of the organisation: the teams as a tree, who manages which key accounts.

Teams nest through `parent`; the chart is drawn from the teams without a
parent (and from any team caught in a loop of parents, so none is lost).
Everyone signed in sees the teams and people; the key accounts listed under
their managers are only those the viewer may see, and the gaps flagged (key
accounts without a manager, without an account team) are counted among them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef

from kam.clients.access import visible_clients
from kam.clients.models import AccountTeamMember, Client
from kam.people.models import Function, Team, User


@dataclass(slots=True)
class Person:
    user: User
    key_accounts: list[Client] = field(default_factory=list)


@dataclass(slots=True)
class TeamNode:
    team: Team
    is_kam: bool
    lead: Person | None
    members: list[Person]
    children: list[TeamNode] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class OrgChart:
    roots: list[TeamNode]
    unassigned_people: list[Person]  # managers of key accounts in no team and leading none
    without_manager: list[Client]
    without_team: list[Client]
    key_account_count: int


def _key_accounts(user: Any) -> tuple[list[Client], set[int]]:
    """The key accounts `user` may see, and the ids of those that have an account team."""
    staffed = AccountTeamMember.objects.filter(client=OuterRef("pk"))
    rows: list[Client] = list(
        visible_clients(user)
        .filter(is_key_account=True)
        .annotate(has_team=Exists(staffed))
        .order_by("tier", "name", "external_id")
    )
    return rows, {c.pk for c in rows if getattr(c, "has_team", False)}


def org_chart(*, user: Any) -> OrgChart:
    """Teams with leads and members, key accounts under their managers, the gaps flagged."""
    accounts, staffed = _key_accounts(user)
    managed: dict[int, list[Client]] = defaultdict(list)
    for client in accounts:
        if client.manager_id is not None:
            managed[client.manager_id].append(client)
    people = list(
        User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
    )
    by_team: dict[int | None, list[User]] = defaultdict(list)
    for person in people:
        by_team[person.team_id].append(person)
    teams = list(Team.objects.select_related("lead").order_by("name"))

    def node(team: Team) -> TeamNode:
        lead = team.lead if team.lead is not None and team.lead.is_active else None
        return TeamNode(
            team=team,
            is_kam=team.function == Function.KAM,
            lead=Person(lead, managed.get(lead.pk, [])) if lead else None,
            members=[
                Person(p, managed.get(p.pk, []))
                for p in by_team.get(team.pk, [])
                if lead is None or p.pk != lead.pk
            ],
        )

    nodes = {t.pk: node(t) for t in teams}
    roots = _tree(teams, nodes)
    leads = {t.lead_id for t in teams}
    loose = [
        Person(p, managed[p.pk])
        for p in by_team.get(None, [])
        if managed.get(p.pk) and p.pk not in leads
    ]
    return OrgChart(
        roots=roots,
        unassigned_people=loose,
        without_manager=[c for c in accounts if c.manager_id is None],
        without_team=[c for c in accounts if c.pk not in staffed],
        key_account_count=len(accounts),
    )


def _tree(teams: list[Team], nodes: dict[int, TeamNode]) -> list[TeamNode]:
    """Hang each team under its parent; a team whose parents loop becomes a root."""
    roots: list[TeamNode] = []
    for team in teams:
        if team.parent_id is None or team.parent_id not in nodes or _loops(team, nodes):
            roots.append(nodes[team.pk])
        else:
            nodes[team.parent_id].children.append(nodes[team.pk])
    return roots


def _loops(team: Team, nodes: dict[int, TeamNode]) -> bool:
    """Whether following the parents from `team` comes back to it."""
    seen: set[int] = set()
    parent = team.parent_id
    while parent is not None and parent in nodes and parent not in seen:
        if parent == team.pk:
            return True
        seen.add(parent)
        parent = nodes[parent].team.parent_id
    return False
