"""People, for administrators only (`can_manage_people`); every change is audited."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from kam.api.auth import request_user
from kam.api.errors import ErrorOut
from kam.audit.models import AuditEvent
from kam.audit.services import Actor
from kam.clients.access import can_manage_people
from kam.people.models import Role, Team, User
from kam.people.selectors import people_listed
from kam.people.services import PeopleError, user_create, user_update

router = Router(tags=["users"])
ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut}


class UserOut(Schema):
    username: str
    first_name: str
    last_name: str
    email: str
    role: str = Field(..., json_schema_extra={"enum": list(Role.values)})
    team: str | None
    is_active: bool


class UserIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=128)
    role: str = Field(..., json_schema_extra={"enum": list(Role.values)})
    email: str = Field("", max_length=254)
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    team: str | None = Field(None, description="team name")


class UserPatch(Schema):
    """Only the fields sent are changed; `team` is a team name, or null for none."""

    role: str | None = Field(None, json_schema_extra={"enum": list(Role.values)})
    is_active: bool | None = None
    team: str | None = Field(None, max_length=120)
    email: str | None = Field(None, max_length=254)
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)


def user_out(user: User) -> dict[str, Any]:
    fields = ("username", "first_name", "last_name", "email", "role", "is_active")
    return {**{f: getattr(user, f) for f in fields}, "team": user.team.name if user.team else None}


def _admin(request: HttpRequest) -> Actor:
    if not can_manage_people(request.user):
        raise HttpError(403, _("Only an administrator manages people."))
    return Actor(user=request_user(request), interface=AuditEvent.Interface.API)


def _team(name: str | None) -> Team | None:
    if not name:
        return None
    team = Team.objects.filter(name=name).first()
    if team is None:
        raise PeopleError(_("No team named %(name)s.") % {"name": repr(name)})
    return team


@router.get("/users", response={200: list[UserOut], **ERRORS}, summary="List people")
def users_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Everyone who can sign in or once could, active first."""
    _admin(request)
    return [user_out(u) for u in people_listed()]


@router.post("/users", response={201: UserOut, 400: ErrorOut, **ERRORS}, summary="Add a person")
def user_add(request: HttpRequest, payload: UserIn) -> Status[dict[str, Any]]:
    """A new person with a role; the password must meet the password policy."""
    actor = _admin(request)
    user = user_create(
        username=payload.username,
        password=payload.password,
        role=payload.role,
        email=payload.email,
        first_name=payload.first_name,
        last_name=payload.last_name,
        team=_team(payload.team),
        actor=actor,
    )
    return Status(201, user_out(user))


@router.patch(
    "/users/{username}",
    response={200: UserOut, 400: ErrorOut, 404: ErrorOut, **ERRORS},
    summary="Change a person's role, team or active flag",
)
def user_patch(request: HttpRequest, username: str, patch: UserPatch) -> dict[str, Any]:
    """Only the fields sent change; a request that changes nothing writes no audit event."""
    actor = _admin(request)
    user = User.objects.select_related("team").filter(username=username).first()
    if user is None:
        raise Http404
    given = patch.dict(exclude_unset=True)
    values: dict[str, Any] = {
        f: getattr(user, f) for f in ("first_name", "last_name", "email", "role", "is_active")
    }
    values.update({k: v for k, v in given.items() if k != "team" and v is not None})
    team = _team(given["team"]) if "team" in given else user.team
    user_update(user=user, actor=actor, team=team, **values)
    return user_out(user)
